"""Every write to fee orders: issue and cancel (department staff), start a payment (the
applicant), confirm a payment (the gateway's signed callback), expire unpaid orders.

Each function checks who may act and in which state, and raises ``PaymentError`` having
changed nothing when it refuses; a refused gateway callback is only logged as a
``GatewayCallback``. Orders and callbacks are locked in one order (the order row, then
its attempts), so a confirmation racing a new payment or a cancellation waits for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiwang.cases.models import Case, CaseState, Decision
from yiwang.core.notify import INBOX, Message, send
from yiwang.org.permissions import staff_of
from yiwang.payments import selectors
from yiwang.payments.errors import PaymentError, PaymentErrorCode
from yiwang.payments.gateways import (
    CallbackData,
    CallbackRejected,
    PaymentGateway,
    configured_gateway,
    gateway_named,
)
from yiwang.payments.models import (
    ACCEPTED_OUTCOMES,
    FEN_PER_YUAN,
    LIVE_STATUSES,
    AttemptStatus,
    CallbackOutcome,
    FeeOrder,
    FeeOrderLine,
    GatewayCallback,
    OrderStatus,
    PaymentAttempt,
    fen_to_yuan,
)

logger = logging.getLogger("yiwang.payments")

MAX_QUANTITY = 999
MAX_CALLBACK_BYTES = 64 * 1024
STORED_BODY_CHARS = 8000
_CLOCK_SKEW = dt.timedelta(minutes=1)


def due_days() -> int:
    """Natural days the applicant has to pay an order (local setting; default 15)."""
    return int(getattr(settings, "PAYMENT_DUE_DAYS", 15))


def callback_max_age() -> dt.timedelta:
    """A notification sent longer ago than this is refused as a possible replay."""
    return dt.timedelta(seconds=int(getattr(settings, "PAYMENT_CALLBACK_MAX_AGE", 300)))


def _now() -> dt.datetime:
    return timezone.now()


def _yuan(fen: int) -> str:
    return str(fen_to_yuan(fen))


# --------------------------------------------------------------------------- issue


@dataclass(frozen=True)
class LineInput:
    """One line asked for: a fee of the item's fee list (its id), how many, and the amount
    in yuan when it is less than standard × quantity (then with the reason)."""

    fee: int
    quantity: int = 1
    amount: Decimal | str | int | None = None
    reduction_reason: str = ""


def to_fen(value: Decimal | str | int, *, field: str = "amount", fee_id: int | None = None) -> int:
    """Yuan with at most two decimals → fen; anything else is refused."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise PaymentError(
            _("Enter an amount in yuan with at most two decimals, e.g. 80 or 12.50."),
            PaymentErrorCode.BAD_INPUT,
            field,
            fee_id=fee_id,
        )
    return int(amount * FEN_PER_YUAN)


def _lock_case(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("item_version").get(pk=case.pk)


def _require_issuer(user: Any, case: Case) -> None:
    if not selectors.may_issue(user, case):
        raise PaymentError(
            _(
                "You may not issue or cancel fee orders of case %(number)s: that is for its department's "
                "handler, approver or window staff."
            )
            % {"number": case.number},
            PaymentErrorCode.FORBIDDEN,
        )


def _require_chargeable(case: Case) -> None:
    if case.state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.IN_PROGRESS, CaseState.SUSPENDED):
        raise PaymentError(
            _("Case %(number)s is not decided yet: a fee order is issued once the application is approved.")
            % {"number": case.number},
            PaymentErrorCode.ILLEGAL_IN_STATE,
        )
    if case.state == CaseState.DECIDED and case.decision == Decision.DENIED:
        raise PaymentError(
            _("Case %(number)s was denied: no fee is charged.") % {"number": case.number},
            PaymentErrorCode.ILLEGAL_IN_STATE,
        )
    if case.state != CaseState.DECIDED:
        raise PaymentError(
            _("Case %(number)s is “%(state)s”: fees are charged between the approval and the completion.")
            % {"number": case.number, "state": CaseState(case.state).label},
            PaymentErrorCode.ILLEGAL_IN_STATE,
        )


