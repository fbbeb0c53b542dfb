"""Notification channels: what ``send`` writes, how ``deliver_pending`` sends the outbox
(email through Django's mail, SMS through a real HTTP gateway on localhost), retries and
gives up, and how addresses stay masked in logs and in the admin."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from yiwang.core import notify, sms
from yiwang.core.models import Notification, OutboundMessage, OutboundStatus
from yiwang.core.notify import Message
from yiwang.core.periodic import PERIODIC_TASKS
from yiwang.org.factories import StaffFactory, UserFactory
from yiwang.org.models import Department, Staff

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
SECRET = "gateway-test-secret"


def staff_member(dept: Department, username: str, *, email: str = "", mobile: str = "") -> Staff:
    user = UserFactory(username=username, email=email)
    return StaffFactory(user=user, name=username, department=dept, mobile=mobile)


@pytest.fixture
def zhang(market_dept: Department) -> Staff:
    return staff_member(market_dept, "zhangwei", email="zhangwei@hs.gov.cn", mobile="13912345678")


def outbox_of(user: Any) -> dict[str, OutboundMessage]:
    return {row.channel: row for row in OutboundMessage.objects.filter(recipient=user)}


# --------------------------------------------------------------------------- send


def test_send_writes_inbox_row_and_one_outbox_row_per_known_address(market_dept: Department) -> None:
    both = staff_member(market_dept, "both", email="both@hs.gov.cn", mobile="13900000001")
    email_only = staff_member(market_dept, "email_only", email="email_only@hs.gov.cn")
    mobile_only = staff_member(market_dept, "mobile_only", mobile="13900000003")
    citizen = UserFactory(username="citizen", email="")

    accepted = notify.send(
        Message(
            recipient=u,
            subject="黄牌：办件 HS-1 已到办理时限",
            body="请尽快办理。",
            link="/work/cases/HS-1/",
            kind="alert.yellow",
        )
        for u in (both.user, email_only.user, mobile_only.user, citizen)
    )

    assert accepted == 4
    assert Notification.objects.count() == 4
    note = Notification.objects.get(recipient=both.user)
    assert (note.subject, note.body, note.link, note.kind, note.read_at) == (
        "黄牌：办件 HS-1 已到办理时限",
        "请尽快办理。",
        "/work/cases/HS-1/",
        "alert.yellow",
        None,
    )
    rows = outbox_of(both.user)
    assert set(rows) == {"email", "sms"}
    assert rows["email"].address == "both@hs.gov.cn"
    assert rows["email"].body == "请尽快办理。"
    assert rows["sms"].address == "13900000001"
    assert rows["sms"].body == "黄牌：办件 HS-1 已到办理时限"  # an SMS carries the subject
    assert all(r.status == OutboundStatus.PENDING and r.attempts == 0 for r in rows.values())
    assert set(outbox_of(email_only.user)) == {"email"}
    assert set(outbox_of(mobile_only.user)) == {"sms"}
    assert outbox_of(citizen) == {}


def test_send_honours_channels_and_skips_bad_or_inactive_addresses(market_dept: Department) -> None:
    zhang = staff_member(market_dept, "zhang", email="zhang@hs.gov.cn", mobile="13912345678")
    typo = staff_member(market_dept, "typo", email="not-an-address", mobile="1391234")
    left = staff_member(market_dept, "left", email="left@hs.gov.cn", mobile="13912340000")
    left.user.is_active = False
    left.user.save()
    inactive_staff = staff_member(market_dept, "moved", email="moved@hs.gov.cn", mobile="13912341111")
    Staff.objects.filter(pk=inactive_staff.pk).update(is_active=False)

    notify.send(
        [
            Message(recipient=zhang.user, subject="仅站内", body="", channels=("inbox",)),
            Message(recipient=zhang.user, subject="仅短信", body="", channels=("sms",)),
            Message(recipient=typo.user, subject="地址有误", body=""),
            Message(recipient=left.user, subject="已离职", body=""),
            Message(recipient=inactive_staff.user, subject="已调离", body=""),
        ]
    )

    assert list(Notification.objects.filter(recipient=zhang.user).values_list("subject", flat=True)) == [
        "仅站内"
    ]
    assert [(r.channel, r.subject) for r in OutboundMessage.objects.filter(recipient=zhang.user)] == [
        ("sms", "仅短信")
    ]
    assert outbox_of(typo.user) == {}
    assert outbox_of(left.user) == {}  # cannot sign in any more: inbox only
    assert set(outbox_of(inactive_staff.user)) == {"email"}  # no longer staff: no SMS
    assert Notification.objects.filter(recipient__in=[typo.user, left.user, inactive_staff.user]).count() == 3


def test_same_recipient_and_subject_twice_in_one_call_is_one_message(zhang: Staff) -> None:
    """The handler who is also the department head gets one yellow card, through every
    channel either message asked for."""
    accepted = notify.send(
        [
            Message(recipient=zhang.user, subject="黄牌", body="作为承办人", channels=("inbox",)),
            Message(recipient=zhang.user, subject="黄牌", body="作为负责人", channels=("sms",)),
            Message(recipient=zhang.user, subject="预警", body="", channels=("inbox",)),
        ]
    )
    assert accepted == 2
    assert sorted(Notification.objects.values_list("subject", "body")) == [
        ("预警", ""),
        ("黄牌", "作为承办人"),
    ]
    assert [r.channel for r in OutboundMessage.objects.all()] == ["sms"]


def test_send_needs_a_constant_number_of_queries(market_dept: Department) -> None:
    staff = [
        staff_member(market_dept, f"s{i}", email=f"s{i}@hs.gov.cn", mobile=f"139{i:08d}") for i in range(50)
    ]

    def queries_for(count: int, subject: str) -> int:
        messages = [Message(recipient=s.user, subject=subject, body="") for s in staff[:count]]
        with CaptureQueriesContext(connection) as ctx:
            notify.send(messages)
        return len(ctx.captured_queries)

    one = queries_for(1, "一条")
    fifty = queries_for(50, "五十条")
    # One INSERT per table; only SQLite's cap of 999 parameters per query (Django splits
    # the 100 outbox rows of 50 messages into inserts of 90) may add one.
    fields = [f for f in OutboundMessage._meta.concrete_fields if not f.primary_key]
    per_insert = connection.ops.bulk_batch_size(fields, [None] * 100)
    assert fifty == one + math.ceil(100 / per_insert) - 1
    assert Notification.objects.count() == 51
    assert OutboundMessage.objects.count() == 102


def test_send_is_part_of_the_callers_transaction(zhang: Staff) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.send([Message(recipient=zhang.user, subject="红牌", body="")])
        raise RuntimeError("the sweep failed after notifying")
    assert not Notification.objects.exists()
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"subject": "  "}, "subject is empty"),
        ({"subject": "两行\n主题"}, "one line"),
        ({"subject": "长" * 201}, "longer than 200"),
        ({"link": "https://evil.example.com/"}, "path on this site"),
        ({"link": "//evil.example.com/"}, "path on this site"),
        ({"channels": ("inbox", "fax")}, "channels must be"),
        ({"channels": ()}, "channels must be"),
    ],
)
def test_a_bad_message_is_refused_and_nothing_is_written(
    zhang: Staff, changes: dict[str, Any], error: str
) -> None:
    values: dict[str, Any] = {"recipient": zhang.user, "subject": "预警", "body": "", **changes}
    with pytest.raises(ValueError, match=error):
        notify.send([Message(**values)])
    assert not Notification.objects.exists()
    assert not OutboundMessage.objects.exists()


# --------------------------------------------------------------------------- deliver: email


def test_deliver_pending_emails_once(zhang: Staff, settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "一网通办 <noreply@hs.gov.cn>"
    settings.NOTIFY_SITE_URL = "https://zwfw.hs.gov.cn"
    notify.send(
        [
            Message(
                recipient=zhang.user,
                subject="预警：办件 HS-2 临近办理时限",
                body="剩余 1 个工作日。",
                link="/work/cases/HS-2/",
                channels=("email",),
            )
        ],
        at=T0,
    )

    assert notify.deliver_pending(now=T0 - dt.timedelta(seconds=1)).total == 0  # not due yet
    report = notify.deliver_pending(now=T0)

    assert report == notify.DeliveryReport(sent=1)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["zhangwei@hs.gov.cn"]
    assert email.from_email == "一网通办 <noreply@hs.gov.cn>"
    assert email.subject == "预警：办件 HS-2 临近办理时限"
    assert email.body == "剩余 1 个工作日。\n\nhttps://zwfw.hs.gov.cn/work/cases/HS-2/"
    row = OutboundMessage.objects.get()
    assert (row.status, row.attempts, row.last_error) == (OutboundStatus.SENT, 1, "")
    assert row.sent_at is not None

    assert notify.deliver_pending(now=T0 + dt.timedelta(days=1)).total == 0
    assert len(mail.outbox) == 1


def test_an_unreachable_mail_server_is_retried_and_logged_masked(
    zhang: Staff, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port
    settings.EMAIL_TIMEOUT = 2
    notify.send([Message(recipient=zhang.user, subject="预警", body="", channels=("email",))], at=T0)

    with caplog.at_level("INFO", logger="yiwang.core.notify"):
        report = notify.deliver_pending(now=T0)

    assert report == notify.DeliveryReport(retrying=1)
    row = OutboundMessage.objects.get()
    assert (row.status, row.attempts) == (OutboundStatus.PENDING, 1)
    assert row.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert "ConnectionRefusedError" in row.last_error
    assert "z*******@hs.gov.cn" in caplog.text
    assert "zhangwei@hs.gov.cn" not in caplog.text


# --------------------------------------------------------------------------- deliver: SMS


@dataclass
class Gateway:
    """A real HTTP server on 127.0.0.1 standing in for the province's SMS gateway."""

    url: str = ""
    mode: str = "ok"  # ok | http500 | refuse | slow
    received: list[dict[str, Any]] = field(default_factory=list)
    signatures_ok: list[bool] = field(default_factory=list)


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            state.signatures_ok.append(
                hmac.compare_digest(self.headers.get("X-Yiwang-Signature", ""), expected)
            )
            state.received.append(json.loads(body))
            if state.mode == "slow":
                time.sleep(1.0)
            status, reply = {
                "http500": (500, {"code": 500}),
                "refuse": (200, {"code": 40001, "message": "blacklisted number"}),
            }.get(state.mode, (200, {"code": 0, "message": "OK"}))
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    settings.SMS_BACKEND = "yiwang.core.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = state.url
    settings.SMS_GATEWAY_SECRET = SECRET
    settings.SMS_GATEWAY_TIMEOUT = 0.3
    settings.SMS_SIGN_NAME = "邯山政务"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_deliver_pending_sends_sms_through_the_signed_gateway(zhang: Staff, gateway: Gateway) -> None:
    notify.send([Message(recipient=zhang.user, subject="红牌：办件 HS-3 已超期", body="", channels=("sms",))])
    before = int(time.time())

    report = notify.deliver_pending()

    assert report == notify.DeliveryReport(sent=1)
    assert gateway.signatures_ok == [True]
    [payload] = gateway.received
    assert set(payload) == {"mobile", "text", "sign_name", "timestamp", "nonce"}
    assert payload["mobile"] == "13912345678"
    assert payload["text"] == "红牌：办件 HS-3 已超期"
    assert payload["sign_name"] == "邯山政务"
    assert before - 1 <= payload["timestamp"] <= int(time.time()) + 1
    assert len(payload["nonce"]) >= 16
    assert OutboundMessage.objects.get().status == OutboundStatus.SENT

    notify.deliver_pending(now=dt.datetime.now(tz=SHANGHAI) + dt.timedelta(days=1))
    assert len(gateway.received) == 1


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("http500", "HTTP 500"),
        ("refuse", "code 40001 blacklisted number"),
        ("slow", "did not answer within 0.3 s"),
    ],
)
def test_the_gateway_backend_raises_sms_error(gateway: Gateway, mode: str, error: str) -> None:
    gateway.mode = mode
    with pytest.raises(sms.SmsError, match=error):
        sms.get_backend().send("13912345678", "测试")
    assert len(gateway.received) == 1


