"""Admonition talks (约谈, seed 004 part 1): scheduling, recording, absences with and
without a valid reason, cancelling, the escalation to the department's head after the
third talk within twelve months, the staff member's record, and the pages.

孙窗口 of 邯山区市场监督管理局 is talked to by 王监察 of 邯山区电子监察室; 陈局长 heads the
bureau. The talks fall around National Day 2025 (1–8 October off, Saturday 11 October
worked), so working-day deadlines cross the holiday.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from yiwang.core.models import Notification
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant
from yiwang.org.models import Role, Staff
from yiwang.supervision import talks
from yiwang.supervision.models import Talk, TalkEvent, TalkLevel, TalkStatus
from yiwang.supervision.services import SupervisionError, SupervisionErrorCode
from yiwang.supervision.tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages() -> Any:
    """The services' messages are checked in English (the pages render in Chinese)."""
    with translation.override("en"):
        yield


# --------------------------------------------------------------------------- people


@pytest.fixture
def supervisor(county_supervisor: Staff) -> Any:
    room = county_supervisor.department
    room.address = "邯山区政务服务中心三楼"
    room.save()
    return county_supervisor.user


@pytest.fixture
def clerk(window_user: Any) -> Staff:
    """孙窗口, a window operator of the market bureau."""
    return window_user.staff


@pytest.fixture
def head(market_dept: Any) -> Staff:
    staff = StaffFactory(user=UserFactory(username="head_hs"), name="陈局长", department=market_dept)
    grant(staff, Role.LEADER, department=market_dept)
    return staff


@pytest.fixture
def neighbour_supervisor(other_county: Any) -> Any:
    room = DepartmentFactory(name="丛台区电子监察室", region=other_county, is_supervision_room=True)
    staff = StaffFactory(user=UserFactory(username="supervisor_ct"), name="钱监察", department=room)
    grant(staff, Role.SUPERVISOR, region=other_county)
    return staff.user


@pytest.fixture
def neighbour_clerk(other_market_dept: Any) -> Staff:
    staff = StaffFactory(user=UserFactory(username="clerk_ct"), name="冯科员", department=other_market_dept)
    grant(staff, Role.HANDLER, department=other_market_dept)
    return staff


def schedule(
    user: Any, staff: Staff, day: str, *, hour: str = "10:00", now: dt.datetime | None = None
) -> Talk:
    return talks.talk_schedule(
        user=user,
        staff=staff,
        reason="rules",
        reason_text="窗口工作时间脱岗。",
        scheduled_at=at(day, hour),
        at=now or at(day, "08:00"),
    )


def held_on(user: Any, staff: Staff, day: str) -> Talk:
    talk = schedule(user, staff, day)
    return talks.talk_record_held(
        talk=talk, user=user, record="指出脱岗问题，本人表示接受。", at=at(day, "11:00")
    )


def state() -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    return (
        list(Talk.objects.order_by("pk").values_list("pk", "status", "record", "closing_note", "bad_record")),
        TalkEvent.objects.count(),
        Notification.objects.count(),
    )


def told(user: Any, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind))


# --------------------------------------------------------------------------- scheduling


def test_a_supervisor_schedules_a_talk_and_the_staff_member_is_told(supervisor: Any, clerk: Staff) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26", "15:00"))

    assert talk.status == TalkStatus.SCHEDULED and talk.level == TalkLevel.STAFF
    assert talk.department == clerk.department and talk.region == clerk.department.region
    assert talk.place == "邯山区电子监察室（邯山区政务服务中心三楼）"  # the room, by default
    assert talk.created_by == supervisor and talk.created_at == at("2025-09-26", "15:00")
    assert [(e.action, e.actor) for e in talk.events.order_by("pk")] == [
        ("scheduled", supervisor),
        ("notified", None),
    ]
    [message] = told(clerk.user, "talk.scheduled")
    assert "2025-09-29 10:00" in message.subject
    assert message.link == f"/supervision/talks/{talk.pk}/"
    assert "窗口工作时间脱岗" in message.body