def _build_lines(case: Case, lines: Sequence[LineInput]) -> list[FeeOrderLine]:
    fees = {fee.pk: fee for fee in case.item_version.fees.all()}
    if not any(fee.standard_amount > 0 for fee in fees.values()):
        raise PaymentError(
            _("“%(item)s” charges no fee: no order is needed.") % {"item": case.item_version.name},
            PaymentErrorCode.NO_FEE,
        )
    if not lines:
        raise PaymentError(_("Choose at least one fee item."), PaymentErrorCode.BAD_INPUT, "lines")
    built: list[FeeOrderLine] = []
    seen: set[int] = set()
    for position, line in enumerate(lines, start=1):
        fee = fees.get(line.fee) if isinstance(line.fee, int) else None
        if fee is None:
            raise PaymentError(
                _(
                    "Line %(n)d is not a fee of “%(item)s”: only the fees in the item's published fee list may be charged."
                )
                % {"n": position, "item": case.item_version.name},
                PaymentErrorCode.NOT_IN_FEE_LIST,
                "lines",
            )
        if fee.pk in seen:
            raise PaymentError(
                _("“%(fee)s” is listed twice; charge it once with a quantity.") % {"fee": fee.name},
                PaymentErrorCode.BAD_INPUT,
                "quantity",
                fee_id=fee.pk,
            )
        seen.add(fee.pk)
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise PaymentError(
                _("The quantity of “%(fee)s” is a whole number from 1 to %(max)d.")
                % {"fee": fee.name, "max": MAX_QUANTITY},
                PaymentErrorCode.BAD_INPUT,
                "quantity",
                fee_id=fee.pk,
            )
        standard = to_fen(fee.standard_amount)
        ceiling = standard * quantity
        amount = ceiling if line.amount is None or line.amount == "" else to_fen(line.amount, fee_id=fee.pk)
        reason = (line.reduction_reason or "").strip()
        if amount > ceiling:
            raise PaymentError(
                _(
                    "“%(fee)s”: ¥%(amount)s is above the standard (¥%(standard)s × %(quantity)d = ¥%(ceiling)s). "
                    "Nothing may be charged above the published standard."
                )
                % {
                    "fee": fee.name,
                    "amount": _yuan(amount),
                    "standard": _yuan(standard),
                    "quantity": quantity,
                    "ceiling": _yuan(ceiling),
                },
                PaymentErrorCode.ABOVE_STANDARD,
                "amount",
                fee_id=fee.pk,
            )
        if amount < ceiling and not reason:
            raise PaymentError(
                _(
                    "“%(fee)s” is charged below its standard of ¥%(ceiling)s: give the reason for the reduction or exemption."
                )
                % {"fee": fee.name, "ceiling": _yuan(ceiling)},
                PaymentErrorCode.REDUCTION_REASON_REQUIRED,
                "reduction_reason",
                fee_id=fee.pk,
            )
        built.append(
            FeeOrderLine(
                position=position,
                fee=fee,
                name=fee.name,
                basis=fee.basis,
                unit=fee.unit,
                standard_fen=standard,
                quantity=quantity,
                amount_fen=amount,
                reduction_reason=reason if amount < ceiling else "",
            )
        )
    return built


def _tell_applicant(case: Case, subject: str, body: str, link: str, kind: str) -> None:
    if case.applicant_user is not None:
        send([Message(recipient=case.applicant_user, subject=subject, body=body, link=link, kind=kind)])


@transaction.atomic
def order_issue(
    *, case: Case, user: Any, lines: Sequence[LineInput], at: dt.datetime | None = None
) -> FeeOrder:
    """开具缴费单: after the approval and before the completion, from the item's fees, never
    above the standard; a reduction carries its reason. The applicant is told."""
    _require_issuer(user, case)
    locked = _lock_case(case)
    _require_chargeable(locked)
    if locked.applicant_user_id is None:
        raise PaymentError(
            _(
                "The applicant of case %(number)s has no online account to pay with: collect the fee at the "
                "window and record it at completion."
            )
            % {"number": locked.number},
            PaymentErrorCode.NO_ACCOUNT,
        )
    live = FeeOrder.objects.filter(case=locked, status__in=LIVE_STATUSES).first()
    if live is not None:
        raise PaymentError(
            _(
                "Case %(number)s already has fee order %(order)s (%(status)s); cancel it before issuing another."
            )
            % {"number": locked.number, "order": live.number, "status": OrderStatus(live.status).label},
            PaymentErrorCode.ILLEGAL_IN_STATE,
        )
    built = _build_lines(locked, lines)
    total = sum(line.amount_fen for line in built)
    if total <= 0:
        raise PaymentError(
            _("The order comes to ¥0.00: nothing is to be paid, so no order is issued."),
            PaymentErrorCode.NO_FEE,
            "lines",
        )
    at = at or _now()
    sequence = FeeOrder.objects.filter(case=locked).count() + 1
    staff = staff_of(user)
    order = FeeOrder.objects.create(
        case=locked,
        number=f"JF{locked.number}{sequence:02d}",
        department_id=locked.department_id,
        region_id=locked.region_id,
        total_fen=total,
        issued_by=user,
        issued_by_name=staff.name if staff else user.get_username(),
        issued_at=at,
        due_date=timezone.localdate(at) + dt.timedelta(days=due_days()),
    )
    for line in built:
        line.order = order
    FeeOrderLine.objects.bulk_create(built)
    with translation.override(settings.LANGUAGE_CODE):
        _tell_applicant(
            locked,
            _("Fee of ¥%(total)s to pay for case %(number)s")
            % {"total": order.total, "number": locked.number},
            _("“%(item)s” was approved. Fee order %(order)s of ¥%(total)s is to be paid online by %(due)s.")
            % {
                "item": locked.item_version.name,
                "order": order.number,
                "total": order.total,
                "due": order.due_date.isoformat(),
            },
            reverse("payments:order", args=[order.number]),
            "payment.order",
        )
    return order


