"""Forms of the fee pages: the staff's order form (one row per fee of the item) and the
reason for cancelling. Rules on amounts are the services' (with their messages)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Fee
from yiwang.payments.errors import PaymentError
from yiwang.payments.services import LineInput


@dataclass(frozen=True)
class FeeRow:
    fee: Fee
    include: forms.BoundField
    quantity: forms.BoundField
    amount: forms.BoundField
    reduction: forms.BoundField


# The service's field names → the suffix of the row's form field.
_FIELD_SUFFIX = {"quantity": "quantity", "amount": "amount", "reduction_reason": "reduction"}


class IssueForm(forms.Form):
    def __init__(self, data: Any = None, *, fees: Sequence[Fee]) -> None:
        super().__init__(data)
        self.fees = list(fees)
        for fee in self.fees:
            key = f"fee_{fee.pk}"
            self.fields[f"{key}_include"] = forms.BooleanField(
                label=_("Charge “%(fee)s”") % {"fee": fee.name},
                required=False,
                initial=fee.standard_amount > 0,
            )
            self.fields[f"{key}_quantity"] = forms.IntegerField(
                label=_("Quantity"),
                required=False,
                initial=1,
                min_value=1,
                max_value=999,
                error_messages={"invalid": _("Enter a whole number.")},
            )
            self.fields[f"{key}_amount"] = forms.DecimalField(
                label=_("Amount charged (yuan)"),
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                help_text=_("Leave empty to charge the standard × quantity."),
                error_messages={"invalid": _("Enter the amount in yuan, e.g. 80 or 12.50.")},
            )
            self.fields[f"{key}_amount"].widget.attrs["placeholder"] = str(fee.standard_amount)
            self.fields[f"{key}_reduction"] = forms.CharField(
                label=_("Reason for a reduction or exemption"), required=False, max_length=300
            )

    def rows(self) -> Iterator[FeeRow]:
        for fee in self.fees:
            key = f"fee_{fee.pk}"
            yield FeeRow(
                fee=fee,
                include=self[f"{key}_include"],
                quantity=self[f"{key}_quantity"],
                amount=self[f"{key}_amount"],
                reduction=self[f"{key}_reduction"],
            )

    def lines(self) -> list[LineInput]:
        d = self.cleaned_data
        return [
            LineInput(
                fee=fee.pk,
                quantity=d.get(f"fee_{fee.pk}_quantity") or 1,
                amount=d.get(f"fee_{fee.pk}_amount"),
                reduction_reason=d.get(f"fee_{fee.pk}_reduction") or "",
            )
            for fee in self.fees
            if d.get(f"fee_{fee.pk}_include")
        ]

    def apply_error(self, error: PaymentError) -> None:
        name = None
        if error.fee_id is not None and error.field in _FIELD_SUFFIX:
            candidate = f"fee_{error.fee_id}_{_FIELD_SUFFIX[error.field]}"
            name = candidate if candidate in self.fields else None
        self.add_error(name, ValidationError(error.text, code=error.error_code))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling (told to the applicant)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def apply_error(self, error: PaymentError) -> None:
        name = error.field if error.field in self.fields else None
        self.add_error(name, ValidationError(error.text, code=error.error_code))
