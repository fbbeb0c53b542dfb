"""Account pages (/account/): sign in (password, then the SMS code where it is on), sign
out, register, and the account page with verification, the sign-in code, contact details
and an enterprise's agents.

Sign-in goes through ``django.contrib.auth.authenticate(request, ...)`` so django-axes
counts every failure; a wrong SMS code counts as a failure too. A locked account gets a
polite page telling when to try again (429) instead of axes' bare text. Views are thin:
a form, one service, a message, a redirect; a refusal shows on its form (422).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import django_otp
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, user_login_failed
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.portal import accounts, realname
from yiwang.portal.account_forms import (
    AgentForm,
    CodeForm,
    ContactForm,
    EnterpriseForm,
    IndividualForm,
    LoginForm,
    PasswordResetConfirmForm,
    PasswordResetForm,
    RegisterForm,
)
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account, Agent

INVALID = 422
LOCKED = 429
PENDING = "portal_sign_in"  # session: the user who passed the password step, waiting for the code
SETUP = "portal_second_factor_setup"  # session: turning the code on, waiting for the first one
PENDING_SECONDS = 10 * 60
RESEND_SECONDS = 60
MAX_CODE_TRIES = 5
RESET = "portal_password_reset"  # session: forgot password, waiting for the code
RESET_PENDING_SECONDS = 30 * 60
RESET_ASKS_PER_SESSION = 10  # an hour
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

login_needed = login_required(login_url="portal:login")


def _next_url(request: HttpRequest, fallback: str = "") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback or reverse("portal:account")


def _locked(request: HttpRequest) -> HttpResponse:
    """Our own lockout page; axes' middleware would otherwise replace it with bare text."""
    attempted = getattr(request, "axes_attempt_time", None) or timezone.now()
    cool_off = get_cool_off(request) or dt.timedelta(minutes=30)
    request.axes_locked_out = False  # type: ignore[attr-defined]
    request.session.pop(PENDING, None)
    until = timezone.localtime(attempted + cool_off)
    context = {
        "until": until,
        "limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cool_off.total_seconds() // 60),
    }
    return render(request, "portal/account/locked.html", context, status=LOCKED)


# --------------------------------------------------------------------------- sign in


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated and accounts.account_of(request.user) is not None:
        return redirect(next_url)
    form = LoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        username = accounts.sign_in_name(form.cleaned_data["username"])
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return _locked(request)
        account = accounts.account_of(user) if user is not None else None
        if user is None:
            form.add_error(
                None,
                _(
                    "The username or password is not right. After %(n)d wrong tries the account is "
                    "locked for %(minutes)d minutes."
                )
                % {"n": settings.AXES_FAILURE_LIMIT, "minutes": _cool_off_minutes(request)},
            )
        elif account is None:
            form.add_error(
                None, _("This sign-in is for citizens and enterprises; staff sign in on the workbench.")
            )
        elif account.second_factor:
            request.session.pop(SETUP, None)
            device = accounts.send_sign_in_code(account)
            request.session[PENDING] = {
                "user": user.pk,
                "backend": getattr(user, "backend", MODEL_BACKEND),
                "next": next_url,
                "since": time.time(),
                "sent": time.time(),
                "tries": 0,
                "device": device.pk,
            }
            return redirect("portal:login_code")
        else:
            auth_login(request, user)
            return redirect(next_url)
    status = INVALID if form.errors else 200
    return render(request, "portal/account/login.html", {"form": form, "next": next_url}, status=status)


