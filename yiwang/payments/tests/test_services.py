"""Issuing and cancelling fee orders: who, when, and never above the standard. Every
refusal names its reason and writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation

from yiwang.cases import services as cases
from yiwang.cases.models import CaseState, Channel, Decision
from yiwang.cases.services import CaseError
from yiwang.catalog.factories import published_item
from yiwang.core.models import Notification
from yiwang.payments import services
from yiwang.payments.errors import PaymentError, PaymentErrorCode
from yiwang.payments.models import FeeOrder, FeeOrderLine, OrderStatus, PaymentAttempt
from yiwang.payments.services import LineInput
from yiwang.payments.tests.fixtures import TWO_STEPS, decided, file_online, seal_fee

pytestmark = pytest.mark.django_db


def refused(code: str, **kwargs: Any) -> PaymentError:
    with pytest.raises(PaymentError) as caught:
        services.order_issue(**kwargs)
    assert caught.value.error_code == code, caught.value.text
    assert not FeeOrder.objects.exists() and not FeeOrderLine.objects.exists()
    return caught.value


def test_an_order_is_issued_from_the_items_fees_and_the_applicant_is_told(
    seal_case, approver_user, citizen
) -> None:
    order = services.order_issue(
        case=seal_case, user=approver_user, lines=[LineInput(fee=seal_fee(seal_case))]
    )
    assert order.number == f"JF{seal_case.number}01"
    assert order.total_fen == 8000 and order.total == Decimal("80.00")
    assert order.status == OrderStatus.UNPAID
    assert order.due_date == timezone.localdate() + dt.timedelta(days=15)
    assert order.issued_by_name == "吴批准"
    (line,) = order.lines.all()
    assert (line.name, line.standard_fen, line.quantity, line.amount_fen) == ("印章刻制费", 8000, 1, 8000)
    assert line.basis == "冀发改价格〔2020〕100号" and line.unit == "枚"
    note = Notification.objects.get(recipient=citizen.user, kind="payment.order")
    assert f"/pay/orders/{order.number}/" == note.link


def test_quantities_and_reductions_with_their_reason(seal_case, window_user) -> None:
    fee = seal_fee(seal_case)
    order = services.order_issue(
        case=seal_case,
        user=window_user,
        lines=[LineInput(fee=fee, quantity=3, amount="200", reduction_reason="小微企业第三枚减半")],
    )
    line = order.lines.get()
    assert (line.quantity, line.amount_fen, line.reduction_reason) == (3, 20000, "小微企业第三枚减半")
    assert line.reduced


def test_refused_before_the_decision(company_seal, citizen, window_user, approver_user) -> None:
    case = file_online(company_seal, citizen)
    cases.case_accept(case=case, user=window_user)
    error = refused(
        PaymentErrorCode.ILLEGAL_IN_STATE,
        case=case,
        user=approver_user,
        lines=[LineInput(fee=seal_fee(case))],
    )
    assert case.number in error.text


def test_refused_after_a_denial_and_after_completion(
    company_seal, citizen, window_user, approver_user
) -> None:
    denied = decided(company_seal, citizen, window_user, approver_user, Decision.DENIED)
    with translation.override("en"):
        error = refused(
            PaymentErrorCode.ILLEGAL_IN_STATE,
            case=denied,
            user=approver_user,
            lines=[LineInput(fee=seal_fee(denied))],
        )
    assert "denied" in error.text
    done = decided(company_seal, citizen, window_user, approver_user)
    cases.case_complete(case=done, user=approver_user, fee_charged="80")
    done.refresh_from_db()
    assert done.state == CaseState.COMPLETED
    refused(
        PaymentErrorCode.ILLEGAL_IN_STATE,
        case=done,
        user=approver_user,
        lines=[LineInput(fee=seal_fee(done))],
    )


def test_refused_to_other_departments_and_to_the_applicant(seal_case, neighbour_approver, citizen) -> None:
    fee = seal_fee(seal_case)
    refused(PaymentErrorCode.FORBIDDEN, case=seal_case, user=neighbour_approver, lines=[LineInput(fee=fee)])
    refused(PaymentErrorCode.FORBIDDEN, case=seal_case, user=citizen.user, lines=[LineInput(fee=fee)])


def test_nothing_above_the_standard(seal_case, approver_user) -> None:
    fee = seal_fee(seal_case)
    with translation.override("en"):
        error = refused(
            PaymentErrorCode.ABOVE_STANDARD,
            case=seal_case,
            user=approver_user,
            lines=[LineInput(fee=fee, amount="80.01")],
        )
    assert "above the standard" in error.text and error.field == "amount" and error.fee_id == fee
    refused(
        PaymentErrorCode.ABOVE_STANDARD,
        case=seal_case,
        user=approver_user,
        lines=[LineInput(fee=fee, quantity=2, amount="160.50", reduction_reason="x")],
    )


def test_a_reduction_needs_its_reason(seal_case, approver_user) -> None:
    error = refused(
        PaymentErrorCode.REDUCTION_REASON_REQUIRED,
        case=seal_case,
        user=approver_user,
        lines=[LineInput(fee=seal_fee(seal_case), amount="40", reduction_reason="  ")],
    )
    assert error.field == "reduction_reason"


def test_a_charge_outside_the_items_fee_list_is_refused(seal_case, approver_user, market_dept) -> None:
    other = published_item(
        code="HS-OTHER-1",
        name="其他事项",
        department=market_dept,
        steps=TWO_STEPS,
        fees=({"name": "工本费", "standard_amount": Decimal("10"), "basis": "文件"},),
    )
    foreign = other.fees.get().pk
    refused(
        PaymentErrorCode.NOT_IN_FEE_LIST, case=seal_case, user=approver_user, lines=[LineInput(fee=foreign)]
    )
    refused(PaymentErrorCode.BAD_INPUT, case=seal_case, user=approver_user, lines=[])
    fee = seal_fee(seal_case)
    refused(
        PaymentErrorCode.BAD_INPUT, case=seal_case, user=approver_user, lines=[LineInput(fee), LineInput(fee)]
    )


@pytest.mark.parametrize("amount", ["12.345", "abc", "-1", "NaN", "Infinity", "1e-3"])
def test_malformed_amounts(seal_case, approver_user, amount) -> None:
    refused(
        PaymentErrorCode.BAD_INPUT,
        case=seal_case,
        user=approver_user,
        lines=[LineInput(fee=seal_fee(seal_case), amount=amount, reduction_reason="r")],
    )


@pytest.mark.parametrize("quantity", [0, -1, 1000, True])
def test_bad_quantities(seal_case, approver_user, quantity) -> None:
    refused(
        PaymentErrorCode.BAD_INPUT,
        case=seal_case,
        user=approver_user,
        lines=[LineInput(fee=seal_fee(seal_case), quantity=quantity)],
    )


def test_free_items_and_full_exemptions_need_no_order(
    free_item, seal_case, citizen, window_user, approver_user
) -> None:
    free = decided(free_item, citizen, window_user, approver_user)
    refused(PaymentErrorCode.NO_FEE, case=free, user=approver_user, lines=[])
    refused(
        PaymentErrorCode.NO_FEE,
        case=seal_case,
        user=approver_user,
        lines=[LineInput(fee=seal_fee(seal_case), amount="0", reduction_reason="小微企业首次刻制免收")],
    )


def test_a_case_filed_at_the_window_without_an_account_pays_there(
    company_seal, window_user, approver_user
) -> None:
    case = cases.case_file(
        version=company_seal,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="王强",
        applicant_id_number="13040219900307123X",
        user=window_user,
    )
    cases.case_accept(case=case, user=window_user)
    cases.case_decide(case=case, user=approver_user, decision=Decision.APPROVED)
    refused(PaymentErrorCode.NO_ACCOUNT, case=case, user=approver_user, lines=[LineInput(fee=seal_fee(case))])


def test_one_live_order_at_a_time_and_reissue_after_cancelling(
    order, seal_case, approver_user, citizen
) -> None:
    fee = seal_fee(seal_case)
    with pytest.raises(PaymentError) as caught:
        services.order_issue(case=seal_case, user=approver_user, lines=[LineInput(fee=fee)])
    assert caught.value.error_code == PaymentErrorCode.ILLEGAL_IN_STATE and order.number in caught.value.text
    assert FeeOrder.objects.count() == 1

    with pytest.raises(PaymentError) as caught:
        services.order_cancel(order=order, user=approver_user, reason=" ")
    assert caught.value.error_code == PaymentErrorCode.REASON_REQUIRED
    services.order_cancel(order=order, user=approver_user, reason="数量有误，重新开具")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "数量有误，重新开具"
    assert Notification.objects.filter(recipient=citizen.user, kind="payment.cancelled").exists()
    again = services.order_issue(case=seal_case, user=approver_user, lines=[LineInput(fee=fee, quantity=2)])
    assert again.number == f"JF{seal_case.number}02" and again.total_fen == 16000


def test_cancelling_is_for_the_department_and_only_unpaid(
    order, neighbour_approver, citizen, approver_user
) -> None:
    for user in (neighbour_approver, citizen.user):
        with pytest.raises(PaymentError) as caught:
            services.order_cancel(order=order, user=user, reason="x")
        assert caught.value.error_code == PaymentErrorCode.FORBIDDEN
    order.refresh_from_db()
    assert order.status == OrderStatus.UNPAID


def test_starting_a_payment_is_for_the_applicant_only(
    order, enterprise, neighbour_approver, approver_user
) -> None:
    for user in (enterprise.user, neighbour_approver, approver_user):
        with pytest.raises(PaymentError) as caught:
            services.payment_start(order=order, user=user)
        assert caught.value.error_code == PaymentErrorCode.FORBIDDEN
    assert not PaymentAttempt.objects.exists()


def test_an_authorised_agent_may_pay_for_the_enterprise(
    company_seal, enterprise, citizen, window_user, approver_user
) -> None:
    from yiwang.portal.models import Agent

    case = decided(company_seal, enterprise, window_user, approver_user)
    order = services.order_issue(case=case, user=approver_user, lines=[LineInput(fee=seal_fee(case))])
    with pytest.raises(PaymentError):
        services.payment_start(order=order, user=citizen.user)
    Agent.objects.create(
        enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=timezone.now()
    )
    url = services.payment_start(order=order, user=citizen.user)
    assert url.startswith("/pay/sandbox/cashier/?")
    assert PaymentAttempt.objects.get().payer == citizen.user


def test_the_enterprise_pays_what_its_agent_filed_and_an_unverified_agent_does_not(
    company_seal, enterprise, citizen, unverified_citizen, window_user, approver_user
) -> None:
    """Whose case it is follows ``yiwang.portal.accounts.may_act_for_case``: the case's
    identity, not only the sign-in that filed it."""
    from yiwang.portal.models import Agent

    now = timezone.now()
    Agent.objects.create(
        enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=now
    )
    case = cases.case_file(
        version=company_seal,
        channel=Channel.ONLINE,
        applicant_kind=enterprise.kind,
        applicant_name=enterprise.name,
        applicant_id_number=enterprise.id_number,
        applicant_mobile=citizen.mobile,
        user=citizen.user,
        applicant_user=citizen.user,
        at=now - dt.timedelta(hours=3),
    )
    cases.case_accept(case=case, user=window_user, at=now - dt.timedelta(hours=2))
    cases.case_decide(
        case=case, user=approver_user, decision=Decision.APPROVED, at=now - dt.timedelta(hours=1)
    )
    order = services.order_issue(case=case, user=approver_user, lines=[LineInput(fee=seal_fee(case))])
    # An agency row for an unverified account (only the admin could make one) counts for nothing.
    Agent.objects.create(
        enterprise=enterprise, person=unverified_citizen, authorised_by=enterprise.user, authorised_at=now
    )
    with pytest.raises(PaymentError) as caught:
        services.payment_start(order=order, user=unverified_citizen.user)
    assert caught.value.error_code == PaymentErrorCode.FORBIDDEN
    assert not PaymentAttempt.objects.exists()

    services.payment_start(order=order, user=enterprise.user)
    assert PaymentAttempt.objects.get().payer == enterprise.user


def test_a_new_payment_closes_the_earlier_one(order, citizen) -> None:
    services.payment_start(order=order, user=citizen.user)
    services.payment_start(order=order, user=citizen.user)
    statuses = list(PaymentAttempt.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["closed", "pending"]


def test_an_overdue_order_is_not_paid_but_lapses(order, citizen, approver_user) -> None:
    later = timezone.now() + dt.timedelta(days=16)
    with pytest.raises(PaymentError) as caught:
        services.payment_start(order=order, user=citizen.user, at=later)
    assert caught.value.error_code == PaymentErrorCode.ILLEGAL_IN_STATE
    assert services.expire_overdue(now=timezone.now()) == 0
    assert services.expire_overdue(now=later) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancelled_by is None
    assert Notification.objects.filter(recipient=citizen.user, kind="payment.lapsed").exists()
    assert Notification.objects.filter(recipient=approver_user, kind="payment.lapsed").exists()
    assert services.expire_overdue(now=later) == 0


def test_completion_with_an_unpaid_order_is_refused(order, seal_case, approver_user) -> None:
    with pytest.raises(CaseError) as caught:
        cases.case_complete(case=seal_case, user=approver_user)
    assert caught.value.error_code == "illegal_in_state" and order.number in caught.value.text
    seal_case.refresh_from_db()
    assert seal_case.state == CaseState.DECIDED and seal_case.last_seq == 3


def test_completion_after_cancelling_the_order(order, seal_case, approver_user) -> None:
    services.order_cancel(order=order, user=approver_user, reason="申请人改为窗口现金缴纳")
    cases.case_complete(case=seal_case, user=approver_user, fee_charged="80")
    seal_case.refresh_from_db()
    assert seal_case.state == CaseState.COMPLETED
    assert seal_case.events.get(type="complete").payload["fee_charged"] == "80.00"