def test_a_talk_may_cite_a_case_of_the_scope_and_take_place_elsewhere(
    supervisor: Any, clerk: Staff, food_licence: Any, window_user: Any
) -> None:
    from yiwang.supervision.tests.test_console import file_case

    case = file_case(food_licence, window_user, "2025-09-26")
    talk = talks.talk_schedule(
        user=supervisor,
        staff=clerk,
        reason="complaint",
        reason_text="群众投诉窗口一次性告知不到位，经查属实。",
        scheduled_at=at("2025-09-29", "15:00"),
        place="区市场监管局会议室",
        case=case,
        at=at("2025-09-26", "16:00"),
    )
    assert talk.case == case and talk.place == "区市场监管局会议室"


def test_holding_a_talk_records_what_was_said_and_the_rectification_deadline(
    supervisor: Any, clerk: Staff
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-30")
    talk = talks.talk_record_held(
        talk=talk,
        user=supervisor,
        record="指出脱岗问题，本人表示接受。",
        rectification="提交书面检查，严格执行考勤制度。",
        rectify_workdays=3,
        at=at("2025-09-30", "11:00"),
    )
    assert talk.status == TalkStatus.HELD
    assert talk.held_at == at("2025-09-30", "11:00") and talk.recorded_by == supervisor
    # three working days after 30 September: 1–8 October are off, Saturday the 11th is worked
    assert talk.rectify_by == dt.date(2025, 10, 11)
    assert talk.events.filter(action="held", actor=supervisor).exists()
    assert not Talk.objects.filter(level=TalkLevel.HEAD).exists()


def test_a_missed_talk_without_a_valid_reason_is_a_bad_record_and_the_head_is_told(
    supervisor: Any, clerk: Staff, head: Staff
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29")
    talk = talks.talk_record_missed(
        talk=talk, user=supervisor, note="未请假，未到场。", at=at("2025-09-29", "11:00")
    )

    assert talk.status == TalkStatus.MISSED and talk.bad_record and not talk.excused
    assert talk.events.filter(action="missed", actor=supervisor).exists()
    [to_head] = told(head.user, "talk.missed")
    assert clerk.name in to_head.subject and to_head.link == f"/supervision/talks/{talk.pk}/"
    assert told(clerk.user, "talk.missed")
    record = talks.talk_record_of(clerk, at=at("2025-09-30"))
    assert (record.missed, record.excused, record.held) == (1, 0, 0)


def test_an_excused_absence_is_no_bad_record_and_needs_its_reason(
    supervisor: Any, clerk: Staff, head: Staff
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29")
    before = state()
    with pytest.raises(SupervisionError) as refused:
        talks.talk_record_missed(
            talk=talk, user=supervisor, excused=True, note=" ", at=at("2025-09-29", "11:00")
        )
    assert refused.value.field == "note"
    assert state() == before

    talk = talks.talk_record_missed(
        talk=talk, user=supervisor, excused=True, note="因公出差，已事先请假。", at=at("2025-09-29", "11:00")
    )
    assert talk.status == TalkStatus.MISSED and talk.excused and not talk.bad_record
    assert not told(head.user, "talk.missed")
    assert talks.talk_record_of(clerk, at=at("2025-09-30")).excused == 1


def test_a_talk_is_cancelled_with_a_reason_and_the_staff_member_is_told(
    supervisor: Any, clerk: Staff
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    talk = talks.talk_cancel(
        talk=talk, user=supervisor, reason="投诉人撤回投诉。", at=at("2025-09-26", "16:00")
    )
    assert talk.status == TalkStatus.CANCELLED and talk.closing_note == "投诉人撤回投诉。"
    assert told(clerk.user, "talk.cancelled")
    assert talks.talk_record_of(clerk, at=at("2025-09-30")).talks == 0


# --------------------------------------------------------------------------- bad input


def test_a_talk_in_the_past_is_refused(supervisor: Any, clerk: Staff) -> None:
    with pytest.raises(SupervisionError) as refused:
        schedule(supervisor, clerk, "2025-09-26", hour="09:00", now=at("2025-09-26", "09:30"))
    assert refused.value.code == SupervisionErrorCode.BAD_INPUT and refused.value.field == "scheduled_at"
    assert "has passed" in refused.value.text
    assert state() == ([], 0, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason_text": "  "}, "reason_text"),
        ({"reason": "gossip"}, "reason"),
        ({"scheduled_at": None}, "scheduled_at"),
        ({"scheduled_at": dt.datetime(2025, 9, 29, 10)}, "scheduled_at"),  # no time zone
        ({"place": "会" * 201}, "place"),
    ],
)
def test_a_talk_without_its_facts_is_refused(
    supervisor: Any, clerk: Staff, changes: dict[str, Any], field: str
) -> None:
    arguments = {
        "user": supervisor,
        "staff": clerk,
        "reason": "rules",
        "reason_text": "脱岗。",
        "scheduled_at": at("2025-09-29", "10:00"),
        "at": at("2025-09-26"),
        **changes,
    }
    with pytest.raises(SupervisionError) as refused:
        talks.talk_schedule(**arguments)
    assert refused.value.field == field
    assert state() == ([], 0, 0)


def test_staff_outside_the_supervisors_scope_cannot_be_scheduled(
    supervisor: Any, neighbour_clerk: Staff, neighbour_supervisor: Any, clerk: Staff
) -> None:
    with pytest.raises(SupervisionError) as refused:
        schedule(supervisor, neighbour_clerk, "2025-09-29", now=at("2025-09-26"))
    assert refused.value.code == SupervisionErrorCode.FORBIDDEN
    assert "丛台区市场监督管理局" in refused.value.text
    with pytest.raises(SupervisionError):
        schedule(neighbour_supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    with pytest.raises(SupervisionError) as refused:
        schedule(supervisor, supervisor.staff, "2025-09-29", now=at("2025-09-26"))
    assert (
        refused.value.field == "staff" and refused.value.text == "You cannot schedule a talk with yourself."
    )
    assert state() == ([], 0, 0)


def test_a_handler_without_the_supervisor_role_can_neither_schedule_nor_record(
    supervisor: Any, clerk: Staff, handler: Staff, head: Staff
) -> None:
    with pytest.raises(SupervisionError) as refused:
        schedule(handler.user, clerk, "2025-09-29", now=at("2025-09-26"))
    assert refused.value.code == SupervisionErrorCode.FORBIDDEN
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    before = state()
    for user in (handler.user, head.user, clerk.user):  # the head leads, the clerk is talked to
        for act in (
            lambda u: talks.talk_record_held(talk=talk, user=u, record="记录", at=at("2025-09-29", "11:00")),
            lambda u: talks.talk_record_missed(talk=talk, user=u, at=at("2025-09-29", "11:00")),
            lambda u: talks.talk_cancel(talk=talk, user=u, reason="取消", at=at("2025-09-29", "11:00")),
        ):
            with pytest.raises(SupervisionError) as refused:
                act(user)
            assert refused.value.code == SupervisionErrorCode.FORBIDDEN
    assert state() == before


def test_a_held_talk_needs_its_record_and_a_sound_rectification(supervisor: Any, clerk: Staff) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29")
    before = state()
    for kwargs, field in (
        ({"record": ""}, "record"),
        ({"record": "记录", "rectification": "整改"}, "rectify_workdays"),
        ({"record": "记录", "rectification": "整改", "rectify_workdays": 0}, "rectify_workdays"),
        ({"record": "记录", "rectification": "整改", "rectify_workdays": 61}, "rectify_workdays"),
        ({"record": "记录", "rectify_workdays": 5}, "rectification"),
    ):
        with pytest.raises(SupervisionError) as refused:
            talks.talk_record_held(talk=talk, user=supervisor, at=at("2025-09-29", "11:00"), **kwargs)
        assert refused.value.field == field, kwargs
    with pytest.raises(SupervisionError) as refused:
        talks.talk_record_held(talk=talk, user=supervisor, record=" ", at=at("2025-09-29", "11:00"))
    assert refused.value.text == "Write down what was said in the talk."
    assert state() == before


def test_a_talk_is_recorded_only_once_it_is_due_and_only_while_scheduled(
    supervisor: Any, clerk: Staff
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    before = state()
    with pytest.raises(SupervisionError) as early:
        talks.talk_record_held(talk=talk, user=supervisor, record="记录", at=at("2025-09-26", "16:00"))
    assert early.value.code == SupervisionErrorCode.ILLEGAL_IN_STATE
    with pytest.raises(SupervisionError):
        talks.talk_record_missed(talk=talk, user=supervisor, at=at("2025-09-29", "09:59"))
    assert state() == before

    talks.talk_cancel(talk=talk, user=supervisor, reason="改期。", at=at("2025-09-26", "16:00"))
    before = state()
    for act in (
        lambda: talks.talk_record_held(
            talk=talk, user=supervisor, record="记录", at=at("2025-09-29", "11:00")
        ),
        lambda: talks.talk_record_missed(talk=talk, user=supervisor, at=at("2025-09-29", "11:00")),
        lambda: talks.talk_cancel(talk=talk, user=supervisor, reason="再取消", at=at("2025-09-29", "11:00")),
    ):
        with pytest.raises(SupervisionError) as refused:
            act()
        assert refused.value.code == SupervisionErrorCode.ILLEGAL_IN_STATE
        assert "cancelled" in refused.value.text
    assert state() == before


def test_cancelling_needs_a_reason(supervisor: Any, clerk: Staff) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    before = state()
    with pytest.raises(SupervisionError) as refused:
        talks.talk_cancel(talk=talk, user=supervisor, reason="", at=at("2025-09-26", "16:00"))
    assert refused.value.field == "reason"
    assert state() == before


# --------------------------------------------------------------------------- escalation


def test_the_third_talk_within_a_year_brings_a_talk_with_the_head_exactly_once(
    supervisor: Any, clerk: Staff, head: Staff, city_leader: Staff
) -> None:
    held_on(supervisor, clerk, "2025-09-02")
    held_on(supervisor, clerk, "2025-09-15")
    assert not Talk.objects.filter(level=TalkLevel.HEAD).exists()

    third = held_on(supervisor, clerk, "2025-09-30")
    [head_talk] = Talk.objects.filter(level=TalkLevel.HEAD)
    assert head_talk.staff == head and head_talk.concerning == clerk and head_talk.escalated_from == third
    assert head_talk.status == TalkStatus.SCHEDULED and head_talk.reason == "repeated"
    # three working days later, across National Day (Saturday 11 October is worked), at 09:00 in the room
    assert head_talk.scheduled_at == at("2025-10-11", "09:00")
    assert head_talk.place.startswith("邯山区电子监察室")
    assert "2025-09-02、2025-09-15、2025-09-30" in head_talk.reason_text
    assert third.events.filter(action="escalated").exists()
    # the head and the supervisors are told (the city's leader leads a region, not the bureau)
    assert told(head.user, "talk.escalated") and told(supervisor, "talk.escalated")
    assert not told(city_leader.user, "talk.escalated")

    # a fourth talk within the year: no second head talk
    held_on(supervisor, clerk, "2025-10-20")
    assert Talk.objects.filter(level=TalkLevel.HEAD).count() == 1
    assert len(told(head.user, "talk.escalated")) == 1
    # holding the head talk is no talk with the clerk, and escalates nothing about the head
    talks.talk_record_held(
        talk=head_talk, user=supervisor, record="要求加强管理。", at=at("2025-10-11", "10:00")
    )
    record = talks.talk_record_of(clerk, at=at("2025-10-21"))
    assert (record.held_in_window, record.head_talks, record.escalation_reached) == (4, 1, True)
    assert talks.talk_record_of(head, at=at("2025-10-21")).held == 1
    assert Talk.objects.filter(level=TalkLevel.HEAD).count() == 1


def test_talks_older_than_twelve_months_do_not_count_and_a_new_year_escalates_again(
    supervisor: Any, clerk: Staff, head: Staff
) -> None:
    held_on(supervisor, clerk, "2024-09-02")
    held_on(supervisor, clerk, "2024-09-16")
    held_on(supervisor, clerk, "2025-09-30")  # the first two are more than twelve months ago
    assert not Talk.objects.filter(level=TalkLevel.HEAD).exists()
    assert talks.talk_record_of(clerk, at=at("2025-09-30", "12:00")).held_in_window == 1

    held_on(supervisor, clerk, "2025-10-09")
    held_on(supervisor, clerk, "2025-10-20")
    first = Talk.objects.get(level=TalkLevel.HEAD)
    assert first.created_at == at("2025-10-20", "11:00")
    held_on(supervisor, clerk, "2026-03-02")
    held_on(supervisor, clerk, "2026-10-19")  # within twelve months of the head talk: nothing
    assert Talk.objects.filter(level=TalkLevel.HEAD).count() == 1
    held_on(supervisor, clerk, "2026-10-21")  # the head talk is over a year old; three talks in the window
    assert Talk.objects.filter(level=TalkLevel.HEAD).count() == 2


def test_the_threshold_is_a_setting(settings: Any, supervisor: Any, clerk: Staff, head: Staff) -> None:
    settings.SUPERVISION_TALKS_BEFORE_HEAD = 2
    held_on(supervisor, clerk, "2025-09-02")
    held_on(supervisor, clerk, "2025-09-15")
    assert Talk.objects.filter(level=TalkLevel.HEAD, staff=head).count() == 1


def test_misses_and_cancelled_talks_do_not_count_towards_the_head(
    supervisor: Any, clerk: Staff, head: Staff
) -> None:
    held_on(supervisor, clerk, "2025-09-02")
    missed = schedule(supervisor, clerk, "2025-09-10")
    talks.talk_record_missed(talk=missed, user=supervisor, at=at("2025-09-10", "11:00"))
    cancelled = schedule(supervisor, clerk, "2025-09-12")
    talks.talk_cancel(talk=cancelled, user=supervisor, reason="改期", at=at("2025-09-12", "09:00"))
    held_on(supervisor, clerk, "2025-09-15")
    assert not Talk.objects.filter(level=TalkLevel.HEAD).exists()
    record = talks.talk_record_of(clerk, at=at("2025-09-16"))
    assert (record.held, record.missed, record.scheduled, record.talks) == (2, 1, 0, 3)


def test_without_a_head_on_record_the_supervisors_are_told_to_schedule_by_hand(
    supervisor: Any, clerk: Staff
) -> None:
    held_on(supervisor, clerk, "2025-09-02")
    held_on(supervisor, clerk, "2025-09-15")
    third = held_on(supervisor, clerk, "2025-09-30")
    assert not Talk.objects.filter(level=TalkLevel.HEAD).exists()
    assert third.events.filter(action="no_head").exists()
    assert told(supervisor, "talk.no_head")


def test_the_head_of_the_parent_department_is_talked_to_when_the_unit_has_none(
    supervisor: Any, market_dept: Any, head: Staff, county: Any
) -> None:
    unit = DepartmentFactory(name="邯山区市场监管局登记科", region=county, parent=market_dept)
    clerk = StaffFactory(user=UserFactory(username="clerk_unit"), name="吴科员", department=unit)
    for day in ("2025-09-02", "2025-09-15", "2025-09-30"):
        held_on(supervisor, clerk, day)
    head_talk = Talk.objects.get(level=TalkLevel.HEAD)
    assert head_talk.staff == head and head_talk.department == market_dept and head_talk.concerning == clerk


# --------------------------------------------------------------------------- pages


def as_user(user: Any, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


@pytest.fixture
def now() -> Any:
    with time_machine.travel(at("2025-09-26", "09:00"), tick=False) as traveller:
        yield traveller


def test_the_talk_pages_need_a_login_and_a_role(
    client: Client, supervisor: Any, clerk: Staff, handler: Staff
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    for url in ("/supervision/talks/", "/supervision/talks/new/", f"/supervision/talks/{talk.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # a handler may open the list (their own talks: none) but not the scheduling form
    handler_client = as_user(handler.user)
    assert handler_client.get("/supervision/talks/new/").status_code == 403
    assert handler_client.get(f"/supervision/talks/{talk.pk}/").status_code == 404
    citizen = UserFactory(username="citizen", is_staff=False)
    assert as_user(citizen).get("/supervision/talks/").status_code == 403


def test_a_supervisor_schedules_records_and_sees_the_record_through_the_pages(
    now: Any, supervisor: Any, clerk: Staff, head: Staff
) -> None:
    client = as_user(supervisor)
    page = client.get(f"/supervision/talks/new/?staff={clerk.pk}")
    assert page.status_code == 200
    assert f'<option value="{clerk.pk}" selected>' in page.content.decode()
    assert f'<option value="{supervisor.staff.pk}"' not in page.content.decode()  # not oneself

    response = client.post(
        "/supervision/talks/new/",
        {
            "staff": clerk.pk,
            "reason": "rules",
            "reason_text": "窗口工作时间脱岗。",
            "scheduled_at": "2025-09-29T10:00",
        },
    )
    talk = Talk.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/supervision/talks/{talk.pk}/"
    assert talk.scheduled_at == at("2025-09-29", "10:00") and talk.created_by == supervisor

    now.move_to(at("2025-09-29", "11:00"))
    client = as_user(supervisor)  # a new day, a new session
    html = client.get(f"/supervision/talks/{talk.pk}/").content.decode()
    assert f'action="/supervision/talks/{talk.pk}/record/"' in html
    assert 'id="record-window">0 / 3<' in html
    response = client.post(
        f"/supervision/talks/{talk.pk}/record/",
        {"held-record": "指出脱岗问题。", "held-rectification": "书面检查。", "held-rectify_workdays": "3"},
    )
    assert response.status_code == 302
    talk.refresh_from_db()
    # 30 September, then 9 and 10 October (the holiday in between)
    assert talk.status == TalkStatus.HELD and talk.rectify_by == dt.date(2025, 10, 10)
    html = client.get(f"/supervision/talks/{talk.pk}/").content.decode()
    assert 'id="record-window">1 / 3<' in html and 'id="record-held">1<' in html
    assert "held and recorded" in html and "by 2025-10-10" in html
    assert f'action="/supervision/talks/{talk.pk}/record/"' not in html  # held: no more forms


def test_bad_posts_show_the_error_with_status_400_and_change_nothing(
    now: Any, supervisor: Any, clerk: Staff, neighbour_clerk: Staff
) -> None:
    client = as_user(supervisor)
    past = client.post(
        "/supervision/talks/new/",
        {"staff": clerk.pk, "reason": "rules", "reason_text": "脱岗。", "scheduled_at": "2025-09-25T10:00"},
    )
    assert past.status_code == 400 and "has passed" in past.content.decode()
    outside = client.post(
        "/supervision/talks/new/",
        {
            "staff": neighbour_clerk.pk,
            "reason": "rules",
            "reason_text": "脱岗。",
            "scheduled_at": "2025-09-29T10:00",
        },
    )
    assert outside.status_code == 400 and "Select a valid choice" in outside.content.decode()
    no_case = client.post(
        "/supervision/talks/new/",
        {
            "staff": clerk.pk,
            "reason": "complaint",
            "reason_text": "投诉属实。",
            "scheduled_at": "2025-09-29T10:00",
            "case": "NO-SUCH-CASE",
        },
    )
    assert (
        no_case.status_code == 400
        and "No case with this number within your scope." in no_case.content.decode()
    )
    assert state() == ([], 0, 0)

    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    now.move_to(at("2025-09-29", "11:00"))
    client = as_user(supervisor)
    before = state()
    no_record = client.post(f"/supervision/talks/{talk.pk}/record/", {"held-record": " "})
    assert (
        no_record.status_code == 400 and "Write down what was said in the talk." in no_record.content.decode()
    )
    no_reason = client.post(f"/supervision/talks/{talk.pk}/cancel/", {"cancel-reason": ""})
    assert no_reason.status_code == 400 and "Say why the talk is cancelled." in no_reason.content.decode()
    no_excuse = client.post(
        f"/supervision/talks/{talk.pk}/missed/", {"missed-excused": "on", "missed-note": ""}
    )
    assert no_excuse.status_code == 400
    assert state() == before

    talks.talk_cancel(talk=talk, user=supervisor, reason="改期。")
    before = state()
    cancelled = client.post(f"/supervision/talks/{talk.pk}/record/", {"held-record": "记录"})
    assert cancelled.status_code == 400 and "cancelled" in cancelled.content.decode()
    assert state() == before


def test_a_missed_talk_through_the_page_tells_the_head(
    now: Any, supervisor: Any, clerk: Staff, head: Staff
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    now.move_to(at("2025-09-29", "11:00"))
    response = as_user(supervisor).post(f"/supervision/talks/{talk.pk}/missed/", {"missed-note": "未到场。"})
    assert response.status_code == 302
    assert told(head.user, "talk.missed")
    html = as_user(supervisor).get(f"/supervision/talks/{talk.pk}/").content.decode()
    assert 'id="bad-record"' in html and 'id="record-missed">1<' in html


def test_another_countys_supervisor_gets_404_and_changes_nothing(
    now: Any, supervisor: Any, clerk: Staff, neighbour_supervisor: Any
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    client = as_user(neighbour_supervisor)
    assert client.get(f"/supervision/talks/{talk.pk}/").status_code == 404
    assert clerk.name not in client.get("/supervision/talks/").content.decode()
    before = state()
    for action, data in (
        ("record", {"held-record": "记录"}),
        ("missed", {"missed-note": ""}),
        ("cancel", {"cancel-reason": "取消"}),
    ):
        assert client.post(f"/supervision/talks/{talk.pk}/{action}/", data).status_code == 404
    assert state() == before


def test_the_head_reads_the_talks_of_the_department_and_the_clerk_their_own_but_neither_acts(
    now: Any, supervisor: Any, clerk: Staff, head: Staff, handler: Staff
) -> None:
    talk = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    other = schedule(supervisor, handler, "2025-09-30", now=at("2025-09-26"))
    for user in (head.user, clerk.user):
        client = as_user(user)
        html = client.get(f"/supervision/talks/{talk.pk}/").content.decode()
        assert "窗口工作时间脱岗" in html
        assert "/record/" not in html and "/cancel/" not in html
        before = state()
        refused = client.post(f"/supervision/talks/{talk.pk}/cancel/", {"cancel-reason": "不想来"})
        assert refused.status_code == 400 and "Only a supervisor" in refused.content.decode()
        assert state() == before
    # the clerk sees only their own talk; the head both of the bureau's
    assert as_user(clerk.user).get(f"/supervision/talks/{other.pk}/").status_code == 404
    assert as_user(head.user).get(f"/supervision/talks/{other.pk}/").status_code == 200


def test_the_list_filters_by_status_department_and_name(
    now: Any, supervisor: Any, clerk: Staff, handler: Staff, other_market_dept: Any, county: Any
) -> None:
    bureau = DepartmentFactory(name="邯山区住房和城乡建设局", short_name="区住建局", region=county)
    builder = StaffFactory(user=UserFactory(username="builder"), name="郑窗口", department=bureau)
    a = schedule(supervisor, clerk, "2025-09-29", now=at("2025-09-26"))
    b = schedule(supervisor, handler, "2025-09-30", now=at("2025-09-26"))
    c = schedule(supervisor, builder, "2025-09-30", now=at("2025-09-26"))
    talks.talk_cancel(talk=b, user=supervisor, reason="改期。")
    client = as_user(supervisor)

    def shown(query: str) -> set[int]:
        response = client.get("/supervision/talks/?" + query)
        assert response.status_code == 200, response.content.decode()[:1000]
        html = response.content.decode()
        return {t.pk for t in (a, b, c) if f'data-talk="{t.pk}"' in html}

    assert shown("") == {a.pk, b.pk, c.pk}
    assert shown("status=cancelled") == {b.pk}
    assert shown(f"department={bureau.pk}") == {c.pk}
    assert shown("name=窗口") == {a.pk, c.pk}
    assert shown("name=李") == {b.pk}
    assert client.get(f"/supervision/talks/?department={other_market_dept.pk}").status_code == 400
    assert client.get("/supervision/talks/?status=postponed").status_code == 400
    partial = client.get("/supervision/talks/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert partial.content.decode().startswith('<section id="results"')
    # the console's navigation has the tab
    assert (
        'href="/supervision/talks/" aria-current="page"' in client.get("/supervision/talks/").content.decode()
    )


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def test_the_talk_pages_take_constant_queries(
    now: Any, supervisor: Any, market_dept: Any, head: Staff
) -> None:
    def make(n: int, start: int) -> Talk:
        last = None
        for i in range(n):
            staff = StaffFactory(
                user=UserFactory(username=f"clerk{start + i}"), name=f"员{start + i}", department=market_dept
            )
            last = schedule(supervisor, staff, "2025-09-29", now=at("2025-09-26"))
        return last  # type: ignore[return-value]

    def measure(talk: Talk) -> list[int]:
        client = as_user(get_user_model().objects.get(pk=supervisor.pk))
        return [
            count_queries(client, "/supervision/talks/"),
            count_queries(client, "/supervision/talks/?status=scheduled&name=员"),
            count_queries(client, f"/supervision/talks/{talk.pk}/"),
        ]

    first = make(2, 0)
    small = measure(first)
    make(15, 2)
    # the first talk's person is talked to often, with a long history
    for day in ("2025-09-30", "2025-10-09", "2025-10-10"):
        held_on(supervisor, first.staff, day)
    assert measure(first) == small


# --------------------------------------------------------------------------- talks about a complaint


def test_a_talk_about_a_complaint_cites_it_and_enters_its_history(
    supervisor: Any, clerk: Staff, neighbour_clerk: Staff, neighbour_supervisor: Any
) -> None:
    from yiwang.supervision import complaints
    from yiwang.supervision.models import ComplaintEvent

    complaint = complaints.complaint_register(
        user=supervisor,
        channel="visit",
        category="attitude",
        department=clerk.department,
        staff=clerk,
        content="窗口人员态度生硬，拒绝解释所缺材料。",
        complainant_name="刘女士",
        complainant_mobile="13912345678",
        at=at("2025-10-09", "09:00"),
    )
    before = (Talk.objects.count(), ComplaintEvent.objects.filter(complaint=complaint).count())
    # A supervisor of another county does not handle this complaint.
    with pytest.raises(SupervisionError) as refused:
        talks.talk_schedule(
            user=neighbour_supervisor,
            staff=neighbour_clerk,
            reason="complaint",
            reason_text="投诉属实",
            scheduled_at=at("2025-10-13", "10:00"),
            complaint=complaint,
            at=at("2025-10-09", "10:00"),
        )
    assert refused.value.field == "complaint"
    # Someone of another department of the county is not whom it is about.
    tax = DepartmentFactory(name="邯山区税务局", region=clerk.department.region)
    other = StaffFactory(user=UserFactory(username="tax_hs"), name="何科员", department=tax)
    with pytest.raises(SupervisionError) as elsewhere:
        talks.talk_schedule(
            user=supervisor,
            staff=other,
            reason="complaint",
            reason_text="投诉属实",
            scheduled_at=at("2025-10-13", "10:00"),
            complaint=complaint,
            at=at("2025-10-09", "10:00"),
        )
    assert elsewhere.value.field == "staff"
    assert "邯山区市场监督管理局" in elsewhere.value.text
    assert (Talk.objects.count(), ComplaintEvent.objects.filter(complaint=complaint).count()) == before

    talk = talks.talk_schedule(
        user=supervisor,
        staff=clerk,
        reason="complaint",
        reason_text="投诉反映服务态度差，经查属实。",
        scheduled_at=at("2025-10-13", "10:00"),
        complaint=complaint,
        at=at("2025-10-09", "10:00"),
    )
    assert talk.complaint == complaint
    line = ComplaintEvent.objects.filter(complaint=complaint, action="talk").get()
    assert clerk.name in line.note and "2025-10-13 10:00" in line.note
