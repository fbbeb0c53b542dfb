"""``{% load notify_tags %}{% unread_count %}``: the number of unread inbox messages of the
signed-in user (0 for anyone else), counted once per request."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.core import notify

register = template.Library()

_CACHE_ATTR = "_yiwang_unread_notifications"


@register.simple_tag(takes_context=True)
def unread_count(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    if request is None:
        return notify.unread_count(user)
    if not hasattr(request, _CACHE_ATTR):
        setattr(request, _CACHE_ATTR, notify.unread_count(user))
    return getattr(request, _CACHE_ATTR)