def _lock_order(order: FeeOrder) -> FeeOrder:
    return (
        FeeOrder.objects.select_for_update(of=("self",))
        .select_related("case", "case__item_version", "case__applicant_user")
        .get(pk=order.pk)
    )


def _close_attempts(order: FeeOrder, gateway: PaymentGateway | None, keep: int | None = None) -> None:
    pending = list(order.attempts.filter(status=AttemptStatus.PENDING).exclude(pk=keep))
    if not pending:
        return
    PaymentAttempt.objects.filter(pk__in=[a.pk for a in pending]).update(status=AttemptStatus.CLOSED)
    for attempt in pending:
        target = (
            gateway
            if gateway is not None and gateway.name == attempt.gateway
            else gateway_named(attempt.gateway)
        )
        if target is not None:
            target.close_payment(attempt)


def _cancel(order: FeeOrder, user: Any, reason: str, at: dt.datetime) -> FeeOrder:
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = at
    order.cancelled_by = user if user is not None and user.is_authenticated else None
    order.cancel_reason = reason
    order.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    _close_attempts(order, None)
    return order


@transaction.atomic
def order_cancel(*, order: FeeOrder, user: Any, reason: str, at: dt.datetime | None = None) -> FeeOrder:
    """Cancel an unpaid order (wrong lines, a reduction granted later …), with the reason;
    its open payments are closed at the gateway and the applicant is told."""
    locked = _lock_order(order)
    _require_issuer(user, locked.case)
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Say why the order is cancelled."), PaymentErrorCode.REASON_REQUIRED, "reason")
    if locked.status != OrderStatus.UNPAID:
        raise PaymentError(
            _("Fee order %(order)s is %(status)s: only an unpaid order can be cancelled.")
            % {"order": locked.number, "status": OrderStatus(locked.status).label},
            PaymentErrorCode.ILLEGAL_IN_STATE,
        )
    _cancel(locked, user, reason[:300], at or _now())
    with translation.override(settings.LANGUAGE_CODE):
        _tell_applicant(
            locked.case,
            _("Fee order %(order)s cancelled") % {"order": locked.number},
            _("Fee order %(order)s of case %(number)s was cancelled: %(reason)s")
            % {"order": locked.number, "number": locked.case.number, "reason": locked.cancel_reason},
            reverse("payments:case_orders", args=[locked.case.number]),
            "payment.cancelled",
        )
    return locked


# --------------------------------------------------------------------------- pay


def _out_trade_no(at: dt.datetime) -> str:
    return f"PA{timezone.localtime(at):%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


