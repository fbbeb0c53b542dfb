"""Forms of the staff workbench. They parse and check the shape of the input (numbers,
dates, files); the services decide everything else and their ``CaseError`` is shown on
the form's field (``apply_case_error``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.cases.models import ApplicantKind, CaseState, DeliveryMethod, SuspensionKind
from yiwang.cases.services import CaseError, Upload
from yiwang.cases.uploads import inspect_upload
from yiwang.catalog.models import ItemVersion, Material
from yiwang.org.models import Department

MOBILE_RE = re.compile(r"^1\d{10}$")
OTHER_ROWS = 3  # free rows of the supplement notice for materials outside the item's list


def apply_case_error(form: forms.Form, error: CaseError) -> None:
    """Show a service's error on the form: on its field when the form has it, else on top."""
    name = error.field if error.field in form.fields else None
    form.add_error(name, ValidationError(error.text, code=error.error_code))


class TextArea(forms.Textarea):
    def __init__(self, rows: int = 3, **kwargs: Any) -> None:
        super().__init__(attrs={"rows": rows, **kwargs})


def _text(label: Any, *, required: bool = False, rows: int = 0, max_length: int = 1000) -> forms.CharField:
    # Required-ness of texts is the services' decision (with their specific messages).
    widget = TextArea(rows) if rows else forms.TextInput()
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)


class MaterialFileField(forms.FileField):
    """A file for one material, checked by content (type and size) like the services do."""

    def clean(self, data: Any, initial: Any = None) -> UploadedFile | None:
        value = super().clean(data, initial)
        if value:
            inspect_upload(value)
        return value  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- actions


class AcceptForm(forms.Form):
    note = _text(_("Note (optional)"), rows=2)


class RefuseForm(forms.Form):
    reason = _text(_("Reason for not accepting"), rows=3)
    legal_basis = _text(pgettext_lazy("case action", "Legal basis"), rows=2)


class TransferForm(forms.Form):
    to_department = forms.ModelChoiceField(
        label=_("Competent department"), queryset=Department.objects.none(), required=False
    )
    reason = _text(_("Why the case belongs there"), rows=2)

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The departments of the case's city and of its province.
        path = case.region.path
        nearby = Q(region__path__startswith=path[:4]) | Q(region__path=path[:2])
        self.fields["to_department"].queryset = (  # type: ignore[attr-defined]
            Department.objects.filter(nearby, is_active=True)
            .exclude(pk=case.department_id)
            .select_related("region")
            .order_by("region__path", "name")
        )

    def clean_to_department(self) -> Department:
        department = self.cleaned_data.get("to_department")
        if department is None:
            raise ValidationError(_("Choose the department the case is transferred to."), code="required")
        return department  # type: ignore[no-any-return]


class SupplementForm(forms.Form):
    """The one-time notice: every material of the item with room for what is wrong, and
    a few rows for anything else."""

    def __init__(self, *args: Any, version: ItemVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.materials = list(version.materials.all())
        for material in self.materials:
            self.fields[f"problem_{material.pk}"] = _text(material.name, max_length=300)
        for i in range(1, OTHER_ROWS + 1):
            self.fields[f"other_name_{i}"] = _text(_("Other material"), max_length=200)
            self.fields[f"other_problem_{i}"] = _text(_("What is missing or wrong"), max_length=300)

    def material_fields(self) -> list[forms.BoundField]:
        return [self[f"problem_{m.pk}"] for m in self.materials]

    def other_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"other_name_{i}"], self[f"other_problem_{i}"]) for i in range(1, OTHER_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, OTHER_ROWS + 1):
            name, problem = data.get(f"other_name_{i}", ""), data.get(f"other_problem_{i}", "")
            if name and not problem:
                self.add_error(
                    f"other_problem_{i}", _("Say what is missing or wrong with “%(name)s”.") % {"name": name}
                )
            elif problem and not name:
                self.add_error(f"other_name_{i}", _("Name the material this problem is about."))
        return data

    def items(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = []
        for material in self.materials:
            problem = self.cleaned_data.get(f"problem_{material.pk}", "").strip()
            if problem:
                listed.append({"material": material.pk, "name": material.name, "problem": problem})
        for i in range(1, OTHER_ROWS + 1):
            name = self.cleaned_data.get(f"other_name_{i}", "").strip()
            problem = self.cleaned_data.get(f"other_problem_{i}", "").strip()
            if name and problem:
                listed.append({"material": None, "name": name, "problem": problem})
        return listed


class _MaterialUploadsMixin:
    """One optional file field per material of the version (``material_<pk>``) and one for
    other documents."""

    fields: dict[str, forms.Field]

    def add_material_fields(self, version: ItemVersion, *, only: Sequence[int] | None = None) -> None:
        self.materials: list[Material] = [m for m in version.materials.all() if only is None or m.pk in only]
        for material in self.materials:
            self.fields[f"material_{material.pk}"] = MaterialFileField(label=material.name, required=False)
        self.fields["other_file"] = MaterialFileField(label=_("Other document"), required=False)

    def material_fields(self) -> list[forms.BoundField]:
        return [self[f"material_{m.pk}"] for m in self.materials]  # type: ignore[index]

    def uploads(self) -> list[Upload]:
        data: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        found = [Upload(data[f"material_{m.pk}"], m) for m in self.materials if data.get(f"material_{m.pk}")]
        if data.get("other_file"):
            found.append(Upload(data["other_file"], None))
        return found


class ReceiveSupplementForm(_MaterialUploadsMixin, forms.Form):
    note = _text(_("Note (e.g. corrected on the spot)"), rows=2)

    def __init__(self, *args: Any, version: ItemVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_material_fields(version)


class PassStepForm(forms.Form):
    opinion = _text(_("Opinion"), rows=3)


class ReturnForm(forms.Form):
    to_step = forms.TypedChoiceField(label=_("Return to"), coerce=int, choices=())
    reason = _text(_("Why it goes back"), rows=2)

    def __init__(self, *args: Any, steps: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = [(i, name) for i, name in steps]  # type: ignore[attr-defined]


class SuspendForm(forms.Form):
    kind = forms.ChoiceField(label=_("Special procedure"), choices=SuspensionKind.choices)
    reason = _text(_("Why it is needed"), rows=2)
    expected_days = forms.IntegerField(
        label=_("Expected length (days)"),
        min_value=1,
        max_value=365,
        error_messages={"invalid": _("Enter the expected length as a whole number of days.")},
    )


class ResumeForm(forms.Form):
    result = _text(_("Result of the special procedure"), rows=2)


class ExtendForm(forms.Form):
    days = forms.IntegerField(
        label=_("Extension (days)"),
        min_value=1,
        error_messages={"invalid": _("Enter the extension as a whole number of days.")},
    )
    reason = _text(_("Reason (told to the applicant)"), rows=2)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approved", _("Approve")), ("denied", _("Deny"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve or deny.")},
    )
    reason = _text(_("Reason (required for a denial)"), rows=3)
    legal_basis = _text(_("Legal basis (required for a denial)"), rows=2)


