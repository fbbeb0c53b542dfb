"""The error every payments service raises when it refuses: a polite message, a stable
machine code and, where one field is at fault, its name (and for an order line, the fee
it is about). A refused action has changed nothing (a refused gateway callback is only
logged)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import ServiceError


class PaymentErrorCode(models.TextChoices):
    FORBIDDEN = "forbidden", _("not allowed for this user")
    ILLEGAL_IN_STATE = "illegal_in_state", _("not possible in the current state")
    BAD_INPUT = "bad_input", _("bad input")
    NO_FEE = "no_fee", _("no fee to charge")
    NOT_IN_FEE_LIST = "not_in_fee_list", _("not in the item's fee list")
    ABOVE_STANDARD = "above_standard", _("above the fee standard")
    REDUCTION_REASON_REQUIRED = "reduction_reason_required", _("reason for the reduction required")
    REASON_REQUIRED = "reason_required", _("reason required")
    NO_ACCOUNT = "no_account", _("the applicant has no online account")
    UNKNOWN_GATEWAY = "unknown_gateway", _("unknown payment gateway")
    BAD_SIGNATURE = "bad_signature", _("signature invalid")
    MALFORMED = "malformed", _("notification unreadable")
    STALE = "stale", _("notification outside the replay window")
    UNKNOWN_TRADE = "unknown_trade", _("unknown trade number")
    AMOUNT_MISMATCH = "amount_mismatch", _("amount does not match")
    TRADE_MISMATCH = "trade_mismatch", _("gateway trade number does not match")


class PaymentError(ServiceError):
    def __init__(
        self, message: str, code: str, field: str | None = None, *, fee_id: int | None = None
    ) -> None:
        super().__init__(message, code, field)
        self.fee_id = fee_id