@transaction.atomic
def payment_start(*, order: FeeOrder, user: Any, base_url: str = "", at: dt.datetime | None = None) -> str:
    """The payer goes to the gateway's cashier: a new attempt under a new merchant trade
    number (earlier unpaid attempts are closed, so one order is not paid twice); returns
    the address to send the payer to. ``base_url`` (scheme and host) makes the return and
    notification addresses absolute for a gateway outside this site."""
    locked = _lock_order(order)
    if not selectors.may_pay(user, locked.case):
        raise PaymentError(
            _("Only the applicant of case %(number)s (or an agent they authorised) may pay its fees.")
            % {"number": locked.case.number},
            PaymentErrorCode.FORBIDDEN,
        )
    if locked.status == OrderStatus.PAID:
        raise PaymentError(
            _("Fee order %(order)s is already paid.") % {"order": locked.number},
            PaymentErrorCode.ILLEGAL_IN_STATE,
        )
    if locked.status == OrderStatus.CANCELLED:
        raise PaymentError(
            _("Fee order %(order)s was cancelled and can no longer be paid.") % {"order": locked.number},
            PaymentErrorCode.ILLEGAL_IN_STATE,
        )
    at = at or _now()
    if timezone.localdate(at) > locked.due_date:
        raise PaymentError(
            _("Fee order %(order)s was due by %(due)s; ask the department to issue a new one.")
            % {"order": locked.number, "due": locked.due_date.isoformat()},
            PaymentErrorCode.ILLEGAL_IN_STATE,
        )
    gateway = configured_gateway()
    _close_attempts(locked, gateway)
    attempt = PaymentAttempt.objects.create(
        order=locked,
        gateway=gateway.name,
        out_trade_no=_out_trade_no(at),
        amount_fen=locked.total_fen,
        payer=user,
        created_at=at,
    )
    base = base_url.rstrip("/")
    return gateway.create_payment(
        locked,
        attempt,
        return_url=base + reverse("payments:returned", args=[locked.number]),
        notify_url=base + reverse("payments:callback", args=[gateway.name]),
    )


# --------------------------------------------------------------------------- confirm


@dataclass(frozen=True)
class Confirmation:
    outcome: str
    message: str
    order: FeeOrder | None = None


REFUSALS: dict[str, str] = {
    CallbackOutcome.BAD_SIGNATURE: PaymentErrorCode.BAD_SIGNATURE,
    CallbackOutcome.MALFORMED: PaymentErrorCode.MALFORMED,
    CallbackOutcome.STALE: PaymentErrorCode.STALE,
    CallbackOutcome.UNKNOWN_TRADE: PaymentErrorCode.UNKNOWN_TRADE,
    CallbackOutcome.AMOUNT_MISMATCH: PaymentErrorCode.AMOUNT_MISMATCH,
    CallbackOutcome.TRADE_MISMATCH: PaymentErrorCode.TRADE_MISMATCH,
}


def _log(
    gateway: PaymentGateway,
    body: bytes,
    headers: Mapping[str, str],
    at: dt.datetime,
    *,
    outcome: str,
    detail: str,
    valid: bool,
    notify_id: str = "",
    out_trade_no: str = "",
    attempt: PaymentAttempt | None = None,
) -> GatewayCallback:
    return GatewayCallback.objects.create(
        gateway=gateway.name,
        notify_id=notify_id[:64],
        out_trade_no=out_trade_no[:64],
        received_at=at,
        raw_body=body[:STORED_BODY_CHARS].decode("utf-8", errors="replace"),
        signature=gateway.signature_of(headers)[:200],
        signature_valid=valid,
        outcome=outcome,
        detail=detail[:300],
        attempt=attempt,
    )


def payment_confirm(
    *, gateway: str, body: bytes, headers: Mapping[str, str], at: dt.datetime | None = None
) -> Confirmation:
    """A gateway says a trade was paid. Believed only with a valid signature, a timestamp
    inside the replay window, a known merchant trade number and the attempt's amount;
    then the order is paid once, whatever the number of notifications. Every
    notification is logged; a refused one raises ``PaymentError`` having changed nothing
    else. Call it outside a transaction, so the log of a refusal stays."""
    adapter = gateway_named(gateway)
    if adapter is None:
        raise PaymentError(_("No payment gateway of this name."), PaymentErrorCode.UNKNOWN_GATEWAY)
    now = at or _now()
    if len(body) > MAX_CALLBACK_BYTES:
        _log(
            adapter,
            body,
            headers,
            now,
            outcome=CallbackOutcome.MALFORMED,
            detail="body too large",
            valid=False,
        )
        raise PaymentError(_("The notification is too large."), PaymentErrorCode.MALFORMED)
    try:
        data = adapter.verify_callback(body, headers)
    except CallbackRejected as rejected:
        _log(
            adapter,
            body,
            headers,
            now,
            outcome=rejected.code,
            detail=rejected.message,
            valid=rejected.code != CallbackOutcome.BAD_SIGNATURE,
            notify_id=rejected.notify_id,
            out_trade_no=rejected.out_trade_no,
        )
        logger.warning("payment callback refused (%s) from gateway %s", rejected.code, adapter.name)
        raise PaymentError(_refusal_text(rejected.code), REFUSALS[rejected.code]) from None
    if now - data.sent_at > callback_max_age() or data.sent_at - now > _CLOCK_SKEW:
        _log(
            adapter,
            body,
            headers,
            now,
            outcome=CallbackOutcome.STALE,
            detail=f"sent at {data.sent_at.isoformat()}",
            valid=True,
            notify_id=data.notify_id,
            out_trade_no=data.out_trade_no,
        )
        raise PaymentError(_refusal_text(CallbackOutcome.STALE), PaymentErrorCode.STALE)
    for _try in range(2):
        try:
            confirmation = _settle(adapter, data, body, headers, now)
            break
        except IntegrityError:
            # A twin notification was settled at the same moment (only possible where the
            # database has no row locks, i.e. SQLite): once more, it is now a replay.
            continue
    else:  # pragma: no cover (the second try sees the twin's callback)
        raise PaymentError(_refusal_text(CallbackOutcome.MALFORMED), PaymentErrorCode.MALFORMED)
    if confirmation.outcome in REFUSALS:
        raise PaymentError(confirmation.message, REFUSALS[confirmation.outcome])
    return confirmation


