"""The online application form of an item version, built from its ``catalog.FormField`` rows.

Each field kind gets the Django form field that checks it: identifiers through the
project's validators (``yiwang.core.identifiers``), numbers as ``Decimal`` or ``int``,
dates in ISO form. A draft keeps what the applicant typed, as typed (``raw_data``), so an
answer that does not pass yet is not lost; the case receives ``json_data()``, the checked
values in JSON-safe form (decimals as text, never floats).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.catalog.models import FieldKind, FormField
from yiwang.core.identifiers import validate_resident_id, validate_uscc

PREFIX = "form"
# Caps when the form definition sets none: a one-line answer and a longer text.
TEXT_MAX = 200
TEXTAREA_MAX = 2000
# What a draft keeps of one answer that has not passed its checks yet.
RAW_MAX = 4000
_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}\Z")


def normalise_mobile(value: str) -> str:
    """Full-width digits to ASCII; spaces, hyphens and a leading +86 / 0086 dropped."""
    text = unicodedata.normalize("NFKC", value or "")
    text = re.sub(r"[\s\-()]", "", text)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


def validate_mobile(value: str) -> str:
    number = normalise_mobile(value)
    if not _MOBILE_RE.match(number):
        raise ValidationError(
            gettext_lazy("A mobile number has 11 digits and starts with 13 to 19, e.g. 13800138000."),
            code="mobile_format",
        )
    return number


class NormalisedField(forms.CharField):
    """A text field whose value is checked and normalised by ``normalise`` (which raises
    ``ValidationError`` with the specific reason)."""

    def __init__(self, *, normalise: Callable[[str], str], **kwargs: Any) -> None:
        self.normalise = normalise
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value in self.empty_values:
            return value
        return self.normalise(value)


def _label(field: FormField) -> str:
    return field.label


def _messages(field: FormField) -> dict[str, Any]:
    if field.kind == FieldKind.CHOICE:
        required = _("Choose an answer for “%(label)s”.") % {"label": field.label}
    else:
        required = _("Fill in “%(label)s”.") % {"label": field.label}
    return {
        "required": required,
        "invalid_choice": gettext_lazy("“%(value)s” is not one of the options."),
        "invalid": _("“%(label)s” is not in the expected form.") % {"label": field.label},
    }


def _bound(value: Decimal | None) -> Decimal | None:
    return value.normalize() if value is not None else None


def form_field(field: FormField) -> forms.Field:
    """The Django form field for one row of the form definition."""
    common: dict[str, Any] = {
        "label": field.label,
        "required": field.required,
        "help_text": field.help_text,
        "error_messages": _messages(field),
    }
    kind = field.kind
    text_attrs = {"autocomplete": "off"}
    if kind in (FieldKind.TEXT, FieldKind.TEXTAREA):
        default_max = TEXT_MAX if kind == FieldKind.TEXT else TEXTAREA_MAX
        max_length = min(field.max_length or default_max, RAW_MAX)
        validators = []
        if field.pattern:
            validators.append(
                RegexValidator(
                    rf"^(?:{field.pattern})\Z",
                    field.pattern_message
                    or _("“%(label)s” is not in the expected form.") % {"label": field.label},
                    code="pattern",
                )
            )
        widget: forms.Widget = (
            forms.Textarea(attrs={"rows": 4, **text_attrs})
            if kind == FieldKind.TEXTAREA
            else forms.TextInput(attrs=text_attrs)
        )
        result: forms.Field = forms.CharField(
            max_length=max_length,
            min_length=field.min_length,
            validators=validators,
            widget=widget,
            **common,
        )
        result.error_messages["max_length"] = gettext_lazy(
            "Keep this to %(limit_value)d characters at most (it has %(show_value)d)."
        )
        result.error_messages["min_length"] = gettext_lazy(
            "Write at least %(limit_value)d characters (it has %(show_value)d)."
        )
        return result
    if kind in (FieldKind.INTEGER, FieldKind.DECIMAL):
        common["error_messages"].update(
            {
                "invalid": (
                    _("Enter “%(label)s” as a whole number.")
                    if kind == FieldKind.INTEGER
                    else _("Enter “%(label)s” as a number, e.g. 120.5.")
                )
                % {"label": field.label},
                "min_value": gettext_lazy("The smallest value allowed is %(limit_value)s."),
                "max_value": gettext_lazy("The largest value allowed is %(limit_value)s."),
            }
        )
    if kind == FieldKind.INTEGER:
        return forms.IntegerField(
            min_value=int(field.min_value) if field.min_value is not None else None,
            max_value=int(field.max_value) if field.max_value is not None else None,
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
            **common,
        )
    if kind == FieldKind.DECIMAL:
        return forms.DecimalField(
            min_value=_bound(field.min_value),
            max_value=_bound(field.max_value),
            max_digits=18,
            decimal_places=4,
            widget=forms.TextInput(attrs={"inputmode": "decimal", **text_attrs}),
            **common,
        )
    if kind == FieldKind.DATE:
        common["error_messages"]["invalid"] = _("Enter “%(label)s” as a date, e.g. 2026-03-01.") % {
            "label": field.label
        }
        return forms.DateField(
            input_formats=["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **common,
        )
    if kind == FieldKind.CHOICE:
        options = [(c, c) for c in field.choices or []]
        return forms.ChoiceField(choices=[("", _("Choose…")), *options], **common)
    if kind == FieldKind.ID_NUMBER:
        return NormalisedField(
            normalise=validate_resident_id,
            max_length=30,
            widget=forms.TextInput(
                attrs={**text_attrs, "autocapitalize": "characters", "spellcheck": "false"}
            ),
            **common,
        )
    if kind == FieldKind.USCC:
        return NormalisedField(
            normalise=validate_uscc,
            max_length=30,
            widget=forms.TextInput(
                attrs={**text_attrs, "autocapitalize": "characters", "spellcheck": "false"}
            ),
            **common,
        )
    if kind == FieldKind.MOBILE:
        return NormalisedField(
            normalise=validate_mobile,
            max_length=30,
            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
            **common,
        )
    if kind == FieldKind.EMAIL:
        common["error_messages"]["invalid"] = _("Enter an email address such as name@example.com.")
        return forms.EmailField(
            max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}), **common
        )
    raise ValueError(f"unknown form field kind {kind!r}")


class ApplicationForm(forms.Form):
    """The application form of one item version (``form_fields`` in their order)."""

    prefix = PREFIX

    def __init__(self, *args: Any, form_fields: Sequence[FormField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_fields = list(form_fields)
        for field in self.form_fields:
            self.fields[field.name] = form_field(field)

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any], *, form_fields: Sequence[FormField]) -> ApplicationForm:
        """The form bound to a draft's saved answers, so that checking it shows what is wrong."""
        data = {f"{PREFIX}-{f.name}": stored.get(f.name, "") for f in form_fields}
        return cls(data=data, form_fields=form_fields)

    @staticmethod
    def raw_data(data: Mapping[str, Any], *, form_fields: Sequence[FormField]) -> dict[str, str]:
        """What was typed, per field key, as text (trimmed and capped): kept by a draft
        whether or not it passes the checks yet."""
        raw: dict[str, str] = {}
        for f in form_fields:
            value = data.get(f"{PREFIX}-{f.name}", "")
            raw[f.name] = str(value if value is not None else "").strip()[:RAW_MAX]
        return raw

    def describe(self) -> ApplicationForm:
        """Tie each input to its help text and error message (``aria-describedby``) and
        mark inputs in error; call after validation, before rendering."""
        errors = self.errors if self.is_bound else {}
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}-help")
            if name in errors:
                ids.append(f"{bound.auto_id}-error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)
            if field.required:
                field.widget.attrs["aria-required"] = "true"
        return self

    def json_data(self) -> dict[str, Any]:
        """The checked answers in JSON-safe form (call after ``is_valid()``)."""
        out: dict[str, Any] = {}
        for f in self.form_fields:
            value = self.cleaned_data.get(f.name)
            if value is None or value == "":
                out[f.name] = ""
            elif isinstance(value, Decimal):
                out[f.name] = format(value.normalize(), "f")
            elif isinstance(value, dt.date):
                out[f.name] = value.isoformat()
            else:
                out[f.name] = value
        return out

    def display_rows(self) -> list[tuple[str, str]]:
        """(label, answer as shown) per field, for the review page and the receipt."""
        rows: list[tuple[str, str]] = []
        data = self.json_data() if hasattr(self, "cleaned_data") else {}
        for f in self.form_fields:
            rows.append((f.label, str(data.get(f.name, ""))))
        return rows
