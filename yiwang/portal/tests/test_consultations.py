"""在线咨询, the services: asking (signed in or anonymously with a contact), the due date
in working days, answering by the item's department only, publishing to the FAQ without
personal details, closing, the staff queue and the once-only overdue reminder.

食品经营许可 belongs to 邯山区市场监督管理局, where 李承办 answers; 丛台区's market
regulator is another department. Dates fall around National Day 2025 (1–8 October off,
Sunday 28 September and Saturday 11 October worked).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion
from yiwang.core.models import Notification, OutboundMessage
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Region, Role, Staff
from yiwang.portal import consultations as svc
from yiwang.portal import tasks
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account, Consultation, ConsultationStatus

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUESTION = "请问食品经营许可需要现场核查吗？大概多久能办好？"


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def clean_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def item(food_licence: ItemVersion) -> Any:
    return food_licence.item


@pytest.fixture
def other_handler(other_market_dept: Department) -> Any:
    staff = StaffFactory(user=UserFactory(username="handler_ct"), name="郑丛台", department=other_market_dept)
    grant(staff, Role.HANDLER, department=other_market_dept)
    return staff.user


@pytest.fixture
def window_clerk(market_dept: Department, county: Region) -> Any:
    """A window operator of the county's hall, in the market regulator, region-wide."""
    staff = StaffFactory(user=UserFactory(username="window_hs"), name="孙窗口", department=market_dept)
    grant(staff, Role.WINDOW_OPERATOR, region=county)
    return staff.user


def anonymous(item: Any, day: str = "2025-09-29", **kw: Any) -> Consultation:
    question = kw.pop("question", QUESTION)
    fields = {"contact_name": "王女士", "contact_mobile": "13912345678", **kw}
    return svc.consult_ask(item=item, question=question, at=at(day), **fields)


def snapshot() -> tuple[Any, ...]:
    return (
        list(Consultation.objects.order_by("pk").values()),
        OutboundMessage.objects.count(),
        Notification.objects.count(),
    )


def refused(code: str, call: Any, field: str | None = None) -> PortalError:
    before = snapshot()
    with pytest.raises(PortalError) as info:
        call()
    assert info.value.error_code == code, info.value.text
    if field is not None:
        assert info.value.field == field
    assert snapshot() == before
    return info.value


# --------------------------------------------------------------------------- asking


def test_a_signed_in_unverified_account_asks_with_its_own_contact(
    item: Any, unverified_citizen: Account, market_dept: Department, county: Region
) -> None:
    c = svc.consult_ask(
        item=item, question=f"  {QUESTION}  ", account=unverified_citizen, at=at("2025-09-29")
    )
    assert (c.department, c.region, c.account) == (market_dept, county, unverified_citizen)
    assert (c.contact_name, c.contact_mobile) == ("李四", "13900139000")
    assert c.question == QUESTION and c.status == ConsultationStatus.OPEN
    # asked Monday 29 September: 30 September, then 9 and 10 October (1–8 October off)
    assert c.due_date == dt.date(2025, 10, 10)
    assert len(c.query_token) == 43
    note = Notification.objects.get(recipient=unverified_citizen.user)
    assert note.kind == "consultation.received" and note.link == f"/consult/q/{c.query_token}/"
    assert "2025-10-10" in note.subject


def test_the_due_date_counts_a_make_up_saturday(item: Any) -> None:
    # asked 30 September: 9, 10 and Saturday 11 October (a make-up working day)
    assert anonymous(item, "2025-09-30").due_date == dt.date(2025, 10, 11)
    # asked on a holiday: the day itself never counts
    assert anonymous(item, "2025-10-03").due_date == dt.date(2025, 10, 11)


def test_an_anonymous_asker_gets_the_query_link_by_sms_or_email(item: Any) -> None:
    c = anonymous(item)
    assert c.account is None
    sms = OutboundMessage.objects.get()
    assert sms.channel == "sms" and sms.address == "13912345678"
    assert f"/consult/q/{c.query_token}/" in sms.body
    mailed = anonymous(item, contact_mobile="", contact_email="wang@example.com")
    mail = OutboundMessage.objects.get(channel="email")
    assert mail.address == "wang@example.com" and mailed.query_token in mail.body
    assert mailed.query_token != c.query_token


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"contact_mobile": "", "contact_email": ""}, "no_contact", "contact_mobile"),
        ({"contact_name": "  "}, "required", "contact_name"),
        ({"contact_mobile": "1391234567"}, "bad_mobile", "contact_mobile"),
        ({"contact_mobile": "23912345678"}, "bad_mobile", "contact_mobile"),
        ({"contact_mobile": "", "contact_email": "wang@"}, "bad_email", "contact_email"),
        ({"question": "多久？"}, "too_short", "question"),
        ({"question": "   "}, "required", "question"),
        ({"question": "问" * 2001}, "too_long", "question"),
        ({"contact_name": "王" * 51}, "too_long", "contact_name"),
    ],
)
def test_bad_asking_is_refused_and_nothing_is_written(
    item: Any, fields: dict[str, str], code: str, field: str
) -> None:
    refused(code, lambda: anonymous(item, **fields), field)