def _cool_off_minutes(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds() // 60) if cool_off else 30


def _pending(request: HttpRequest) -> tuple[dict[str, Any], Account] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("since", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    account = Account.objects.select_related("user").filter(user_id=int(pending.get("user") or 0)).first()
    if account is None or not account.user.is_active:
        request.session.pop(PENDING, None)
        return None
    return pending, account


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: the code sent by SMS."""
    found = _pending(request)
    if found is None:
        messages.info(request, _("Please sign in again."))
        return redirect("portal:login")
    pending, account = found
    if request.method == "POST" and "resend" in request.POST:
        return _resend(request, PENDING, pending, account, "portal:login_code")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = accounts.check_sign_in_code(account, form.cleaned_data["code"])
        if device is not None:
            request.session.pop(PENDING, None)
            auth_login(request, account.user, backend=pending["backend"])
            django_otp.login(request, device)
            return redirect(pending["next"])
        user_login_failed.send(
            sender=__name__, credentials={"username": account.user.get_username()}, request=request
        )
        if getattr(request, "axes_locked_out", False):
            return _locked(request)
        pending["tries"] = int(pending.get("tries", 0)) + 1
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING, None)
            messages.error(request, _("The code was wrong too many times. Please sign in again."))
            return redirect("portal:login")
        request.session[PENDING] = pending
        form.add_error(
            "code", _("This code is not right or has expired. Check the latest SMS, or send a new code.")
        )
    context = {"form": form, "masked_mobile": account.masked_mobile, "setup": False}
    return render(request, "portal/account/code.html", context, status=INVALID if form.errors else 200)


def _resend(
    request: HttpRequest, key: str, pending: dict[str, Any], account: Account, back: str
) -> HttpResponseRedirect:
    waited = time.time() - float(pending.get("sent", 0))
    if waited < RESEND_SECONDS:
        messages.info(
            request,
            _("A code was sent less than a minute ago; please wait %(s)d seconds before asking again.")
            % {"s": int(RESEND_SECONDS - waited) + 1},
        )
    else:
        accounts.send_sign_in_code(account)
        pending["sent"] = time.time()
        request.session[key] = pending
        messages.success(request, _("A new code has been sent."))
    return redirect(back)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("portal:home")


# --------------------------------------------------------------------------- forgot password


def _neutral_notice() -> str:
    return _(
        "If the details match an account, a 6-digit code has been sent by SMS to its mobile "
        "number; it is valid for 10 minutes. At most 3 codes are sent to an account in an hour. "
        "If no SMS arrives, check the details and try again later, or ask at a service center window."
    )


@sensitive_post_parameters("id_number")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Forgot password: the username or mobile and the ID number or USCC. The answer is
    the same whether they match an account or not."""
    form = PasswordResetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not request.session.session_key:
            request.session.save()
        asked = accounts.count_in_hour(f"portal:reset:session:{request.session.session_key}")
        if asked > RESET_ASKS_PER_SESSION:
            context = {"form": form, "too_many": True}
            return render(request, "portal/account/password_reset.html", context, status=LOCKED)
        account = accounts.request_password_reset(
            who=form.cleaned_data["who"], id_number=form.cleaned_data["id_number"]
        )
        request.session[RESET] = {
            "account": account.pk if account else None,
            "since": time.time(),
            "tries": 0,
        }
        messages.info(request, _neutral_notice())
        return redirect("portal:password_reset_confirm")
    status = INVALID if form.errors else 200
    return render(request, "portal/account/password_reset.html", {"form": form}, status=status)


@sensitive_post_parameters("code", "password", "password2")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    """Forgot password, second step: the code and the new password twice."""
    pending = request.session.get(RESET)
    if not isinstance(pending, dict) or time.time() - float(pending.get("since", 0)) > RESET_PENDING_SECONDS:
        request.session.pop(RESET, None)
        messages.info(request, _("Please enter your details to get a code."))
        return redirect("portal:password_reset")
    form = PasswordResetConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        account = Account.objects.select_related("user").filter(pk=int(pending.get("account") or 0)).first()
        error: PortalError
        if account is None:
            # Details that matched nothing: any code is wrong, just as for a wrong code.
            error = PortalError(
                _("This code is not right or has expired. Check the latest SMS, or ask for a new code."),
                "bad_code",
                "code",
            )
        else:
            try:
                accounts.reset_password(
                    account=account, code=form.cleaned_data["code"], password=form.cleaned_data["password"]
                )
            except PortalError as exc:
                error = exc
            else:
                request.session.pop(RESET, None)
                messages.success(
                    request, _("Your password has been changed. Please sign in with the new one.")
                )
                return redirect("portal:login")
        if error.error_code in ("bad_code", "code_attempts"):
            pending["tries"] = int(pending.get("tries", 0)) + 1
            if error.error_code == "code_attempts" or pending["tries"] >= MAX_CODE_TRIES:
                request.session.pop(RESET, None)
                messages.error(
                    request,
                    _("The code was wrong too many times and no longer works. Please ask for a new one."),
                )
                return redirect("portal:password_reset")
            request.session[RESET] = pending
        form.add_error(error.field if error.field in form.fields else None, error.text)
    status = INVALID if form.errors else 200
    return render(request, "portal/account/password_reset_confirm.html", {"form": form}, status=status)


# --------------------------------------------------------------------------- register


REGISTER_FORMS: dict[str, type[RegisterForm]] = {"individual": IndividualForm, "enterprise": EnterpriseForm}


@sensitive_post_parameters("password", "password2")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if accounts.account_of(request.user) is not None:
        return redirect("portal:account")
    kind = request.POST.get("kind") or request.GET.get("kind") or "individual"
    if kind not in REGISTER_FORMS:
        kind = "individual"
    form = REGISTER_FORMS[kind](request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        service = accounts.register_enterprise if kind == "enterprise" else accounts.register_individual
        try:
            account = service(**form.service_arguments())
        except PortalError as exc:
            form.add_error(exc.field, exc.text)
        else:
            auth_login(request, account.user, backend=MODEL_BACKEND)
            messages.success(
                request,
                _(
                    "Welcome! Your account is ready. You can browse, search and ask questions now; to "
                    "apply online, have your identity verified first (see below)."
                ),
            )
            return redirect("portal:account")
    context = {"form": form, "kind": kind}
    return render(request, "portal/account/register.html", context, status=INVALID if form.errors else 200)


# --------------------------------------------------------------------------- account page


def _account_page(
    request: HttpRequest,
    *,
    contact_form: ContactForm | None = None,
    agent_form: AgentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    account = accounts.account_of(request.user)
    if account is None:
        return render(request, "portal/account/no_account.html", status=200)
    context: dict[str, Any] = {
        "account": account,
        "error": error,
        "contact_form": contact_form
        or ContactForm(initial={"mobile": account.mobile, "email": account.email}),
        "events": accounts.recent_events(account),
        "realname_available": realname.is_available(),
        "centers": [] if account.is_verified else list(accounts.service_centers()),
    }
    if account.is_enterprise:
        context["agents"] = accounts.agents_of(account)
        context["agent_form"] = agent_form or AgentForm()
        context["today"] = timezone.localdate()
    else:
        context["enterprises"] = accounts.acting_accounts(request.user)[1:]
    return render(request, "portal/account/account.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD"])
@login_needed
def account_page(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


def _own_account(request: HttpRequest) -> Account:
    account = accounts.account_of(request.user)
    if account is None:
        raise Http404(_("You have no citizen or enterprise account."))
    return account


@require_POST
@login_needed
def contact(request: HttpRequest) -> HttpResponse:
    account = _own_account(request)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            accounts.change_contact(account=account, by_user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except PortalError as exc:
            form.add_error(exc.field, exc.text)
        else:
            messages.success(request, _("Your contact details have been saved."))
            return redirect("portal:account")
    return _account_page(request, contact_form=form, status=INVALID)


@require_POST
@login_needed
def second_factor(request: HttpRequest) -> HttpResponse:
    """Off at once; on only after the first code arrived (proving the number is the person's)."""
    account = _own_account(request)
    if request.POST.get("on") == "1":
        if account.second_factor:
            return redirect("portal:account")
        device = accounts.send_sign_in_code(account)
        request.session[SETUP] = {"since": time.time(), "sent": time.time(), "tries": 0, "device": device.pk}
        return redirect("portal:second_factor_confirm")
    accounts.set_second_factor(account=account, on=False)
    messages.success(request, _("The SMS code at sign-in is off."))
    return redirect("portal:account")


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_needed
def second_factor_confirm(request: HttpRequest) -> HttpResponse:
    account = _own_account(request)
    setup = request.session.get(SETUP)
    if not isinstance(setup, dict) or time.time() - float(setup.get("since", 0)) > PENDING_SECONDS:
        request.session.pop(SETUP, None)
        return redirect("portal:account")
    if request.method == "POST" and "resend" in request.POST:
        return _resend(request, SETUP, setup, account, "portal:second_factor_confirm")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = accounts.check_sign_in_code(account, form.cleaned_data["code"])
        if device is not None:
            request.session.pop(SETUP, None)
            accounts.set_second_factor(account=account, on=True)
            django_otp.login(request, device)
            messages.success(request, _("From now on, signing in needs a code sent to your mobile."))
            return redirect("portal:account")
        setup["tries"] = int(setup.get("tries", 0)) + 1
        if setup["tries"] >= MAX_CODE_TRIES:
            request.session.pop(SETUP, None)
            messages.error(
                request, _("The code was wrong too many times; the SMS code at sign-in stays off.")
            )
            return redirect("portal:account")
        request.session[SETUP] = setup
        form.add_error(
            "code", _("This code is not right or has expired. Check the latest SMS, or send a new code.")
        )
    context = {"form": form, "masked_mobile": account.masked_mobile, "setup": True}
    return render(request, "portal/account/code.html", context, status=INVALID if form.errors else 200)


@require_POST
@login_needed
def realname_check(request: HttpRequest) -> HttpResponse:
    account = _own_account(request)
    try:
        accounts.verify_by_provider(account=account)
    except PortalError as exc:
        return _account_page(request, error=exc.text, status=INVALID)
    messages.success(request, _("Your identity has been verified. You can now apply online."))
    return redirect("portal:account")


@require_POST
@login_needed
def agent_add(request: HttpRequest) -> HttpResponse:
    account = _own_account(request)
    form = AgentForm(request.POST)
    if form.is_valid():
        try:
            agent = accounts.authorise_agent(
                enterprise=account,
                person_id_number=form.cleaned_data["person_id_number"],
                valid_until=form.cleaned_data["valid_until"],
                by_user=request.user,  # type: ignore[arg-type]
            )
        except PortalError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.text)
            else:
                return _account_page(request, agent_form=form, error=exc.text, status=INVALID)
        else:
            messages.success(
                request, _("%(name)s is now an agent of the enterprise.") % {"name": agent.person.name}
            )
            return redirect("portal:account")
    return _account_page(request, agent_form=form, status=INVALID)


@require_POST
@login_needed
def agent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    agent = (
        Agent.objects.select_related("enterprise", "person")
        .filter(pk=pk, enterprise__user_id=request.user.pk)
        .first()
    )
    if agent is None:
        raise Http404(_("No such agent of your enterprise."))
    try:
        accounts.revoke_agent(agent=agent, by_user=request.user)  # type: ignore[arg-type]
    except PortalError as exc:
        return _account_page(request, error=exc.text, status=INVALID)
    messages.success(
        request, _("The authorisation of %(name)s has been revoked.") % {"name": agent.person.name}
    )
    return redirect("portal:account")
