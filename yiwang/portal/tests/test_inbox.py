# ruff: noqa: F811  (fixtures of the cases app and of test_my_cases are imported and requested by name)
"""Messages to applicants: one per event they care about, to the message center, by email
and by SMS; none for internal steps, supervision or a parallel approval's branch copies.
And the message center (/my/messages/) with its unread badge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.template import engines
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import yiwang.portal.inbox  # noqa: F401  (connects the receiver, as PortalConfig.ready() does)
from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, EventType
from yiwang.cases.tests.conftest import (  # noqa: F401  (fixtures, used by name)
    approver_user,
    at,
    food_licence,
    handler_user,
    materials,
    reviewer_user,
    window_user,
)
from yiwang.cases.tests.test_parallel import (  # noqa: F401  (fixture, used by name)
    branch_of,
    file_lead,
    joint,
    media,
)
from yiwang.core import notify
from yiwang.core.models import Notification, OutboundMessage
from yiwang.core.notify import Message
from yiwang.org.factories import UserFactory
from yiwang.portal import inbox
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account
from yiwang.portal.tests.test_my_cases import (  # noqa: F401  (citizen and staff are fixtures)
    apply_online,
    citizen,
    file_at_window,
    signed_in,
    staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(settings: Any) -> None:
    """Messages are written in the site's language; these tests read them in English."""
    settings.LANGUAGE_CODE = "en"


def told(account: Account) -> list[Notification]:
    return list(Notification.objects.filter(recipient=account.user).order_by("pk"))


def kinds(account: Account) -> list[str]:
    return [n.kind for n in told(account)]


def latest(account: Account) -> Notification:
    return told(account)[-1]