def _refusal_text(outcome: str) -> str:
    texts = {
        CallbackOutcome.BAD_SIGNATURE: _("The notification's signature is not valid."),
        CallbackOutcome.MALFORMED: _("The notification cannot be read."),
        CallbackOutcome.STALE: _("The notification's timestamp is outside the accepted window."),
        CallbackOutcome.UNKNOWN_TRADE: _("No payment was started under this merchant trade number."),
        CallbackOutcome.AMOUNT_MISMATCH: _("The amount paid does not match the payment started."),
        CallbackOutcome.TRADE_MISMATCH: _(
            "This payment was already recorded under another gateway trade number."
        ),
    }
    return texts.get(outcome, _("The notification was refused."))


@transaction.atomic
def _settle(
    adapter: PaymentGateway, data: CallbackData, body: bytes, headers: Mapping[str, str], now: dt.datetime
) -> Confirmation:
    def log(outcome: str, detail: str, attempt: PaymentAttempt | None = None) -> None:
        _log(
            adapter,
            body,
            headers,
            now,
            outcome=outcome,
            detail=detail,
            valid=True,
            notify_id=data.notify_id,
            out_trade_no=data.out_trade_no,
            attempt=attempt,
        )

    found = PaymentAttempt.objects.filter(gateway=adapter.name, out_trade_no=data.out_trade_no).first()
    if found is None:
        log(CallbackOutcome.UNKNOWN_TRADE, "")
        return Confirmation(CallbackOutcome.UNKNOWN_TRADE, _refusal_text(CallbackOutcome.UNKNOWN_TRADE))
    order = _lock_order(FeeOrder(pk=found.order_id))
    attempt = PaymentAttempt.objects.select_for_update().get(pk=found.pk)
    if GatewayCallback.objects.filter(
        gateway=adapter.name, notify_id=data.notify_id, outcome__in=ACCEPTED_OUTCOMES
    ).exists():
        log(CallbackOutcome.ALREADY_PROCESSED, "notification already processed", attempt)
        return Confirmation(CallbackOutcome.ALREADY_PROCESSED, "already processed", order)
    if data.amount_fen != attempt.amount_fen:
        log(
            CallbackOutcome.AMOUNT_MISMATCH,
            f"paid {data.amount_fen} fen, expected {attempt.amount_fen}",
            attempt,
        )
        return Confirmation(
            CallbackOutcome.AMOUNT_MISMATCH, _refusal_text(CallbackOutcome.AMOUNT_MISMATCH), order
        )
    if attempt.status == AttemptStatus.SUCCEEDED:
        if attempt.gateway_trade_no == data.trade_no:
            log(CallbackOutcome.ALREADY_PROCESSED, "trade already recorded", attempt)
            return Confirmation(CallbackOutcome.ALREADY_PROCESSED, "already processed", order)
        log(
            CallbackOutcome.TRADE_MISMATCH,
            f"recorded {attempt.gateway_trade_no}, told {data.trade_no}",
            attempt,
        )
        return Confirmation(
            CallbackOutcome.TRADE_MISMATCH, _refusal_text(CallbackOutcome.TRADE_MISMATCH), order
        )
    attempt.status = AttemptStatus.SUCCEEDED
    attempt.gateway_trade_no = data.trade_no[:64]
    attempt.paid_at = data.paid_at
    if order.status != OrderStatus.UNPAID:
        # The money was taken for an order paid through another trade, or cancelled:
        # nothing is paid twice here; the trade is kept for a refund.
        attempt.needs_refund = True
        attempt.save(update_fields=["status", "gateway_trade_no", "paid_at", "needs_refund"])
        log(CallbackOutcome.NEEDS_REFUND, f"order {order.status}", attempt)
        _tell_refund(order, attempt)
        return Confirmation(CallbackOutcome.NEEDS_REFUND, "recorded for a refund", order)
    attempt.save(update_fields=["status", "gateway_trade_no", "paid_at"])
    order.status = OrderStatus.PAID
    order.paid_at = data.paid_at
    order.gateway = adapter.name
    order.gateway_trade_no = data.trade_no[:64]
    order.receipt_number = "SJ" + order.number.removeprefix("JF")
    order.save(update_fields=["status", "paid_at", "gateway", "gateway_trade_no", "receipt_number"])
    _close_attempts(order, adapter, keep=attempt.pk)
    log(CallbackOutcome.PAID, "", attempt)
    _tell_paid(order)
    return Confirmation(CallbackOutcome.PAID, "payment recorded", order)


