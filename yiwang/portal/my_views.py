"""The signed-in applicant's own pages: my cases, one case's timeline and files, and the
message center. Everything here is personal: never cached by a shared cache, and a case
or message of someone else answers 404, as if it did not exist."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from yiwang.core import notify
from yiwang.core.models import Notification
from yiwang.portal import tracking

LOGIN_URL = "portal:login"
CASES_PER_PAGE = 10
MESSAGES_PER_PAGE = 20
# The case page shows the progress page's address (with its query token) in a link and
# a QR code: like that page, it never hands its address to another site.
REFERRER_POLICY = "same-origin"
RESULTS_TARGET = "results"

access_log = logging.getLogger("yiwang.portal.access")

View = Callable[..., HttpResponseBase]


def personal(view: View) -> View:
    """Signed in (else the portal's sign-in page, coming back here) and never cached."""

    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = REFERRER_POLICY
        return response

    return wrapped


def _page(request: HttpRequest, template: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    """The whole page, or only its results when htmx asks for the next page of them."""
    htmx = getattr(request, "htmx", None)
    only_results = (
        htmx is not None and bool(htmx) and htmx.target == RESULTS_TARGET and not htmx.history_restore_request
    )
    response = render(request, partial if only_results else template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# --------------------------------------------------------------------------- my cases


@require_safe
@personal
def my_cases(request: HttpRequest) -> HttpResponse:
    """我的办件: every case of the user and of the enterprises they act for."""
    show = request.GET.get("show", "")
    if show not in (tracking.SHOW_ACTIVE, tracking.SHOW_FINISHED):
        show = ""
    page = Paginator(tracking.my_cases(request.user, show=show), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "tab": "cases",
        "show": show,
        "page": page,
        "rows": tracking.rows(list(page.object_list)),
    }
    return _page(request, "portal/my/cases.html", "portal/my/_cases_results.html", context)


def _case_or_404(request: HttpRequest, number: str) -> Any:
    case = tracking.my_case(request.user, number)
    if case is None:
        raise Http404(_("You have no case with this number."))
    return case


@require_safe
@personal
def my_case(request: HttpRequest, number: str) -> HttpResponse:
    """One case, tracked like a parcel: every step, its department and time, the dates."""
    case = _case_or_404(request, number)
    context = {"tab": "cases", "track": tracking.track(case), "case": case}
    return render(request, "portal/my/case.html", context)


@require_safe
@personal
def my_case_file(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """A file the applicant handed in, to the applicant only (never a public media URL)."""
    stored = tracking.my_case_file(request.user, number, pk)
    if stored is None:
        raise Http404(_("No such file in your case."))
    access_log.info(
        "case file %s of case %s read by its applicant, user %s", stored.pk, number, request.user.pk
    )
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError:
        access_log.error("case file %s of case %s is missing from storage", stored.pk, number)
        raise Http404(_("No such file in your case.")) from None
    response = FileResponse(
        handle,
        content_type=stored.content_type,
        as_attachment="download" in request.GET,
        filename=stored.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------- messages


@require_safe
@personal
def message_list(request: HttpRequest) -> HttpResponse:
    """消息中心: what the site told the user, unread first, newest first."""
    page = Paginator(notify.inbox(request.user), MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    unread = notify.unread_count(request.user)
    request._yiwang_unread = unread  # type: ignore[attr-defined]  # the header's badge reuses it
    context = {"tab": "messages", "page": page, "notifications": page.object_list, "unread": unread}
    return _page(request, "portal/my/messages.html", "portal/my/_messages_results.html", context)


def _back_to_messages(request: HttpRequest) -> HttpResponse:
    page = request.POST.get("page", "")
    url = reverse("portal:messages")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


def _mark(request: HttpRequest, pk: int) -> Notification:
    try:
        return notify.mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404(_("No such message among yours.")) from None


@require_POST
@personal
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    _mark(request, pk)
    return _back_to_messages(request)


@require_POST
@personal
def message_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and go to what the message is about."""
    link = _mark(request, pk).link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None, require_https=False):
        return redirect(link)
    return _back_to_messages(request)


@require_POST
@personal
def message_read_all(request: HttpRequest) -> HttpResponse:
    if notify.mark_all_read(user=request.user):
        messages.success(request, _("All messages are marked read."))
    return redirect("portal:messages")