def test_an_item_not_in_force_takes_no_questions(market_dept: Department) -> None:
    future = published_item(
        code="HS-SCJG-900", name="将来的事项", department=market_dept, effective_from=dt.date(2030, 1, 1)
    )
    refused("not_offered", lambda: anonymous(future.item), "item")


def test_a_year_the_calendar_does_not_know_is_refused_politely(item: Any, monkeypatch: Any) -> None:
    def unknown(start: dt.date, n: int) -> dt.date:
        raise NotImplementedError(start.year)

    monkeypatch.setattr(svc.calendar, "add_workdays", unknown)
    error = refused("calendar_unknown", lambda: anonymous(item))
    assert "2025" in error.text


def test_anonymous_asking_is_limited_per_address() -> None:
    for _ in range(svc.ASK_LIMIT):
        assert svc.may_ask_anonymously("10.0.0.1")
        svc.note_anonymous_ask("10.0.0.1")
    assert not svc.may_ask_anonymously("10.0.0.1")
    assert svc.may_ask_anonymously("10.0.0.2")


# --------------------------------------------------------------------------- answering


def test_the_department_answers_and_the_asker_is_told(item: Any, citizen: Account, handler: Staff) -> None:
    c = svc.consult_ask(item=item, question=QUESTION, account=citizen, at=at("2025-09-29"))
    c = svc.consult_answer(
        consultation=c, user=handler.user, answer="需要现场核查，7个工作日内办结。", at=at("2025-09-30")
    )
    c.refresh_from_db()
    assert c.status == ConsultationStatus.ANSWERED and c.answered_by == handler.user
    assert c.answered_at == at("2025-09-30")
    told = Notification.objects.get(recipient=citizen.user, kind="consultation.answered")
    assert "需要现场核查" in told.body and told.link == f"/consult/q/{c.query_token}/"


def test_an_anonymous_asker_is_told_of_the_answer_by_sms(item: Any, handler: Staff) -> None:
    c = anonymous(item)
    svc.consult_answer(consultation=c, user=handler.user, answer="需要现场核查。", at=at("2025-09-30"))
    assert OutboundMessage.objects.filter(channel="sms", address="13912345678").count() == 2


def test_a_region_wide_window_operator_in_the_department_answers(item: Any, window_clerk: Any) -> None:
    c = svc.consult_answer(
        consultation=anonymous(item), user=window_clerk, answer="可以。", at=at("2025-09-30")
    )
    assert c.status == ConsultationStatus.ANSWERED


def test_other_departments_and_supervisors_may_not_answer(
    item: Any, other_handler: Any, county_supervisor: Staff, citizen: Account
) -> None:
    c = anonymous(item)
    for user in (other_handler, county_supervisor.user, citizen.user, None):
        error = refused(
            "forbidden", lambda u=user: svc.consult_answer(consultation=c, user=u, answer="答复内容。")
        )
        assert "邯山区市场监督管理局" in error.text


def test_answering_twice_or_empty_is_refused(item: Any, handler: Staff) -> None:
    c = anonymous(item)
    refused("required", lambda: svc.consult_answer(consultation=c, user=handler.user, answer="  "), "answer")
    svc.consult_answer(consultation=c, user=handler.user, answer="第一次答复。", at=at("2025-09-30"))
    refused(
        "already_answered",
        lambda: svc.consult_answer(consultation=c, user=handler.user, answer="第二次答复。"),
    )
    c.refresh_from_db()
    assert c.answer == "第一次答复。"


# --------------------------------------------------------------------------- publishing


def test_publishing_needs_an_answer_and_a_question_without_personal_details(
    item: Any, handler: Staff, other_handler: Any
) -> None:
    c = anonymous(item, question="我叫王女士，电话13912345678，请问食品经营许可要多久？")
    publish = svc.consult_publish
    refused(
        "not_answered",
        lambda: publish(consultation=c, user=handler.user, question_as_published="食品经营许可要多久？"),
        "published_question",
    )
    svc.consult_answer(consultation=c, user=handler.user, answer="承诺7个工作日。", at=at("2025-09-30"))
    for text in (
        "我叫王女士，请问食品经营许可要多久？",  # the asker's name
        "电话13912345678，食品经营许可要多久？",  # a mobile
        "身份证130402199003071233能办吗？",  # a resident ID number
        "请回复 wang@example.com 食品经营许可要多久",  # an email
        "  ",
    ):
        refused(
            "personal_details" if text.strip() else "required",
            lambda t=text: publish(consultation=c, user=handler.user, question_as_published=t),
            "published_question",
        )
    refused(
        "forbidden",
        lambda: publish(consultation=c, user=other_handler, question_as_published="食品经营许可要多久？"),
    )
    assert svc.published_answers(item) == []

    publish(
        consultation=c, user=handler.user, question_as_published="食品经营许可要多久？", at=at("2025-10-09")
    )
    [qa] = svc.published_answers(item)
    assert (qa.published_question, qa.answer) == ("食品经营许可要多久？", "承诺7个工作日。")
    assert qa.published_at == at("2025-10-09")
    # publishing again rewords it and keeps the first publication's moment
    publish(
        consultation=c,
        user=handler.user,
        question_as_published="食品经营许可办理时限是多久？",
        at=at("2025-10-10"),
    )
    [qa] = svc.published_answers(item)
    assert qa.published_question == "食品经营许可办理时限是多久？" and qa.published_at == at("2025-10-09")

    svc.consult_unpublish(consultation=c, user=handler.user)
    assert svc.published_answers(item) == []
    refused("not_published", lambda: svc.consult_unpublish(consultation=c, user=handler.user))


