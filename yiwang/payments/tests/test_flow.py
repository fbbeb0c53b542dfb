"""Paying through the sandbox gateway end to end, and every way a callback can be wrong:
forged, replayed, stale, for another amount or an unknown trade. Only a notification
that checks out pays an order, and it pays it once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from yiwang.cases import services as cases
from yiwang.cases.models import CaseState
from yiwang.cases.services import CaseError
from yiwang.core.models import Notification
from yiwang.payments import services, tasks
from yiwang.payments.models import (
    AttemptStatus,
    CallbackOutcome,
    FeeOrder,
    GatewayCallback,
    OrderStatus,
    PaymentAttempt,
    SandboxTrade,
)
from yiwang.payments.tests.fixtures import decided, seal_fee

pytestmark = pytest.mark.django_db
CALLBACK = "/pay/callback/sandbox/"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(CALLBACK, data=body, content_type="application/json", headers=headers)


def attempt_of(order: FeeOrder, user: Any) -> PaymentAttempt:
    services.payment_start(order=order, user=user)
    return PaymentAttempt.objects.filter(order=order).latest("pk")


def notification(sandbox: Any, attempt: PaymentAttempt, **overrides: Any) -> tuple[bytes, dict[str, str]]:
    now = timezone.now()
    fields = {
        "notify_id": "N-0001",
        "out_trade_no": attempt.out_trade_no,
        "amount_fen": attempt.amount_fen,
        "trade_no": "SBX-T-0001",
        "paid_at": now,
        "sent_at": now,
        **overrides,
    }
    return sandbox.notification(**fields)


def unchanged(order: FeeOrder) -> None:
    order.refresh_from_db()
    assert order.status == OrderStatus.UNPAID and order.receipt_number == "" and order.paid_at is None
    assert not PaymentAttempt.objects.filter(status=AttemptStatus.SUCCEEDED).exists()


def test_paying_through_the_sandbox_cashier_end_to_end(order, seal_case, citizen, approver_user) -> None:
    client = signed_in(citizen.user)
    page = client.get(reverse("payments:case_orders", args=[seal_case.number]))
    assert page.status_code == 200 and order.number in page.content.decode()
    assert client.get(reverse("payments:order", args=[order.number])).status_code == 200

    to_cashier = client.post(reverse("payments:pay", args=[order.number]))
    assert to_cashier.status_code == 302 and to_cashier["Location"].startswith("/pay/sandbox/cashier/?")
    cashier = client.get(to_cashier["Location"])
    assert cashier.status_code == 200
    text = cashier.content.decode()
    assert "沙箱" in text and "¥80.00" in text and order.number in text

    params = dict(parse_qsl(urlsplit(to_cashier["Location"]).query))
    back = client.post("/pay/sandbox/cashier/", {**params, "action": "pay"})
    assert back.status_code == 302
    assert urlsplit(back["Location"]).path == reverse("payments:returned", args=[order.number])

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.gateway == "sandbox"
    assert order.receipt_number == "SJ" + order.number[2:]
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.gateway_trade_no == order.gateway_trade_no
    callback = GatewayCallback.objects.get()
    assert callback.signature_valid and callback.outcome == CallbackOutcome.PAID
    assert SandboxTrade.objects.get().notified_at is not None
    assert Notification.objects.filter(recipient=citizen.user, kind="payment.paid").exists()
    assert Notification.objects.filter(recipient=approver_user, kind="payment.paid").exists()

    returned = client.get(back["Location"])
    assert returned.status_code == 200 and order.receipt_number in returned.content.decode()
    receipt = client.get(reverse("payments:receipt", args=[order.number]))
    assert receipt.status_code == 200 and order.gateway_trade_no in receipt.content.decode()
    pdf = client.get(reverse("payments:receipt_pdf", args=[order.number]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # Pressing "pay" again at the cashier charges nothing more.
    again = client.post("/pay/sandbox/cashier/", {**params, "action": "pay"})
    assert again.status_code == 302
    assert SandboxTrade.objects.count() == 1 and GatewayCallback.objects.count() == 1

    summary = tasks.reconcile_day(timezone.localdate())
    assert summary.paid_orders == 1 and str(summary.paid_total) == "80.00"
    assert summary.statement_checked and summary.gateway_only == [] and summary.site_only == []

    # The case is completed with the fee that was paid.
    cases.case_complete(case=seal_case, user=approver_user, result_number="")
    seal_case.refresh_from_db()
    assert seal_case.state == CaseState.COMPLETED
    assert seal_case.events.get(type="complete").payload["fee_charged"] == "80.00"


def test_a_forged_notification_is_refused_logged_and_changes_nothing(order, citizen, sandbox) -> None:
    attempt = attempt_of(order, citizen.user)
    body, _headers = notification(sandbox, attempt)
    forged = "sha256=" + hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    response = post(Client(), body, {"X-Sandbox-Signature": forged})
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "bad_signature" and problem["status"] == 400
    log = GatewayCallback.objects.get()
    assert not log.signature_valid and log.outcome == CallbackOutcome.BAD_SIGNATURE
    assert log.notify_id == "N-0001" and log.raw_body == body.decode()
    unchanged(order)

    # Changing the amount in a validly signed body breaks the signature too.
    good_body, headers = notification(sandbox, attempt, amount_fen=1)
    tampered = good_body.replace(b'"amount":1', b'"amount":8000')
    assert post(Client(), tampered, headers).status_code == 400
    assert post(Client(), body, {}).status_code == 400  # no signature at all
    unchanged(order)
    # A forged notification naming a real notify id does not block the real one.
    body, headers = notification(sandbox, attempt)
    assert post(Client(), body, headers).status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_replayed_notification_is_acknowledged_once(order, citizen, sandbox) -> None:
    attempt = attempt_of(order, citizen.user)
    body, headers = notification(sandbox, attempt)
    first = post(Client(), body, headers)
    assert first.status_code == 200 and first.json()["code"] == "SUCCESS"
    order.refresh_from_db()
    paid_at, receipt = order.paid_at, order.receipt_number

    second = post(Client(), body, headers)
    assert second.status_code == 200 and second.json()["message"] == "already processed"
    # the gateway retrying with another notify id for the same trade
    retry_body, retry_headers = notification(sandbox, attempt, notify_id="N-0002")
    assert post(Client(), retry_body, retry_headers).status_code == 200
    order.refresh_from_db()
    assert (order.paid_at, order.receipt_number) == (paid_at, receipt)
    outcomes = sorted(GatewayCallback.objects.values_list("outcome", flat=True))
    assert outcomes == ["already_processed", "already_processed", "paid"]
    assert Notification.objects.filter(recipient=citizen.user, kind="payment.paid").count() == 1


def test_a_second_trade_for_a_paid_order_is_kept_for_a_refund_not_paid_twice(order, citizen, sandbox) -> None:
    first = attempt_of(order, citizen.user)
    second = attempt_of(order, citizen.user)  # closes the first, but the payer had it open
    body, headers = notification(sandbox, second, notify_id="N-B", trade_no="T-B")
    assert post(Client(), body, headers).status_code == 200
    order.refresh_from_db()
    paid_at = order.paid_at
    body, headers = notification(sandbox, first, notify_id="N-A", trade_no="T-A")
    assert post(Client(), body, headers).status_code == 200
    first.refresh_from_db()
    order.refresh_from_db()
    assert first.needs_refund and first.status == AttemptStatus.SUCCEEDED
    assert order.paid_at == paid_at and order.gateway_trade_no == "T-B"
    assert GatewayCallback.objects.filter(outcome=CallbackOutcome.NEEDS_REFUND).count() == 1
    assert tasks.reconcile_day(timezone.localdate()).refunds_due == [first.out_trade_no]


def test_a_payment_for_a_cancelled_order_does_not_revive_it(order, citizen, sandbox, approver_user) -> None:
    attempt = attempt_of(order, citizen.user)
    services.order_cancel(order=order, user=approver_user, reason="开错了")
    body, headers = notification(sandbox, attempt)
    assert post(Client(), body, headers).status_code == 200
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and attempt.needs_refund


def test_a_wrong_amount_is_refused(order, citizen, sandbox) -> None:
    attempt = attempt_of(order, citizen.user)
    body, headers = notification(sandbox, attempt, amount_fen=800)
    response = post(Client(), body, headers)
    assert response.status_code == 400 and response.json()["code"] == "amount_mismatch"
    assert GatewayCallback.objects.get().outcome == CallbackOutcome.AMOUNT_MISMATCH
    unchanged(order)


@pytest.mark.parametrize(
    "offset", [dt.timedelta(minutes=-6), dt.timedelta(hours=-30), dt.timedelta(minutes=10)]
)
def test_a_notification_outside_the_replay_window_is_refused(order, citizen, sandbox, offset) -> None:
    attempt = attempt_of(order, citizen.user)
    body, headers = notification(sandbox, attempt, sent_at=timezone.now() + offset)
    response = post(Client(), body, headers)
    assert response.status_code == 400 and response.json()["code"] == "stale"
    unchanged(order)


def test_unknown_trades_malformed_bodies_and_unknown_gateways(order, citizen, sandbox) -> None:
    attempt = attempt_of(order, citizen.user)
    body, headers = notification(sandbox, attempt, out_trade_no="PA-NOT-OURS")
    assert post(Client(), body, headers).json()["code"] == "unknown_trade"
    junk = b"not json"
    signature = "sha256=" + hmac.new(sandbox.secret.encode(), junk, hashlib.sha256).hexdigest()
    response = post(Client(), junk, {"X-Sandbox-Signature": signature})
    assert response.status_code == 400 and response.json()["code"] == "malformed"
    partial = json.dumps({"notify_id": "x", "out_trade_no": attempt.out_trade_no}).encode()
    signature = "sha256=" + hmac.new(sandbox.secret.encode(), partial, hashlib.sha256).hexdigest()
    assert post(Client(), partial, {"X-Sandbox-Signature": signature}).json()["code"] == "malformed"
    other = Client().post(
        "/pay/callback/alipay/", data=body, content_type="application/json", headers=headers
    )
    assert other.status_code == 404 and other["Content-Type"] == "application/problem+json"
    assert Client().get(CALLBACK).status_code == 405
    unchanged(order)


def test_the_cashier_accepts_only_requests_the_site_signed(order, citizen) -> None:
    client = signed_in(citizen.user)
    location = client.post(reverse("payments:pay", args=[order.number]))["Location"]
    params = dict(parse_qsl(urlsplit(location).query))
    for tampered in ({**params, "amount": "1"}, {**params, "return_url": "https://evil.example/"}, {}):
        response = client.post("/pay/sandbox/cashier/", {**tampered, "action": "pay"})
        assert response.status_code == 400
    assert not SandboxTrade.objects.exists()
    unchanged(order)


def test_leaving_the_cashier_pays_nothing(order, citizen) -> None:
    client = signed_in(citizen.user)
    location = client.post(reverse("payments:pay", args=[order.number]))["Location"]
    params = dict(parse_qsl(urlsplit(location).query))
    back = client.post("/pay/sandbox/cashier/", {**params, "action": "cancel"})
    assert back.status_code == 302 and "result=cancelled" in back["Location"]
    with translation.override("en"):
        page = client.get(back["Location"], headers={"Accept-Language": "en"})
    assert page.status_code == 200
    unchanged(order)


def test_a_closed_payment_cannot_be_paid_at_the_cashier(order, citizen, approver_user) -> None:
    client = signed_in(citizen.user)
    location = client.post(reverse("payments:pay", args=[order.number]))["Location"]
    services.order_cancel(order=order, user=approver_user, reason="重新核定数量")
    params = dict(parse_qsl(urlsplit(location).query))
    response = client.post("/pay/sandbox/cashier/", {**params, "action": "pay"})
    assert response.status_code == 409
    assert not SandboxTrade.objects.filter(status="paid").exists()
    assert not GatewayCallback.objects.exists()


def test_someone_else_cannot_see_or_pay_the_order(order, seal_case, enterprise) -> None:
    client = signed_in(enterprise.user)
    assert client.get(reverse("payments:case_orders", args=[seal_case.number])).status_code == 404
    assert client.get(reverse("payments:order", args=[order.number])).status_code == 404
    assert client.post(reverse("payments:pay", args=[order.number])).status_code == 404
    assert client.get(reverse("payments:receipt", args=[order.number])).status_code == 404
    anonymous = Client().get(reverse("payments:order", args=[order.number]))
    assert anonymous.status_code == 302
    assert not PaymentAttempt.objects.exists()


def test_an_unpaid_order_has_no_receipt(order, citizen) -> None:
    client = signed_in(citizen.user)
    assert client.get(reverse("payments:receipt", args=[order.number])).status_code == 404
    assert client.get(reverse("payments:receipt_pdf", args=[order.number])).status_code == 404


def test_completion_waits_for_payment_then_takes_the_paid_total(
    order, seal_case, citizen, sandbox, approver_user
) -> None:
    with pytest.raises(CaseError):
        cases.case_complete(case=seal_case, user=approver_user, fee_charged="80")
    attempt = attempt_of(order, citizen.user)
    body, headers = notification(sandbox, attempt)
    assert post(Client(), body, headers).status_code == 200
    with pytest.raises(CaseError) as caught:
        cases.case_complete(case=seal_case, user=approver_user, fee_charged="0")
    assert caught.value.field == "fee_charged"
    seal_case.refresh_from_db()
    assert seal_case.state == CaseState.DECIDED
    cases.case_complete(case=seal_case, user=approver_user, fee_charged="80.00")
    seal_case.refresh_from_db()
    assert seal_case.state == CaseState.COMPLETED


def test_a_real_gateway_configured_turns_the_sandbox_off(order, settings) -> None:
    settings.PAYMENT_GATEWAY = "yiwang.payments.tests.test_flow.OtherGateway"
    assert Client().get("/pay/sandbox/cashier/").status_code == 404
    assert Client().post(CALLBACK, data=b"{}", content_type="application/json").status_code == 404


from yiwang.payments.gateways import CallbackData, PaymentGateway  # noqa: E402


class OtherGateway(PaymentGateway):
    """A gateway that refuses everything: enough to show the sandbox is not reachable."""

    name = "other"
    label = "other"

    def create_payment(self, order: Any, attempt: Any, return_url: str, notify_url: str) -> str:
        raise NotImplementedError

    def verify_callback(self, body: bytes, headers: Any) -> CallbackData:
        raise NotImplementedError


def test_the_sandbox_delivers_through_the_callback_view_and_retries_until_acknowledged(
    order, citizen, sandbox
) -> None:
    attempt = attempt_of(order, citizen.user)
    trade = SandboxTrade.objects.create(
        out_trade_no=attempt.out_trade_no,
        trade_no="SBX-1",
        amount_fen=attempt.amount_fen,
        status="paid",
        notify_url="http://testserver/pay/callback/nowhere/",
        notify_id="N-R",
        created_at=timezone.now(),
    )
    assert not sandbox.notify(trade, timezone.now())  # the site answers 404: not acknowledged
    trade.notify_url = "http://testserver" + CALLBACK
    assert sandbox.notify(trade, timezone.now())
    trade.refresh_from_db()
    assert trade.notify_attempts == 2 and trade.notified_at is not None
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_case_page_panel_and_staff_pages(
    seal_case, approver_user, neighbour_approver, reviewer_user, handler_user
) -> None:
    staff = signed_in(approver_user)
    case_page = staff.get(reverse("cases:case", args=[seal_case.number])).content.decode()
    issue_url = reverse("payments_staff:issue", args=[seal_case.number])
    assert 'id="fee-orders"' in case_page and issue_url in case_page
    form = staff.get(issue_url)
    assert form.status_code == 200 and "印章刻制费" in form.content.decode()
    fee = seal_fee(seal_case)
    with translation.override("en"):
        too_much = staff.post(
            issue_url,
            {f"fee_{fee}_include": "on", f"fee_{fee}_quantity": "1", f"fee_{fee}_amount": "90"},
            headers={"Accept-Language": "en"},
        )
    assert too_much.status_code == 422 and f'id="id_fee_{fee}_amount-error"' in too_much.content.decode()
    assert not FeeOrder.objects.exists()
    done = staff.post(issue_url, {f"fee_{fee}_include": "on", f"fee_{fee}_quantity": "2"})
    assert done.status_code == 302
    order = FeeOrder.objects.get()
    assert order.total_fen == 16000

    assert signed_in(neighbour_approver).get(issue_url).status_code == 404
    assert (
        signed_in(neighbour_approver).get(reverse("payments_staff:order", args=[order.number])).status_code
        == 404
    )
    assert signed_in(reviewer_user).get(issue_url).status_code == 403
    assert signed_in(handler_user).get(issue_url).status_code == 200

    detail = staff.get(reverse("payments_staff:order", args=[order.number]))
    assert detail.status_code == 200 and order.number in detail.content.decode()
    cancel_url = reverse("payments_staff:cancel", args=[order.number])
    assert signed_in(reviewer_user).post(cancel_url, {"reason": "x"}).status_code == 403
    assert staff.post(cancel_url, {"reason": ""}).status_code == 422
    order.refresh_from_db()
    assert order.status == OrderStatus.UNPAID
    assert staff.post(cancel_url, {"reason": "数量开错"}).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert staff.get(reverse("payments_staff:list")).status_code == 200


def test_pages_take_constant_queries(
    company_seal, citizen, window_user, approver_user, django_assert_max_num_queries
) -> None:
    def issue_for_new_case() -> Any:
        case = decided(company_seal, citizen, window_user, approver_user)
        return services.order_issue(
            case=case, user=approver_user, lines=[services.LineInput(fee=seal_fee(case))]
        )

    first = issue_for_new_case()
    staff = signed_in(approver_user)
    applicant = signed_in(citizen.user)
    case_url = reverse("payments:case_orders", args=[first.case.number])
    pages = {
        "list": (staff, reverse("payments_staff:list")),
        "case": (applicant, case_url),
        "staff case": (staff, reverse("cases:case", args=[first.case.number])),
    }
    counts = {}
    for name, (client, url) in pages.items():
        with django_assert_max_num_queries(60) as captured:
            assert client.get(url).status_code == 200
        counts[name] = len(captured)
    for _ in range(3):
        issue_for_new_case()
    for _ in range(2):  # more orders on the same case: cancelled and issued again
        services.order_cancel(
            order=FeeOrder.objects.get(case=first.case, status="unpaid"), user=approver_user, reason="重开"
        )
        services.order_issue(
            case=first.case, user=approver_user, lines=[services.LineInput(fee=seal_fee(first.case))]
        )
    for name, (client, url) in pages.items():
        with django_assert_max_num_queries(counts[name]):
            assert client.get(url).status_code == 200
