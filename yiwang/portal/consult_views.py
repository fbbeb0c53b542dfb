"""Consultation pages of the public site: ask a question on an item, read one
consultation by its query link, and (signed in) my consultations.

Anonymous asking is limited per address (``consultations.ASK_LIMIT`` an hour) and
guarded by a honeypot field that people never see; both refusals are polite and
create nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from yiwang.catalog import selectors as catalog
from yiwang.core.identifiers import mask_mobile
from yiwang.core.notify import mask_email
from yiwang.portal import consultations as service
from yiwang.portal.accounts import account_of
from yiwang.portal.errors import PortalError

INVALID = 422
PAGE_SIZE = 20

View = Callable[..., HttpResponseBase]


# --------------------------------------------------------------------------- shared helpers


def login_url() -> str:
    try:
        return reverse("portal:login")
    except NoReverseMatch:  # the accounts pages are not mounted
        return reverse(settings.LOGIN_URL)


def to_login(request: HttpRequest) -> HttpResponse:
    return redirect(f"{login_url()}?{urlencode({'next': request.get_full_path()})}")


def signin_required(view: View) -> View:
    """Portal pages for signed-in users: others go to the portal's sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return to_login(request)
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapped


def private(response: HttpResponse) -> HttpResponse:
    """A page reached by a secret link: not cached, not indexed, never sent as a referrer."""
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


class AccessibleForm(forms.Form):
    """A form whose fields with errors point at them (aria-describedby, aria-invalid);
    the error paragraphs carry the id ``<field id>-error`` (``portal/consult/_field.html``)."""

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        names = (
            list(error.error_dict)
            if isinstance(error, forms.ValidationError) and hasattr(error, "error_dict")
            else [field]
        )
        for name in names:
            if name and name in self.fields:
                attrs = self.fields[name].widget.attrs
                ref = f"{self[name].auto_id}-error"
                described = attrs.get("aria-describedby", "")
                if ref not in described.split():
                    attrs["aria-describedby"] = f"{described} {ref}".strip()
                attrs["aria-invalid"] = "true"


def show_error(form: forms.Form, error: PortalError) -> None:
    """Put a service's refusal on its field, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.text)


def client_key(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


# --------------------------------------------------------------------------- ask


class AskForm(AccessibleForm):
    # Left to the service to check, so its specific message is shown; the browser checks too.
    question = forms.CharField(
        label=gettext_lazy("Your question"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "maxlength": service.QUESTION_MAX,
                "minlength": service.QUESTION_MIN,
                "required": True,
            }
        ),
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Your name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_mobile = forms.CharField(
        label=gettext_lazy("Mobile number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
        help_text=gettext_lazy(
            "We send the link to your answer here. Give a mobile number or an email address."
        ),
    )
    contact_email = forms.CharField(
        label=gettext_lazy("Email address"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"}),
    )
    # The honeypot: hidden from people (and from assistive technology); bots fill it in.
    website = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, signed_in: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].help_text = _(
            "%(least)d to %(most)d characters. Do not write ID numbers here."
        ) % {
            "least": service.QUESTION_MIN,
            "most": service.QUESTION_MAX,
        }
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-help"
        if not signed_in:
            self.fields["contact_name"].widget.attrs["required"] = True


def _expected_due(today: Any) -> Any:
    try:
        return service.due_for(today)
    except PortalError:
        return None


@require_http_methods(["GET", "HEAD", "POST"])
def consult_ask(request: HttpRequest, code: str) -> HttpResponse:
    today = timezone.localdate()
    version = catalog.item_guide(code=code, on=today)
    if version is None:
        return render(request, "portal/items/not_found.html", {"code": code}, status=404)
    account = account_of(request.user)
    status = 200
    if request.method == "POST":
        form = AskForm(request.POST, signed_in=account is not None)
        form.is_valid()
        data = form.cleaned_data
        if data.get("website"):
            form.add_error(
                None,
                _(
                    "Your question could not be sent. If you are a person, leave the last, hidden field empty."
                ),
            )
            status = 400
        elif account is None and not service.may_ask_anonymously(client_key(request)):
            form.add_error(
                None,
                _(
                    "You have asked several questions in a short time. Please wait an hour and ask again, "
                    "or sign in to ask without waiting."
                ),
            )
            status = 429
        else:
            try:
                consultation = service.consult_ask(
                    item=version.item,
                    question=data.get("question", ""),
                    account=account,
                    contact_name=data.get("contact_name", ""),
                    contact_mobile=data.get("contact_mobile", ""),
                    contact_email=data.get("contact_email", ""),
                )
            except PortalError as exc:
                show_error(form, exc)
                status = INVALID
            else:
                if account is None:
                    service.note_anonymous_ask(client_key(request))
                return redirect(f"{service.query_path(consultation)}?sent=1")
    else:
        initial = {}
        if account is not None:
            initial = {
                "contact_name": account.name,
                "contact_mobile": account.mobile,
                "contact_email": account.email,
            }
        form = AskForm(initial=initial, signed_in=account is not None)
    context = {
        "version": version,
        "item": version.item,
        "form": form,
        "account": account,
        "workdays": settings.PORTAL_CONSULT_ANSWER_WORKDAYS,
        "due": _expected_due(today),
    }
    response = render(request, "portal/consult/ask.html", context, status=status)
    add_never_cache_headers(response)
    return response


# --------------------------------------------------------------------------- read


@require_safe
def consultation_page(request: HttpRequest, token: str) -> HttpResponse:
    consultation = service.consultation_by_token(token)
    if consultation is None:
        raise Http404(_("No question matches this link. Check that it was copied whole."))
    today = timezone.localdate()
    sent_to = ""
    if request.GET.get("sent") and consultation.account_id is None:
        if consultation.contact_mobile:
            sent_to = mask_mobile(consultation.contact_mobile)
        elif consultation.contact_email:
            sent_to = mask_email(consultation.contact_email)
    context = {
        "c": consultation,
        "sent": bool(request.GET.get("sent")),
        "sent_to": sent_to,
        "overdue": service.is_overdue(consultation, today),
        "link": request.build_absolute_uri(service.query_path(consultation)),
    }
    return private(render(request, "portal/consult/consultation.html", context))


@require_safe
@signin_required
def my_consultations(request: HttpRequest) -> HttpResponse:
    account = account_of(request.user)
    today = timezone.localdate()
    page = None
    if account is not None:
        page = Paginator(service.my_consultations(account), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(c, service.is_overdue(c, today)) for c in page.object_list] if page is not None else []
    return render(
        request, "portal/consult/mine.html", {"account": account, "page": page, "rows": rows, "today": today}
    )