def test_published_answers_cost_one_query_however_many(item: Any, handler: Staff) -> None:
    for n in range(6):
        c = anonymous(item, question=f"第{n}个问题：食品经营许可要多久？")
        svc.consult_answer(consultation=c, user=handler.user, answer=f"答复{n}", at=at("2025-09-30"))
        svc.consult_publish(consultation=c, user=handler.user, question_as_published=f"问题{n}：要多久？")
    with CaptureQueriesContext(connection) as queries:
        answers = svc.published_answers(item)
        names = [qa.department.name for qa in answers]
    assert len(answers) == 6 and set(names) == {"邯山区市场监督管理局"}
    assert len(queries) == 1


# --------------------------------------------------------------------------- closing


def test_closing_without_an_answer_tells_the_asker(item: Any, handler: Staff, citizen: Account) -> None:
    c = svc.consult_ask(item=item, question=QUESTION, account=citizen, at=at("2025-09-29"))
    refused("required", lambda: svc.consult_close(consultation=c, user=handler.user, reason=""), "reason")
    svc.consult_close(consultation=c, user=handler.user, reason="与前一问题重复。", at=at("2025-09-30"))
    c.refresh_from_db()
    assert (c.status, c.close_reason, c.closed_by) == (
        ConsultationStatus.CLOSED,
        "与前一问题重复。",
        handler.user,
    )
    assert Notification.objects.filter(recipient=citizen.user, kind="consultation.closed").count() == 1
    refused("closed", lambda: svc.consult_answer(consultation=c, user=handler.user, answer="迟到的答复。"))
    refused("not_open", lambda: svc.consult_close(consultation=c, user=handler.user, reason="再次关闭"))


# --------------------------------------------------------------------------- queue and reminders


def test_the_queue_puts_overdue_questions_first_and_stays_in_the_department(
    item: Any, handler: Staff, other_handler: Any, pension: ItemVersion
) -> None:
    later = anonymous(item, "2025-10-09")  # due 14 October
    overdue = anonymous(item, "2025-09-26")  # due 30 September
    soon = anonymous(item, "2025-09-30")  # due 11 October
    answered = anonymous(item, "2025-09-22")
    svc.consult_answer(consultation=answered, user=handler.user, answer="已答复。", at=at("2025-09-23"))
    elsewhere = anonymous(pension.item, "2025-09-26")
    today = dt.date(2025, 10, 9)
    assert list(svc.staff_queue(handler.user, today=today)) == [overdue, soon, later]
    assert list(svc.staff_queue(handler.user, today=today, show="overdue")) == [overdue]
    assert list(svc.staff_queue(handler.user, today=today, show="answered")) == [answered]
    assert list(svc.staff_queue(handler.user, today=today, show="all")) == [overdue, soon, later, answered]
    assert list(svc.staff_queue(other_handler, today=today, show="all")) == []
    assert elsewhere not in svc.staff_queue(handler.user, today=today, show="all")
    assert set(svc.overdue_consultations(today)) == {overdue, elsewhere}


def test_overdue_questions_are_told_to_their_department_once(
    item: Any, handler: Staff, other_handler: Any, window_clerk: Any, county_supervisor: Staff
) -> None:
    late = anonymous(item, "2025-09-26")  # due 30 September
    anonymous(item, "2025-10-09")  # not yet due
    with time_machine.travel(at("2025-10-09", "08:00"), tick=False):
        assert tasks.consultation_reminders() == {"consultations": 1, "messages": 2}
        again = svc.tell_overdue()
    assert again.consultations == 0
    told = Notification.objects.filter(kind="consultation.overdue")
    assert {n.recipient_id for n in told} == {handler.user.pk, window_clerk.pk}
    assert all(n.link == f"/work/consultations/{late.pk}/" for n in told)
    late.refresh_from_db()
    assert late.overdue_told_at == at("2025-10-09", "08:00")


def test_the_reminder_costs_a_fixed_number_of_queries(item: Any, handler: Staff) -> None:
    def run(n: int) -> int:
        for _ in range(n):
            anonymous(item, "2025-09-26")
        with CaptureQueriesContext(connection) as queries:
            svc.tell_overdue(at("2025-10-09", "08:00"))
        return len(queries)

    assert run(2) == run(8)
