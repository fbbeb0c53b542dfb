"""Fee orders (缴费单) of cases, the payment attempts made against them and every callback
a payment gateway sent.

An order is issued by the case's department once the case is approved and before it is
completed; its lines come from the item's fee list (收费项目 and 收费标准) and never above
the standard. Money is in fen (integer). An order is paid only by a gateway callback whose
signature, amount and trade number check out (``yiwang.payments.services``); the case is
completed only once its orders are paid or cancelled.

``SandboxTrade`` is the sandbox gateway's own book (the "bank side"), kept apart from the
merchant side so the sandbox behaves like a real gateway: it pays a trade once, and
its notification is checked by the same callback as a real one.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.cases.models import Case
from yiwang.catalog.models import Fee
from yiwang.org.models import Department, Region

FEN_PER_YUAN = 100


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


class OrderStatus(models.TextChoices):
    UNPAID = "unpaid", pgettext_lazy("fee order", "awaiting payment")
    PAID = "paid", pgettext_lazy("fee order", "paid")
    CANCELLED = "cancelled", pgettext_lazy("fee order", "cancelled")


LIVE_STATUSES = (OrderStatus.UNPAID, OrderStatus.PAID)


class FeeOrder(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="fee_orders"
    )
    number = models.CharField(_("order number"), max_length=40, unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    total_fen = models.PositiveBigIntegerField(_("total (fen)"))
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.UNPAID
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("fee order", "issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_by_name = models.CharField(_("issued by (name)"), max_length=100, blank=True)
    issued_at = models.DateTimeField(pgettext_lazy("fee order", "issued at"))
    due_date = models.DateField(_("pay by"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    gateway = models.CharField(_("payment gateway"), max_length=30, blank=True)
    gateway_trade_no = models.CharField(_("gateway trade number"), max_length=64, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=40, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    scope_region_field = "region"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("fee order")
        verbose_name_plural = _("fee orders")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # One order to pay or paid per case at a time: another is issued only after
            # the first is cancelled.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=[s.value for s in LIVE_STATUSES]),
                name="payments_one_live_order_per_case",
            ),
            models.UniqueConstraint(
                fields=["receipt_number"], condition=~Q(receipt_number=""), name="payments_receipt_unique"
            ),
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="payments_order_total_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in OrderStatus]), name="payments_order_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "issued_at"], name="payments_dept_status"),
            models.Index(fields=["status", "due_date"], name="payments_status_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Decimal:
        return fen_to_yuan(self.total_fen)

    @property
    def is_payable(self) -> bool:
        return self.status == OrderStatus.UNPAID

    @property
    def is_paid(self) -> bool:
        return self.status == OrderStatus.PAID


class FeeOrderLine(models.Model):
    order = models.ForeignKey(
        FeeOrder, verbose_name=_("fee order"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("line"))
    fee = models.ForeignKey(Fee, verbose_name=_("fee item"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("fee item"), max_length=200)
    basis = models.CharField(_("charging basis"), max_length=300)
    unit = models.CharField(_("charged per"), max_length=50, blank=True)
    standard_fen = models.PositiveBigIntegerField(_("standard (fen)"))
    quantity = models.PositiveIntegerField(_("quantity"))
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    reduction_reason = models.CharField(_("reason for the reduction"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("fee order line")
        verbose_name_plural = _("fee order lines")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="payments_line_position_unique"),
            models.CheckConstraint(
                condition=Q(amount_fen__lte=models.F("standard_fen") * models.F("quantity")),
                name="payments_line_within_standard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position} {self.name}"

    @property
    def standard(self) -> Decimal:
        return fen_to_yuan(self.standard_fen)

    @property
    def amount(self) -> Decimal:
        return fen_to_yuan(self.amount_fen)

    @property
    def reduced(self) -> bool:
        return self.amount_fen < self.standard_fen * self.quantity


class AttemptStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("payment attempt", "waiting for the payer")
    SUCCEEDED = "succeeded", pgettext_lazy("payment attempt", "paid")
    CLOSED = "closed", pgettext_lazy("payment attempt", "closed")


class PaymentAttempt(models.Model):
    """One trip to the gateway's cashier, under its own merchant trade number."""

    order = models.ForeignKey(
        FeeOrder, verbose_name=_("fee order"), on_delete=models.PROTECT, related_name="attempts"
    )
    gateway = models.CharField(_("payment gateway"), max_length=30)
    out_trade_no = models.CharField(_("merchant trade number"), max_length=64, unique=True)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("payer"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    status = models.CharField(
        _("status"), max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.PENDING
    )
    gateway_trade_no = models.CharField(_("gateway trade number"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    needs_refund = models.BooleanField(
        _("needs a refund"),
        default=False,
        help_text=_("The gateway took the money but the order was already paid or cancelled."),
    )

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["order", "created_at", "pk"]

    def __str__(self) -> str:
        return self.out_trade_no


class CallbackOutcome(models.TextChoices):
    PAID = "paid", pgettext_lazy("callback", "payment recorded")
    ALREADY_PROCESSED = "already_processed", pgettext_lazy("callback", "already processed")
    NEEDS_REFUND = "needs_refund", pgettext_lazy("callback", "paid again or after cancelling: refund")
    BAD_SIGNATURE = "bad_signature", pgettext_lazy("callback", "signature invalid")
    MALFORMED = "malformed", pgettext_lazy("callback", "unreadable")
    STALE = "stale", pgettext_lazy("callback", "timestamp outside the replay window")
    UNKNOWN_TRADE = "unknown_trade", pgettext_lazy("callback", "unknown trade number")
    AMOUNT_MISMATCH = "amount_mismatch", pgettext_lazy("callback", "amount does not match")
    TRADE_MISMATCH = "trade_mismatch", pgettext_lazy("callback", "gateway trade number does not match")


ACCEPTED_OUTCOMES = (CallbackOutcome.PAID, CallbackOutcome.NEEDS_REFUND)


class GatewayCallback(models.Model):
    """Every notification a gateway (or anyone claiming to be one) posted, as received."""

    gateway = models.CharField(_("payment gateway"), max_length=30)
    notify_id = models.CharField(_("notification id"), max_length=64, blank=True)
    out_trade_no = models.CharField(_("merchant trade number"), max_length=64, blank=True)
    received_at = models.DateTimeField(pgettext_lazy("callback", "received at"))
    raw_body = models.TextField(_("body as received"), blank=True)
    signature = models.CharField(_("signature as received"), max_length=200, blank=True)
    signature_valid = models.BooleanField(_("signature valid"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallbackOutcome.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    attempt = models.ForeignKey(
        PaymentAttempt,
        verbose_name=_("payment attempt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callbacks",
    )

    class Meta:
        verbose_name = _("gateway callback")
        verbose_name_plural = _("gateway callbacks")
        ordering = ["-received_at", "-pk"]
        constraints = [
            # A notification changes the books once. Only genuine notifications that did
            # so count: forged ones naming a real notify_id must not block the real one.
            models.UniqueConstraint(
                fields=["gateway", "notify_id"],
                condition=Q(outcome__in=[o.value for o in ACCEPTED_OUTCOMES]),
                name="payments_callback_processed_once",
            ),
        ]
        indexes = [models.Index(fields=["received_at"], name="payments_callback_received")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.notify_id or '-'} {self.outcome}"


class SandboxTradeStatus(models.TextChoices):
    PAID = "paid", pgettext_lazy("sandbox trade", "paid")
    CLOSED = "closed", pgettext_lazy("sandbox trade", "closed by the merchant")


class SandboxTrade(models.Model):
    """The sandbox gateway's own record of a trade (its "bank side")."""

    out_trade_no = models.CharField(_("merchant trade number"), max_length=64, unique=True)
    trade_no = models.CharField(_("gateway trade number"), max_length=64, unique=True)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=10, choices=SandboxTradeStatus.choices)
    notify_url = models.CharField(_("notification address"), max_length=300)
    notify_id = models.CharField(_("notification id"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    notified_at = models.DateTimeField(_("notification acknowledged at"), null=True, blank=True)
    notify_attempts = models.PositiveIntegerField(_("notifications sent"), default=0)

    class Meta:
        verbose_name = _("sandbox trade")
        verbose_name_plural = _("sandbox trades")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.trade_no} {self.status}"
