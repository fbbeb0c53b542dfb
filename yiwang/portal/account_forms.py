"""Forms of the account pages. They check each field's format with the same functions the
services use, so every wrong field is marked at once; the services check again and add
what only they can know (a number already registered, a person who is not verified)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.portal import accounts
from yiwang.portal.errors import PortalError


def _check(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except PortalError as exc:
        raise forms.ValidationError(exc.text, code=exc.error_code) from None


def _text(
    label: Any, *, max_length: int, required: bool = True, help_text: Any = "", **attrs: str
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        strip=True,
        widget=forms.TextInput(attrs=attrs),
    )


def _id_number(label: Any) -> forms.CharField:
    return _text(
        label,
        max_length=30,
        help_text=_("18 characters; the last one may be X."),
        autocomplete="off",
        spellcheck="false",
        autocapitalize="characters",
    )


def _mobile() -> forms.CharField:
    return forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_("Sign-in codes and notices are sent here."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
    )


def _email() -> forms.CharField:
    return forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"}),
    )


def _password(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=128,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class RegisterForm(forms.Form):
    """The fields both kinds of account share; the subclasses add the identity."""

    kind: str = ""
    username = _text(
        _("Username"),
        max_length=30,
        help_text=_("3 to 30 letters or digits; you sign in with it or with your mobile number."),
        autocomplete="username",
        autocapitalize="none",
        spellcheck="false",
    )
    password = _password(_("Password"), _("At least 10 characters, not a common or all-digit password."))
    password2 = _password(_("Password again"))

    def clean_username(self) -> str:
        return _check(accounts.clean_username, self.cleaned_data.get("username", ""))

    def clean_mobile(self) -> str:
        return _check(accounts.clean_mobile, self.cleaned_data.get("mobile", ""))

    def clean_email(self) -> str:
        return _check(accounts.clean_email, self.cleaned_data.get("email", ""))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        password, again = data.get("password"), data.get("password2")
        if password and again and password != again:
            self.add_error("password2", _("The two passwords differ."))
        elif password:
            # As typed where a field was refused: the password is judged all the same.
            try:
                accounts.check_password(
                    password,
                    username=data.get("username") or self.data.get("username", ""),
                    name=data.get("name") or self.data.get("name", ""),
                    email=data.get("email") or "",
                )
            except PortalError as exc:
                self.add_error("password", exc.text)
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("password2", None)
        return data


class IndividualForm(RegisterForm):
    kind = "individual"
    field_order = ["name", "id_number", "mobile", "email", "username", "password", "password2"]

    name = _text(_("Full name"), max_length=50, autocomplete="name")
    id_number = _id_number(_("Resident ID number"))
    mobile = _mobile()
    email = _email()

    def clean_name(self) -> str:
        return _check(accounts.clean_name, self.cleaned_data.get("name", ""))

    def clean_id_number(self) -> str:
        return _check(accounts.clean_resident_id, self.cleaned_data.get("id_number", ""))


class EnterpriseForm(RegisterForm):
    kind = "enterprise"
    field_order = [
        "name",
        "uscc",
        "legal_rep_name",
        "legal_rep_id_number",
        "mobile",
        "email",
        "username",
        "password",
        "password2",
    ]

    name = _text(
        _("Name of the enterprise or organisation"),
        max_length=200,
        help_text=_("As on the business licence."),
        autocomplete="organization",
    )
    uscc = _id_number(_("Unified social credit code"))
    legal_rep_name = _text(_("Legal representative"), max_length=50)
    legal_rep_id_number = _id_number(_("Legal representative's resident ID number"))
    mobile = _mobile()
    email = _email()

    def clean_name(self) -> str:
        return _check(accounts.clean_name, self.cleaned_data.get("name", ""), max_length=200)

    def clean_uscc(self) -> str:
        return _check(accounts.clean_uscc, self.cleaned_data.get("uscc", ""))

    def clean_legal_rep_name(self) -> str:
        return _check(accounts.clean_name, self.cleaned_data.get("legal_rep_name", ""))

    def clean_legal_rep_id_number(self) -> str:
        return _check(accounts.clean_resident_id, self.cleaned_data.get("legal_rep_id_number", ""))


class LoginForm(forms.Form):
    username = _text(
        _("Username or mobile number"),
        max_length=150,
        autocomplete="username",
        autocapitalize="none",
        spellcheck="false",
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        help_text=_("The code is valid for 5 minutes."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class ContactForm(forms.Form):
    mobile = _mobile()
    email = _email()

    def clean_mobile(self) -> str:
        return _check(accounts.clean_mobile, self.cleaned_data.get("mobile", ""))

    def clean_email(self) -> str:
        return _check(accounts.clean_email, self.cleaned_data.get("email", ""))


class AgentForm(forms.Form):
    person_id_number = _text(
        _("The agent's resident ID number"),
        max_length=30,
        help_text=_("The person needs a verified personal account of their own."),
        autocomplete="off",
        spellcheck="false",
    )
    valid_until = forms.DateField(
        label=_("Authorised until"),
        required=False,
        help_text=_("Leave empty for an authorisation until you revoke it."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_person_id_number(self) -> str:
        return _check(
            accounts.clean_resident_id, self.cleaned_data.get("person_id_number", ""), "person_id_number"
        )


class FindForm(forms.Form):
    number = _text(
        _("Resident ID number or unified social credit code"),
        max_length=30,
        help_text=_("The full number, as on the document; it is never put in the page address."),
        autocomplete="off",
        spellcheck="false",
        autocapitalize="characters",
    )


class VerifyForm(forms.Form):
    document_number = _text(
        pgettext_lazy("verification", "Number on the document"),
        max_length=30,
        help_text=_(
            "Type it from the ID card in front of you (for an enterprise: the business licence "
            "or the legal representative's ID card), not from the screen."
        ),
        autocomplete="off",
        spellcheck="false",
        autocapitalize="characters",
    )
    note = _text(_("Note"), max_length=200, required=False)


class PasswordResetForm(forms.Form):
    """Forgot password, first step: both must name the same account."""

    who = _text(
        _("Username or mobile number"),
        max_length=150,
        autocomplete="username",
        autocapitalize="none",
        spellcheck="false",
    )
    id_number = _text(
        _("Resident ID number or unified social credit code"),
        max_length=30,
        help_text=_("The one the account was registered with: your ID number, or your enterprise's USCC."),
        autocomplete="off",
        spellcheck="false",
        autocapitalize="characters",
    )


class PasswordResetConfirmForm(forms.Form):
    """Forgot password, second step: the code sent by SMS and the new password twice."""

    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        help_text=_("The code is valid for 10 minutes."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )
    password = _password(_("New password"), _("At least 10 characters, not a common or all-digit password."))
    password2 = _password(_("New password again"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        password, again = self.cleaned_data.get("password"), self.cleaned_data.get("password2")
        if password and again and password != again:
            self.add_error("password2", _("The two passwords differ."))
        elif password:
            # The service judges it again with the account's own name and username.
            try:
                accounts.check_password(password, username="", name="", email="")
            except PortalError as exc:
                self.add_error("password", exc.text)
        return self.cleaned_data