def _tell_paid(order: FeeOrder) -> None:
    case = order.case
    with translation.override(settings.LANGUAGE_CODE):
        messages = [
            Message(
                recipient=order.issued_by,
                subject=_("Fee order %(order)s paid: case %(number)s can be completed")
                % {"order": order.number, "number": case.number},
                body=_("¥%(total)s received; receipt %(receipt)s.")
                % {"total": order.total, "receipt": order.receipt_number},
                link=reverse("cases:case", args=[case.number]),
                kind="payment.paid",
                channels=(INBOX,),
            )
        ]
        if case.applicant_user is not None:
            messages.append(
                Message(
                    recipient=case.applicant_user,
                    subject=_("Payment of ¥%(total)s received for case %(number)s")
                    % {"total": order.total, "number": case.number},
                    body=_("Fee order %(order)s is paid. Your receipt number is %(receipt)s.")
                    % {"order": order.number, "receipt": order.receipt_number},
                    link=reverse("payments:receipt", args=[order.number]),
                    kind="payment.paid",
                )
            )
    send(messages)


def _tell_refund(order: FeeOrder, attempt: PaymentAttempt) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        send(
            [
                Message(
                    recipient=order.issued_by,
                    subject=_("Refund due: trade %(trade)s for fee order %(order)s")
                    % {"trade": attempt.out_trade_no, "order": order.number},
                    body=_(
                        "The gateway took ¥%(amount)s for order %(order)s, which is %(status)s. Refund the payer."
                    )
                    % {
                        "amount": _yuan(attempt.amount_fen),
                        "order": order.number,
                        "status": OrderStatus(order.status).label,
                    },
                    link=reverse("payments_staff:order", args=[order.number]),
                    kind="payment.refund",
                    channels=(INBOX,),
                )
            ]
        )


# --------------------------------------------------------------------------- expiry


def expire_overdue(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Cancel the unpaid orders past their due date, one batch per transaction, each
    claimed with SKIP LOCKED (safe on several workers); the applicant and the issuer are
    told. Returns how many were cancelled."""
    now = now or _now()
    today = timezone.localdate(now)
    done = 0
    while True:
        with transaction.atomic():
            claimed = list(
                FeeOrder.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=OrderStatus.UNPAID, due_date__lt=today)
                .select_related("case", "case__applicant_user", "issued_by")
                .order_by("due_date", "pk")[:batch]
            )
            if not claimed:
                return done
            with translation.override(settings.LANGUAGE_CODE):
                reason = _("Not paid by the due date.")
                messages: list[Message] = []
                for order in claimed:
                    _cancel(order, None, reason, now)
                    messages.extend(_expiry_messages(order))
            send(messages, at=now)
            done += len(claimed)


def _expiry_messages(order: FeeOrder) -> Iterable[Message]:
    subject = _("Fee order %(order)s lapsed unpaid") % {"order": order.number}
    body = _("Fee order %(order)s of case %(number)s was not paid by %(due)s and is cancelled.") % {
        "order": order.number,
        "number": order.case.number,
        "due": order.due_date.isoformat(),
    }
    yield Message(
        recipient=order.issued_by,
        subject=subject,
        body=body,
        link=reverse("cases:case", args=[order.case.number]),
        kind="payment.lapsed",
        channels=(INBOX,),
    )
    if order.case.applicant_user is not None:
        yield Message(
            recipient=order.case.applicant_user,
            subject=subject,
            body=body,
            link=reverse("payments:case_orders", args=[order.case.number]),
            kind="payment.lapsed",
        )