def test_an_unreachable_gateway_raises_sms_error(settings: Any) -> None:
    backend = sms.HttpGatewayBackend(url="http://127.0.0.1:9/", secret=SECRET, timeout=1, sign_name="x")
    with pytest.raises(sms.SmsError, match=r"unreachable|connection failed"):
        backend.send("13912345678", "测试")


def test_empty_text_is_refused_before_anything_is_sent(gateway: Gateway) -> None:
    for backend in (sms.get_backend(), sms.LogBackend()):
        with pytest.raises(sms.SmsError, match="empty") as refused:
            backend.send("13912345678", "  ")
        assert refused.value.permanent
    assert gateway.received == []


def test_failures_back_off_and_finally_fail(zhang: Staff, gateway: Gateway) -> None:
    gateway.mode = "http500"
    notify.send([Message(recipient=zhang.user, subject="预警", body="", channels=("sms",))], at=T0)

    def run(minutes: float) -> OutboundMessage:
        notify.deliver_pending(now=T0 + dt.timedelta(minutes=minutes))
        return OutboundMessage.objects.get()

    row = run(0)
    assert (row.attempts, row.status, row.next_attempt_at) == (1, "pending", T0 + dt.timedelta(minutes=1))
    assert row.last_error == "SmsError: gateway answered HTTP 500"
    row = run(0.5)  # not due yet
    assert row.attempts == 1
    assert len(gateway.received) == 1
    row = run(1)
    assert (row.attempts, row.next_attempt_at) == (2, T0 + dt.timedelta(minutes=1 + 5))
    row = run(6)
    assert (row.attempts, row.next_attempt_at) == (3, T0 + dt.timedelta(minutes=6 + 30))
    row = run(36)
    assert (row.attempts, row.next_attempt_at) == (4, T0 + dt.timedelta(minutes=36 + 120))
    row = run(156)
    assert (row.attempts, row.status) == (5, OutboundStatus.FAILED)  # NOTIFY_MAX_ATTEMPTS
    assert run(60 * 24 * 30).attempts == 5
    assert len(gateway.received) == 5


