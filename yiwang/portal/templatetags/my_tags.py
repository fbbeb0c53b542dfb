"""Template helpers of the applicant's own pages (/my/)."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.core import notify

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_messages(context: Any) -> int:
    """``{% unread_messages as n %}``: the signed-in user's unread messages (0 for a visitor).
    One query per request: the count is kept on the request for the page's other uses."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return 0
    count = getattr(request, "_yiwang_unread", None)
    if count is None:
        count = notify.unread_count(user)
        request._yiwang_unread = count
    return int(count)