class Counter:
    """Runs a step and checks how many messages it sent the applicant."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.seen = Notification.objects.filter(recipient=account.user).count()

    def step(self, expected_kind: str | None, action: Any) -> Notification | None:
        action()
        now = Notification.objects.filter(recipient=self.account.user).count()
        if expected_kind is None:
            assert now == self.seen, "no message expected"
            return None
        assert now == self.seen + 1, f"exactly one message for {expected_kind}"
        self.seen = now
        message = latest(self.account)
        assert message.kind == expected_kind
        return message


def test_every_event_the_applicant_cares_about_sends_exactly_one_message(
    english: None, citizen: Account, food_licence: Any, materials: Any, staff: dict[str, Any]
) -> None:
    citizen.user.email = "zhangsan@example.com"
    citizen.user.save(update_fields=["email"])
    counter = Counter(citizen)
    holder: dict[str, Case] = {}

    def file() -> None:
        holder["case"] = apply_online(citizen, food_licence, materials)

    received = counter.step("case.apply", file)
    case = holder["case"]
    assert received is not None
    assert received.subject == "“食品经营许可” received; acceptance decided by 2025-09-28"
    assert received.link == f"/my/cases/{case.number}/"

    notice = counter.step(
        "case.supplement_request",
        lambda: services.case_request_supplement(
            case=case,
            user=staff["window"],
            items=[
                {"material": materials[1].pk, "problem": "复印件不清晰"},
                {"material": None, "name": "场所平面图", "problem": "未提交"},
            ],
            at=at("2025-09-23"),
        ),
    )
    assert notice is not None
    assert notice.subject == "“食品经营许可”: 2 materials to supplement, as the one-time notice lists"
    assert "营业执照复印件: 复印件不清晰" in notice.body and "场所平面图: 未提交" in notice.body
    assert f"Case number: {case.number}" in notice.body

    counter.step(
        "case.supplement_receive",
        lambda: services.case_receive_supplement(
            case=case, user=citizen.user, note="已补交", at=at("2025-09-24")
        ),
    )
    accepted = counter.step(
        "case.accept", lambda: services.case_accept(case=case, user=staff["window"], at=at("2025-09-25"))
    )
    assert accepted is not None
    # 10 working days from Thu 25 Sep: 26, 28 (worked), 29, 30 Sep, 9, 10, 11 (worked), 13, 14, 15 Oct.
    assert accepted.subject == "“食品经营许可” accepted; due by 2025-10-15"
    assert "Due by: 2025-10-15" in accepted.body

    # Staff-only moves: nothing.
    counter.step(
        None,
        lambda: services.case_pass_step(
            case=case, user=staff["handler"], opinion="同意", at=at("2025-09-26")
        ),
    )
    counter.step(
        None,
        lambda: services.case_return(
            case=case, user=staff["reviewer"], to_step=0, reason="补充核查意见", at=at("2025-09-26", "10:00")
        ),
    )
    counter.step(
        None,
        lambda: services.case_pass_step(
            case=case, user=staff["handler"], opinion="已核查", at=at("2025-09-26", "11:00")
        ),
    )

    hearing = counter.step(
        "case.suspend",
        lambda: services.case_suspend(
            case=case,
            user=staff["reviewer"],
            kind="hearing",
            reason="利害关系人申请听证",
            expected_days=5,
            at=at("2025-09-29"),
        ),
    )
    assert hearing is not None
    assert hearing.subject == "“食品经营许可”: Hearing, about 5 days, not counted in the time limit"
    assert "利害关系人申请听证" in hearing.body
    counter.step(
        "case.resume",
        lambda: services.case_resume(
            case=case, user=staff["reviewer"], result="听证结束", at=at("2025-10-09")
        ),
    )
    extended = counter.step(
        "case.extend",
        lambda: services.case_extend(
            case=case, user=staff["approver"], days=5, reason="需实地核查", at=at("2025-10-10")
        ),
    )
    assert extended is not None
    case.refresh_from_db()
    assert (
        extended.subject == f"“食品经营许可”: time limit extended by 5 working days; due by {case.due_date}"
    )
    assert "需实地核查" in extended.body
    counter.step(
        None,
        lambda: services.case_pass_step(
            case=case, user=staff["reviewer"], opinion="同意", at=at("2025-10-13")
        ),
    )
    counter.step(
        "case.decide",
        lambda: services.case_decide(
            case=case, user=staff["approver"], decision="approved", at=at("2025-10-14")
        ),
    )
    completed = counter.step(
        "case.complete",
        lambda: services.case_complete(
            case=case, user=staff["approver"], result_number="JY11304020001234", at=at("2025-10-15")
        ),
    )
    assert completed is not None and "JY11304020001234" in completed.body
    delivered = counter.step(
        "case.deliver",
        lambda: services.case_deliver(case=case, user=staff["window"], method="post", at=at("2025-10-16")),
    )
    assert delivered is not None and delivered.subject == "“食品经营许可”: result delivered (sent by post)"

    assert kinds(citizen) == [
        "case.apply",
        "case.supplement_request",
        "case.supplement_receive",
        "case.accept",
        "case.suspend",
        "case.resume",
        "case.extend",
        "case.decide",
        "case.complete",
        "case.deliver",
    ]
    # Each also went out by SMS (the subject, to the account's mobile) and by email.
    sms = list(OutboundMessage.objects.filter(recipient=citizen.user, channel="sms").order_by("pk"))
    assert [m.body for m in sms] == [n.subject for n in told(citizen)]
    assert {m.address for m in sms} == {"13800138000"}
    assert OutboundMessage.objects.filter(recipient=citizen.user, channel="email").count() == 10
    assert all(len(n.subject) <= 70 for n in told(citizen))


def test_refusal_denial_transfer_and_withdrawal_are_told_with_their_reasons(
    english: None,
    citizen: Account,
    food_licence: Any,
    materials: Any,
    staff: dict[str, Any],
    other_market_dept: Any,
) -> None:
    refused = apply_online(citizen, food_licence, materials)
    services.case_refuse(
        case=refused,
        user=staff["window"],
        reason="不属于本机关职权范围",
        legal_basis="《行政许可法》第三十二条",
        at=at("2025-09-23"),
    )
    message = latest(citizen)
    assert (message.kind, message.subject) == ("case.refuse", "“食品经营许可” not accepted; see the reason")
    assert "不属于本机关职权范围" in message.body and "《行政许可法》第三十二条" in message.body

    moved = apply_online(citizen, food_licence, materials)
    services.case_transfer(
        case=moved,
        user=staff["window"],
        to_department=other_market_dept,
        reason="经营场所在丛台区",
        at=at("2025-09-23"),
    )
    message = latest(citizen)
    assert message.subject == "“食品经营许可” transferred to 丛台区市场监督管理局"
    assert "经营场所在丛台区" in message.body

    denied = apply_online(citizen, food_licence, materials)
    services.case_accept(case=denied, user=staff["window"], at=at("2025-09-23"))
    services.case_pass_step(case=denied, user=staff["handler"], opinion="不符合条件", at=at("2025-09-24"))
    services.case_pass_step(case=denied, user=staff["reviewer"], opinion="同意", at=at("2025-09-24", "10:00"))
    services.case_decide(
        case=denied,
        user=staff["approver"],
        decision="denied",
        reason="经营场所不符合卫生要求",
        legal_basis="《食品安全法》第三十五条",
        at=at("2025-09-25"),
    )
    message = latest(citizen)
    assert (message.kind, message.subject) == ("case.decide", "“食品经营许可”: not approved; see the reason")
    assert "经营场所不符合卫生要求" in message.body

    withdrawn = apply_online(citizen, food_licence, materials)
    before = Notification.objects.count()
    services.case_withdraw(case=withdrawn, user=citizen.user, reason="不再经营", at=at("2025-09-23"))
    assert Notification.objects.count() == before + 1
    assert latest(citizen).kind == "case.withdraw" and "不再经营" in latest(citizen).body


def test_messages_are_in_chinese_by_default_whatever_the_staff_members_language(
    citizen: Account, food_licence: Any, materials: Any, staff: dict[str, Any]
) -> None:
    from django.utils import translation

    case = apply_online(citizen, food_licence, materials)
    with translation.override("en"):
        services.case_accept(case=case, user=staff["window"], at=at("2025-09-25"))
    assert django_settings.LANGUAGE_CODE == "zh-hans"
    case.refresh_from_db()
    with translation.override("zh-hans"):
        expected = inbox.subject_for(case, CaseEvent.objects.get(case=case, type="accept"), _template(case))
    assert latest(citizen).subject == expected
    assert "2025-10-15" in expected


def _template(case: Case) -> Any:
    from yiwang.cases.services import template_of

    return template_of(case)


def test_nobody_is_told_about_a_case_filed_without_an_account_nor_about_supervision(
    citizen: Account, food_licence: Any, materials: Any, staff: dict[str, Any], county_supervisor: Any
) -> None:
    walk_in = file_at_window(staff["window"], food_licence, name="王五", id_number=citizen.id_number)
    services.case_accept(case=walk_in, user=staff["window"], at=at("2025-09-25"))
    assert not Notification.objects.exists()

    mine = apply_online(citizen, food_licence, materials)
    count = Notification.objects.count()
    event = services.case_record_notice(
        case=mine, user=county_supervisor.user, kind="urging", number="邯山监督〔2025〕1号", sha256="a" * 64
    )
    assert Notification.objects.count() == count
    # Even if the ledger ever sent the signal for a supervision notice, nothing is said.
    assert event.type == EventType.NOTICE
    assert inbox.message_for(mine, event, _template(mine)) is None


def test_a_rolled_back_event_tells_nobody(
    citizen: Account, food_licence: Any, materials: Any, staff: Any
) -> None:
    case = apply_online(citizen, food_licence, materials)
    count = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.case_accept(case=case, user=staff["window"], at=at("2025-09-25"))
        raise RuntimeError("the request failed after the event")
    assert Notification.objects.count() == count
    assert not OutboundMessage.objects.filter(subject__contains="accepted").exists()


def test_a_parallel_approval_tells_the_applicant_once_not_once_per_department(
    english: None, joint: Any, enterprise: Account
) -> None:
    lead = file_lead(joint, applicant_user=enterprise.user)
    assert kinds(enterprise) == ["case.apply"]

    services.case_accept(case=lead, user=joint.window, at=at("2025-11-03", "10:00"))

    # The lead's acceptance filed and accepted three branches: still one message.
    assert Case.objects.filter(parent=lead).count() == 3
    assert kinds(enterprise) == ["case.apply", "case.accept"]
    # A partner department asking for a supplement is told, for its own part.
    branch = branch_of(lead, joint.housing)
    services.case_request_supplement(
        case=branch,
        user=joint.housing.reviewer,
        items=[{"material": None, "name": "消防设计文件", "problem": "缺少"}],
        at=at("2025-11-04"),
    )
    assert kinds(enterprise)[-1] == "case.supplement_request"
    assert latest(enterprise).link == f"/my/cases/{branch.number}/"


# --------------------------------------------------------------------------- the message center


def deliver(user: Any, subject: str, *, minutes: int = 0, link: str = "") -> Notification:
    notify.send(
        [Message(recipient=user, subject=subject, body=f"{subject}的说明", link=link, channels=("inbox",))],
        at=timezone.now() - dt.timedelta(hours=1) + dt.timedelta(minutes=minutes),
    )
    return Notification.objects.get(recipient=user, subject=subject)


@pytest.mark.parametrize("path", ["/my/messages/"])
def test_the_message_center_needs_sign_in(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302 and "next=" in response["Location"]
    assert Client().post("/my/messages/read-all/").status_code == 302


def test_the_message_center_lists_my_messages_unread_first(citizen: Account, enterprise: Account) -> None:
    old_read = deliver(citizen.user, "旧的已读", minutes=0)
    deliver(citizen.user, "旧的未读", minutes=10)
    deliver(citizen.user, "新的未读", minutes=20)
    old_read.read_at = timezone.now()
    old_read.save(update_fields=["read_at"])
    deliver(enterprise.user, "别人的消息")

    response = signed_in(citizen).get("/my/messages/")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert "别人的消息" not in html
    assert html.index("新的未读") < html.index("旧的未读") < html.index("旧的已读")
    assert "2 unread" in html
    assert response.context["unread"] == 2


def test_marking_one_and_all_read(citizen: Account, enterprise: Account) -> None:
    first = deliver(citizen.user, "第一条")
    second = deliver(citizen.user, "第二条", link="/my/cases/13040220250922000001/")
    theirs = deliver(enterprise.user, "别人的")
    client = signed_in(citizen)

    assert client.get(f"/my/messages/{first.pk}/read/").status_code == 405
    response = client.post(f"/my/messages/{first.pk}/read/", {"page": "1"})
    assert response.status_code == 302 and response["Location"] == "/my/messages/?page=1"
    first.refresh_from_db()
    assert first.read_at is not None

    # Someone else's message: 404, and it stays unread.
    assert client.post(f"/my/messages/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/my/messages/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    opened = client.post(f"/my/messages/{second.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/my/cases/13040220250922000001/"
    second.refresh_from_db()
    assert second.read_at is not None

    deliver(citizen.user, "第三条")
    deliver(citizen.user, "第四条")
    response = client.post("/my/messages/read-all/", follow=True)
    assert response.status_code == 200
    assert not Notification.objects.filter(recipient=citizen.user, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert "All messages are marked read." in response.content.decode()


def test_a_message_never_opens_another_site(citizen: Account) -> None:
    message = deliver(citizen.user, "外链")
    Notification.objects.filter(pk=message.pk).update(link="https://evil.example/")
    response = signed_in(citizen).post(f"/my/messages/{message.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/my/messages/"


def test_the_message_center_is_paginated_with_a_fixed_number_of_queries(citizen: Account) -> None:
    client = signed_in(citizen)
    deliver(citizen.user, "消息0")
    client.get("/my/messages/")

    def cost() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/my/messages/").status_code == 200
        return len(ctx.captured_queries)

    few = cost()
    for n in range(1, 30):
        deliver(citizen.user, f"消息{n}", minutes=n)
    many = cost()

    assert many == few
    second = client.get("/my/messages/", {"page": 2})
    assert len(second.context["notifications"]) == 10
    assert "Page 2 of 2" in second.content.decode()


BADGE = engines["django"].from_string('{% include "portal/my/_unread_badge.html" %}')


def test_the_unread_badge_costs_one_query_and_nothing_for_visitors(citizen: Account) -> None:
    from django.contrib.auth.models import AnonymousUser

    for n in range(3):
        deliver(citizen.user, f"未读{n}")
    request = RequestFactory().get("/")
    request.user = citizen.user

    with CaptureQueriesContext(connection) as ctx:
        html = BADGE.render({"request": request}, request)
        again = BADGE.render({"request": request}, request)
    assert len(ctx.captured_queries) == 1
    assert 'data-unread="3"' in html and ">3<" in html and html == again

    visitor = RequestFactory().get("/")
    visitor.user = AnonymousUser()
    with CaptureQueriesContext(connection) as ctx:
        assert BADGE.render({"request": visitor}, visitor).strip() == ""
    assert len(ctx.captured_queries) == 0

    nobody_unread = RequestFactory().get("/")
    nobody_unread.user = UserFactory(username="quiet")
    assert BADGE.render({"request": nobody_unread}, nobody_unread).strip() == ""


def test_the_badge_shows_in_the_portal_header(citizen: Account) -> None:
    deliver(citizen.user, "未读消息")
    html = signed_in(citizen).get("/").content.decode()
    assert 'data-unread="1"' in html


def test_an_account_made_with_the_factory_gets_its_messages(db: None) -> None:
    other = citizen_account(
        username="wangwu", name="王五", id_number="13040219900307123X", mobile="13912345678", verified=False
    )
    deliver(other.user, "欢迎")
    assert [n.subject for n in signed_in(other).get("/my/messages/").context["notifications"]] == ["欢迎"]