class CompleteForm(forms.Form):
    fee_charged = forms.DecimalField(
        label=_("Fee charged (yuan)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Leave empty to record the fees paid online (or none)."),
        error_messages={"invalid": _("Enter the fee in yuan, e.g. 0 or 120.50.")},
    )
    result_number = _text(_("Number of the document issued"), max_length=100)
    result_valid_until = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date such as 2030-12-31.")},
    )


class DeliverForm(forms.Form):
    method = forms.ChoiceField(label=_("Delivery method"), choices=DeliveryMethod.choices)
    note = _text(_("Note (e.g. tracking number)"), max_length=200)


class WithdrawForm(forms.Form):
    reason = _text(_("The applicant's written request"), rows=2)


# --------------------------------------------------------------------------- search and intake


class NoEchoInput(forms.TextInput):
    """A text box that is never filled in again from the request: a searched ID number
    is not written back into the page."""

    def format_value(self, value: Any) -> str | None:
        return None


class SearchForm(forms.Form):
    """Sent by POST: an ID number must never appear in a URL or a server log."""

    number = _text(_("Case number"), max_length=30)
    applicant_name = _text(_("Applicant"), max_length=200)
    applicant_id_number = forms.CharField(
        label=_("ID number or USCC (exact)"),
        required=False,
        max_length=18,
        widget=NoEchoInput(attrs={"autocomplete": "off"}),
    )
    item = _text(_("Service item (name or code)"), max_length=200)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("any")), *CaseState.choices])
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False, empty_label=_("any")
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class ChooseItemForm(forms.Form):
    version = forms.ModelChoiceField(
        label=_("Service item"),
        queryset=ItemVersion.objects.none(),
        empty_label=_("Choose the service item"),
        error_messages={"invalid_choice": _("Choose a service item in force that your window handles.")},
    )

    def __init__(self, *args: Any, versions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["version"])
        field.queryset = versions
        field.label_from_instance = lambda v: (  # type: ignore[method-assign,assignment]
            f"{v.name}（{v.item.department.short_name or v.item.department.name}）"
        )


class IntakeForm(_MaterialUploadsMixin, forms.Form):
    version = forms.ModelChoiceField(queryset=ItemVersion.objects.none(), widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    applicant_kind = forms.ChoiceField(
        label=_("Applicant is"),
        choices=ApplicantKind.choices,
        widget=forms.RadioSelect,
        initial=ApplicantKind.INDIVIDUAL,
        error_messages={"required": _("Choose whether the applicant is an individual or an enterprise.")},
    )
    applicant_name = _text(_("Applicant's name"), max_length=200)
    applicant_id_number = _text(_("Resident ID number or USCC"), max_length=18)
    applicant_mobile = _text(_("Mobile"), max_length=11)

    def __init__(self, *args: Any, versions: Any, version: ItemVersion, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", version.pk)
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions  # type: ignore[attr-defined]
        self.fields["applicant_id_number"].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.fields["applicant_mobile"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        self.add_material_fields(version)

    def clean_applicant_mobile(self) -> str:
        mobile: str = self.cleaned_data.get("applicant_mobile", "").strip()
        if mobile and not MOBILE_RE.match(mobile):
            raise ValidationError(
                _("A mobile number is 11 digits starting with 1, such as 13812345678."), code="mobile_format"
            )
        return mobile
