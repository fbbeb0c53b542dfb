"""Forms of the supervision console. They check the shape of the input (a date, a known
choice); the services decide everything else, and their ``SupervisionError`` is shown on
the form's field (``apply_supervision_error``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.supervision.models import NoticeKind
from yiwang.supervision.services import SupervisionError

TEXT_LIMIT = 2000


def apply_supervision_error(form: forms.Form, error: SupervisionError) -> None:
    """Show a service's error on the form: on its field when the form has it, else on top."""
    name = error.field if error.field in form.fields else None
    form.add_error(name, ValidationError(error.text, code=error.code))


def _text(label: Any, *, rows: int, help_text: Any = "") -> forms.CharField:
    # Whether a text may be empty is the services' decision (with their specific messages).
    return forms.CharField(
        label=label,
        required=False,
        max_length=TEXT_LIMIT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class NoticeForm(forms.Form):
    """A supervisor issues a notice about a case."""

    kind = forms.ChoiceField(
        label=pgettext_lazy("supervision", "Kind of notice"),
        # A supervision decision (监察决定书) concludes an efficiency complaint, not a case.
        choices=[(k, label) for k, label in NoticeKind.choices if k != NoticeKind.DECISION],
        initial=NoticeKind.URGING,
    )
    facts = _text(pgettext_lazy("supervision", "Facts"), rows=4)
    requirement = _text(
        pgettext_lazy("supervision", "Requirement"),
        rows=3,
        help_text=_("Leave empty for the standard wording of this kind of notice."),
    )
    reply_by = forms.DateField(
        label=pgettext_lazy("supervision", "Reply by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: three working days from today."),
    )


class ExplainForm(forms.Form):
    """The department's explanation (情况说明) of an alert."""

    text = _text(pgettext_lazy("supervision", "Explanation"), rows=5)


VERDICTS = (
    ("accept", pgettext_lazy("verdict", "Accept the explanation")),
    ("reject", pgettext_lazy("verdict", "Reject the explanation")),
    ("escalate", pgettext_lazy("verdict", "Escalate")),
)


class ConcludeForm(forms.Form):
    """A supervisor accepts or rejects the explanation, or escalates the alert."""

    verdict = forms.ChoiceField(
        label=pgettext_lazy("supervision", "Conclusion"),
        choices=VERDICTS,
        error_messages={
            "required": _("Accept, reject or escalate."),
            "invalid_choice": _("Accept, reject or escalate."),
        },
    )
    note = _text(
        pgettext_lazy("supervision", "Note"),
        rows=3,
        help_text=_("Required to reject or to escalate."),
    )