def test_a_refused_number_is_not_retried_but_can_be_retried_by_hand(zhang: Staff, gateway: Gateway) -> None:
    notify.send([Message(recipient=zhang.user, subject="预警", body="", channels=("sms",))], at=T0)
    OutboundMessage.objects.update(address="")  # e.g. the number was wiped since
    assert notify.deliver_pending(now=T0) == notify.DeliveryReport(failed=1)
    assert gateway.received == []

    OutboundMessage.objects.update(address="13912345678")
    assert notify.retry(OutboundMessage.objects.all(), at=T0) == 1
    assert notify.deliver_pending(now=T0) == notify.DeliveryReport(sent=1)
    assert notify.retry(OutboundMessage.objects.all(), at=T0) == 0  # sent stays sent
    assert OutboundMessage.objects.get().status == OutboundStatus.SENT


class SecondWorkerBackend:
    """An SMS backend that, while sending its first message, lets a second worker run the
    outbox, as another Celery worker would at the same moment."""

    sent: list[str] = []
    second_worker: list[notify.DeliveryReport] = []

    def send(self, mobile: str, text: str) -> None:
        if not self.second_worker:
            self.second_worker.append(notify.deliver_pending(now=T0))
        self.sent.append(mobile)


def test_a_second_worker_never_sends_what_the_first_has_claimed(
    market_dept: Department, settings: Any
) -> None:
    settings.SMS_BACKEND = f"{__name__}.SecondWorkerBackend"
    SecondWorkerBackend.sent, SecondWorkerBackend.second_worker = [], []
    staff = [staff_member(market_dept, f"w{i}", mobile=f"1390000000{i}") for i in range(3)]
    notify.send([Message(recipient=s.user, subject="预警", body="") for s in staff], at=T0)

    first = notify.deliver_pending(now=T0)
    again = notify.deliver_pending(now=T0 + dt.timedelta(hours=1))

    assert first == notify.DeliveryReport(sent=3)
    assert SecondWorkerBackend.second_worker == [notify.DeliveryReport()]
    assert again == notify.DeliveryReport()
    assert sorted(SecondWorkerBackend.sent) == ["13900000000", "13900000001", "13900000002"]


