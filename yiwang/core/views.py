"""The staff inbox (/work/inbox/): notifications sent through ``yiwang.core.notify``.

A user only ever sees and marks their own notifications; anyone else's answers 404, as
if it did not exist. Marking works with and without htmx: with it, the row (or the list)
is swapped in place and the unread count beside the title follows.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from yiwang.core import notify
from yiwang.core.models import Notification
from yiwang.org.models import Role
from yiwang.org.permissions import scope_of, staff_of

PAGE_SIZE = 20
RESULTS_TARGET = "results"

View = Callable[..., HttpResponseBase]


def staff_required(view: View) -> View:
    """Signed in (else the login page) and staff: a Staff row or a superuser."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (getattr(user, "is_superuser", False) or staff_of(user) is not None):
            raise PermissionDenied(_("The workbench is for staff of the service departments."))
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)  # messages are personal: never in a shared cache
        return response

    return wrapped


def _is_htmx(request: HttpRequest, target: str | None = None) -> bool:
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def _context(request: HttpRequest, page_number: Any = None) -> dict[str, Any]:
    page = Paginator(notify.inbox(request.user), PAGE_SIZE).get_page(page_number or request.GET.get("page"))
    return {
        "tab": "inbox",
        "staff": staff_of(request.user),
        "can_intake": scope_of(request.user).has_role(Role.WINDOW_OPERATOR),
        "page": page,
        "notifications": page.object_list,
        "unread": notify.unread_count(request.user),
    }


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    page = request.POST.get("page", "")
    url = reverse("core:inbox")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@require_safe
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """消息: my notifications, unread first, newest first."""
    context = _context(request)
    template = "core/inbox_results.html" if _is_htmx(request, RESULTS_TARGET) else "core/inbox.html"
    response = render(request, template, {**context, "oob_unread": template != "core/inbox.html"})
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@require_POST
@staff_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = notify.mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404(_("No such message in your inbox.")) from None
    if _is_htmx(request):
        return render(
            request,
            "core/inbox_row.html",
            {
                "notification": notification,
                "page": None,
                "unread": notify.unread_count(request.user),
                "row_oob": True,
            },
        )
    return _back_to_inbox(request)


@require_POST
@staff_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and go to what the notification is about."""
    try:
        notification = notify.mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404(_("No such message in your inbox.")) from None
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None, require_https=False):
        return redirect(link)
    return _back_to_inbox(request)


@require_POST
@staff_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notify.mark_all_read(user=request.user)
    if _is_htmx(request):
        return render(request, "core/inbox_results.html", {**_context(request, 1), "oob_unread": True})
    if count:
        messages.success(request, _("All messages are marked read."))
    return redirect("core:inbox")
