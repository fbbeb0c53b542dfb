"""Identity verification at the window (/work/citizens/).

A window operator finds one account by its full resident ID number or USCC (POSTed,
never in the address; no list of accounts exists), sees it masked, types the number from
the document in front of them, and verifies. Everyone else gets 403. Every look-up is
logged with who looked and which account, never the number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.org.models import Role
from yiwang.org.permissions import scope_of, staff_of
from yiwang.portal import accounts
from yiwang.portal.account_forms import FindForm, VerifyForm
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account

INVALID = 422

access_log = logging.getLogger("yiwang.portal.access")

View = Callable[..., HttpResponseBase]


def operator_required(view: View) -> View:
    """Signed in (else the staff login) and a window operator (else 403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not accounts.can_verify(request.user):
            raise PermissionDenied(_("Identity checks are done by window staff."))
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapped


def _render(
    request: HttpRequest,
    *,
    form: FindForm,
    account: Account | None = None,
    verify_form: VerifyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    scope = scope_of(request.user)
    context = {
        "tab": "citizens",
        "can_intake": scope.has_role(Role.WINDOW_OPERATOR),
        "can_supervise": scope.has_role(Role.SUPERVISOR) or scope.has_role(Role.LEADER),
        "staff": staff_of(request.user),
        "form": form,
        "account": account,
        "verify_form": verify_form or VerifyForm(),
    }
    return render(request, "portal/citizens/find.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@operator_required
def find(request: HttpRequest) -> HttpResponse:
    form = FindForm(request.POST if request.method == "POST" else None)
    account = None
    if request.method == "POST" and form.is_valid():
        account = accounts.find_account(form.cleaned_data["number"])
        access_log.info(
            "citizens: user %s looked up an account: %s",
            request.user.pk,
            account.pk if account else "none found",
        )
        if account is None:
            form.add_error(
                "number", _("No account has this number. Check it, or ask the person to register first.")
            )
        else:
            form = FindForm()  # the full number is not shown again: the page shows it masked
    status = INVALID if form.errors else 200
    return _render(request, form=form, account=account, status=status)


@require_POST
@operator_required
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("user"), pk=pk)
    verify_form = VerifyForm(request.POST)
    if verify_form.is_valid():
        try:
            accounts.verify_on_site(
                account=account,
                staff_user=request.user,  # type: ignore[arg-type]
                document_number=verify_form.cleaned_data["document_number"],
                note=verify_form.cleaned_data["note"],
            )
        except PortalError as exc:
            if exc.field in verify_form.fields:
                verify_form.add_error(exc.field, exc.text)
            else:
                verify_form.add_error(None, exc.text)
        else:
            access_log.info("citizens: user %s verified account %s on site", request.user.pk, account.pk)
            messages.success(
                request,
                _("The identity of %(name)s (%(number)s) is verified.")
                % {"name": account.name, "number": account.masked_id_number},
            )
            return redirect("citizens:find")
    account.refresh_from_db()
    return _render(request, form=FindForm(), account=account, verify_form=verify_form, status=INVALID)