def test_log_backend_logs_the_masked_mobile_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="yiwang.core.sms"):
        sms.LogBackend().send("13912345678", "黄牌：办件 HS-4 已到办理时限")
    assert "139****5678" in caplog.text
    assert "黄牌：办件 HS-4 已到办理时限" in caplog.text
    assert "13912345678" not in caplog.text


def test_the_default_backend_is_the_log_backend() -> None:
    assert isinstance(sms.get_backend(), sms.LogBackend)


def test_a_long_text_is_counted_in_segments_never_split() -> None:
    assert sms.segments("字" * 70) == 1
    assert sms.segments("字" * 71) == 2
    assert sms.segments("字" * 134) == 2
    assert sms.segments("字" * 135) == 3


def test_the_outbox_is_delivered_every_minute_by_the_periodic_registry(zhang: Staff) -> None:
    [job] = [j for j in PERIODIC_TASKS if j.task_name == "yiwang.core.tasks.deliver_notifications"]
    assert job.every_seconds == 60
    notify.send([Message(recipient=zhang.user, subject="预警", body="", channels=("email",))])

    result = job.task().apply().get()

    assert result == {"sent": 1, "retrying": 0, "given_up": 0, "released": 0}
    assert len(mail.outbox) == 1


# --------------------------------------------------------------------------- admin


def test_outbox_admin_masks_addresses_and_retries(admin_client: Any, zhang: Staff) -> None:
    notify.send([Message(recipient=zhang.user, subject="预警", body="")], at=T0)
    OutboundMessage.objects.filter(channel="sms").update(status=OutboundStatus.FAILED, attempts=5)
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get("/admin/core/outboundmessage/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "139****5678" in html
    assert "z*******@hs.gov.cn" in html
    assert "13912345678" not in html
    assert "zhangwei@hs.gov.cn" not in html
    failed = OutboundMessage.objects.get(channel="sms")
    detail = admin_client.get(f"/admin/core/outboundmessage/{failed.pk}/change/").content.decode()
    assert "139****5678" in detail
    assert "13912345678" not in detail

    response = admin_client.post(
        "/admin/core/outboundmessage/",
        {"action": "retry_now", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "1 message will be sent again" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboundStatus.PENDING, 0)
