"""E-license pages: the public verification page reached by the QR code on a license
(no login; the holder's name and ID masked), the code itself, the signed-in holder's
list and each license as a PDF (the holder only)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from yiwang.licenses import documents, qr, selectors
from yiwang.licenses.models import License, LicenseStatus

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}\Z")  # secrets.token_urlsafe(32)
# The token in the address must not travel to another site as a Referer.
REFERRER_POLICY = "same-origin"

TONE = {LicenseStatus.VALID: "done", LicenseStatus.EXPIRED: "waiting", LicenseStatus.REVOKED: "closed"}


def _private(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Pages with a token or personal data: never cached, indexed or referred on."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = REFERRER_POLICY
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def _login_url() -> str:
    try:
        return reverse("portal:login")
    except NoReverseMatch:  # the portal's sign-in page is not mounted in this build
        return reverse(settings.LOGIN_URL)


def _signed_in(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path(), _login_url())
        return view(request, *args, **kwargs)

    return wrapped


def _find(token: str) -> License | None:
    if not TOKEN_PATTERN.match(token):
        return None
    return License.objects.select_related("issuer").filter(verify_token=token).first()


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "licenses/not_found.html", status=404)


@_private
@require_safe
def verify(request: HttpRequest, token: str) -> HttpResponse:
    license = _find(token)
    if license is None:
        return _not_found(request)
    today = timezone.localdate()
    status = license.status_on(today)
    return render(
        request,
        "licenses/verify.html",
        {
            "license": license,
            "status": status,
            "status_label": LicenseStatus(status).label,
            "tone": TONE[LicenseStatus(status)],
            "today": today,
        },
    )


@_private
@require_safe
def qr_code(request: HttpRequest, token: str) -> HttpResponse:
    license = _find(token)
    if license is None:
        return _not_found(request)
    response = HttpResponse(qr.qr_svg_document(license, request), content_type="image/svg+xml")
    response["Content-Disposition"] = 'inline; filename="license-qr.svg"'
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@_private
@require_safe
@_signed_in
def mine(request: HttpRequest) -> HttpResponse:
    from yiwang.portal.models import Account

    today = timezone.localdate()
    account = Account.objects.filter(user_id=request.user.pk).first()
    holder_ids = selectors.holder_ids_of_account(account, on=today)
    licenses = list(selectors.licenses_of_holders(holder_ids)) if holder_ids else []
    rows = []
    for license in licenses:
        status = license.status_on(today)
        rows.append(
            {
                "license": license,
                "status": status,
                "status_label": LicenseStatus(status).label,
                "tone": TONE[LicenseStatus(status)],
                "qr": qr.qr_svg(license, request, scale=3) if status == LicenseStatus.VALID else "",
            }
        )
    return render(
        request,
        "licenses/mine.html",
        {
            "rows": rows,
            "has_account": account is not None,
            "verified": account is not None and account.verified_at is not None,
            "today": today,
        },
    )


@_private
@require_safe
@_signed_in
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    license = selectors.license_of_holder(request.user, pk)
    if license is None:
        return render(request, "licenses/not_found.html", status=404)
    response = HttpResponse(documents.render_pdf(license, request=request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.filename(license)}"'
    return response
