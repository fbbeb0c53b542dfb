"""Reads of fee orders: who may pay a case's orders, the orders a page shows, what case
completion needs to know, and the day's reconciliation figures."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from yiwang.cases.models import Case, CaseState, Decision
from yiwang.org.models import Role
from yiwang.org.permissions import can_act, visible
from yiwang.payments.models import (
    AttemptStatus,
    CallbackOutcome,
    FeeOrder,
    FeeOrderLine,
    GatewayCallback,
    OrderStatus,
    PaymentAttempt,
    fen_to_yuan,
)


def issuer_roles(case: Case) -> list[Role]:
    """Who of the case's department issues and cancels its fee orders: the handler, whoever
    decides or completes the case, and window operators."""
    from yiwang.cases.services import template_of  # payments builds on cases

    template = template_of(case)
    roles: list[Role] = []
    for role in (Role.HANDLER, template.decide_role, template.complete_role, Role.WINDOW_OPERATOR):
        if Role(role) not in roles:
            roles.append(Role(role))
    return roles


def may_issue(user: Any, case: Case) -> bool:
    return any(can_act(user, case, role) for role in issuer_roles(case))


def may_pay(user: Any, case: Case) -> bool:
    """Whoever the case is theirs (``yiwang.portal.accounts.may_act_for_case``): the
    account that filed it, or a verified account acting for its applicant's identity,
    their own or an enterprise's that authorised them as its agent (经办人) and has not
    revoked it nor let it lapse."""
    from yiwang.portal.accounts import may_act_for_case  # the portal's accounts build on cases

    return may_act_for_case(user, case)


def _with_lines(queryset: QuerySet[FeeOrder]) -> QuerySet[FeeOrder]:
    return queryset.prefetch_related(Prefetch("lines", queryset=FeeOrderLine.objects.order_by("position")))


def case_for_payer(user: Any, number: str) -> Case | None:
    case = (
        Case.objects.select_related("item_version", "department", "applicant_user")
        .filter(number=number)
        .first()
    )
    return case if case is not None and may_pay(user, case) else None


def orders_of_case(case: Case) -> list[FeeOrder]:
    return list(_with_lines(FeeOrder.objects.filter(case=case)).order_by("-issued_at", "-pk"))


def order_for_payer(user: Any, number: str) -> FeeOrder | None:
    """The order with this number if ``user`` may pay it (else None: shown as not found)."""
    order = (
        _with_lines(FeeOrder.objects.select_related("case", "case__item_version", "department"))
        .filter(number=number)
        .first()
    )
    return order if order is not None and may_pay(user, order.case) else None


def order_for_staff(user: Any, number: str) -> FeeOrder | None:
    return (
        _with_lines(
            visible(user, FeeOrder.objects.all()).select_related(
                "case", "case__item_version", "department", "issued_by"
            )
        )
        .filter(number=number)
        .first()
    )


def staff_orders(user: Any, status: str = "") -> QuerySet[FeeOrder]:
    """The orders of the departments and regions in the user's scope, newest first."""
    queryset = visible(user, FeeOrder.objects.all()).select_related(
        "case", "case__item_version", "department"
    )
    if status in OrderStatus.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-issued_at", "-pk")


def can_issue_now(case: Case) -> bool:
    return case.state == CaseState.DECIDED and case.decision == Decision.APPROVED


def item_charges(case: Case) -> bool:
    return any(fee.standard_amount > 0 for fee in case.item_version.fees.all())


# --------------------------------------------------------------------------- case completion


@dataclass(frozen=True)
class CompletionFees:
    """What ``case_complete`` needs: orders still to pay, and the total paid (None when the
    case has no paid order, i.e. the fee was not collected online)."""

    unpaid: list[str] = field(default_factory=list)
    paid_total: Decimal | None = None


def completion_fees(case: Case) -> CompletionFees:
    rows = list(
        FeeOrder.objects.filter(case=case, status__in=[OrderStatus.UNPAID, OrderStatus.PAID])
        .order_by("issued_at")
        .values_list("number", "status", "total_fen")
    )
    unpaid = [number for number, status, _total in rows if status == OrderStatus.UNPAID]
    paid = [total for _number, status, total in rows if status == OrderStatus.PAID]
    return CompletionFees(unpaid=unpaid, paid_total=fen_to_yuan(sum(paid)) if paid else None)


# --------------------------------------------------------------------------- staff case page


@dataclass(frozen=True)
class CasePanel:
    orders: list[FeeOrder]
    may_issue: bool
    can_issue: bool  # may issue, and the case is in a state to be charged
    paid_total: Decimal | None


def case_panel(user: Any, case: Case) -> CasePanel:
    orders = orders_of_case(case)
    allowed = may_issue(user, case)
    live = any(o.status in (OrderStatus.UNPAID, OrderStatus.PAID) for o in orders)
    paid = [o.total_fen for o in orders if o.status == OrderStatus.PAID]
    return CasePanel(
        orders=orders,
        may_issue=allowed,
        can_issue=allowed and not live and can_issue_now(case) and item_charges(case),
        paid_total=fen_to_yuan(sum(paid)) if paid else None,
    )


# --------------------------------------------------------------------------- reconciliation


@dataclass(frozen=True)
class DaySummary:
    day: dt.date
    paid_orders: int
    paid_total: Decimal
    callbacks: dict[str, int]
    refunds_due: list[str]  # merchant trade numbers paid twice or after cancelling
    gateway_only: list[str]  # trades the gateway's statement has and this site did not record
    site_only: list[str]  # trades recorded here that the gateway's statement lacks
    statement_checked: bool


def day_summary(day: dt.date, statement: list[tuple[str, int]] | None = None) -> DaySummary:
    """The day's payments (local day) against the gateway's statement when it gives one:
    ``statement`` is the (merchant trade number, amount in fen) pairs it settled that day."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tz)
    end = start + dt.timedelta(days=1)
    paid = FeeOrder.objects.filter(status=OrderStatus.PAID, paid_at__gte=start, paid_at__lt=end)
    totals = paid.aggregate(n=Sum("total_fen"))
    callbacks = Counter(
        GatewayCallback.objects.filter(received_at__gte=start, received_at__lt=end).values_list(
            "outcome", flat=True
        )
    )
    attempts = list(
        PaymentAttempt.objects.filter(
            status=AttemptStatus.SUCCEEDED, paid_at__gte=start, paid_at__lt=end
        ).values_list("out_trade_no", "amount_fen", "needs_refund")
    )
    here = {(no, amount) for no, amount, _refund in attempts}
    there = set(statement or [])
    return DaySummary(
        day=day,
        paid_orders=paid.count(),
        paid_total=fen_to_yuan(totals["n"] or 0),
        callbacks={outcome: callbacks.get(outcome, 0) for outcome in CallbackOutcome.values},
        refunds_due=sorted(no for no, _amount, refund in attempts if refund),
        gateway_only=sorted(no for no, _amount in there - here) if statement is not None else [],
        site_only=sorted(no for no, _amount in here - there) if statement is not None else [],
        statement_checked=statement is not None,
    )
