"""Efficiency complaints (效能投诉, seed 004 part 1): intake, self-handled and transferred
handling, the head's approval and extension, feedback, re-investigation, repeat
complaints, the complainant's protection, refused input, and the deadlines watched by
the time-limit ladders through the supervision sweep.

The complaints are about 邯山区市场监督管理局 and its window clerk 孙窗口; 王监察 of
邯山区电子监察室 registers and handles them and 赵领导 (a leader of 邯郸市) is the head who
approves. They fall around National Day 2025: 1–8 October off, Sunday 28 September and
Saturday 11 October worked, so every working-day limit below crosses the holiday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import APPLICANT_ID
from yiwang.core import calendar
from yiwang.core.models import Notification
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Region, Role, Staff
from yiwang.supervision import complaints, services
from yiwang.supervision.complaints import MeasureSpec
from yiwang.supervision.models import (
    Alert,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintDocument,
    ComplaintEvent,
    ComplaintMeasure,
    ComplaintMode,
    ComplaintStatus,
    Investigation,
    InvestigationKind,
    Level,
    MeasureKind,
    Notice,
    RuleSet,
    Target,
)
from yiwang.supervision.presets import THREE_STAGE
from yiwang.supervision.rules import StageRule
from yiwang.supervision.services import SupervisionError, SupervisionErrorCode
from yiwang.supervision.tests.conftest import at

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def english_messages() -> Any:
    """The services' messages are checked in English (the pages render in Chinese)."""
    with translation.override("en"):
        yield


# --------------------------------------------------------------------------- people


@pytest.fixture
def supervisor(county_supervisor: Staff) -> Any:
    """王监察 of 邯山区电子监察室: the supervision room."""
    return county_supervisor.user


@pytest.fixture
def room(county_supervisor: Staff) -> Department:
    return county_supervisor.department


@pytest.fixture
def head(city_leader: Staff) -> Any:
    """赵领导, a leader of the city: the head (分管领导) who approves the room's handling."""
    return city_leader.user


@pytest.fixture
def room_head(room: Department, county: Region) -> Any:
    """The room's own head: a supervisor who also leads the room, so may propose and approve."""
    staff = StaffFactory(user=UserFactory(username="room_head_hs"), name="冯主任", department=room)
    grant(staff, Role.SUPERVISOR, region=county)
    grant(staff, Role.LEADER, department=room)
    return staff.user


@pytest.fixture
def clerk(window_user: Any) -> Staff:
    """孙窗口, the window clerk complained about."""
    return window_user.staff


@pytest.fixture
def bureau_head(market_dept: Department) -> Any:
    """陈局长 heads the bureau complained about (a leader limited to his department)."""
    staff = StaffFactory(user=UserFactory(username="head_hs"), name="陈局长", department=market_dept)
    grant(staff, Role.LEADER, department=market_dept)
    return staff.user


@pytest.fixture
def unit(town: Region) -> Department:
    """A handling unit inside the county: 火磨街道办事处."""
    return DepartmentFactory(name="火磨街道办事处", short_name="火磨街道", region=town)


@pytest.fixture
def unit_handler(unit: Department) -> Any:
    staff = StaffFactory(user=UserFactory(username="unit_handler"), name="马办事", department=unit)
    grant(staff, Role.HANDLER, department=unit)
    return staff.user


@pytest.fixture
def unit_leader(unit: Department) -> Any:
    staff = StaffFactory(user=UserFactory(username="unit_leader"), name="杨主任", department=unit)
    grant(staff, Role.LEADER, department=unit)
    return staff.user


@pytest.fixture
def far_unit(other_county: Region) -> Department:
    return DepartmentFactory(name="丛台区住房和城乡建设局", short_name="丛台住建", region=other_county)


@pytest.fixture
def neighbour_supervisor(other_county: Region) -> Any:
    room = DepartmentFactory(name="丛台区电子监察室", region=other_county, is_supervision_room=True)
    staff = StaffFactory(user=UserFactory(username="supervisor_ct"), name="钱监察", department=room)
    grant(staff, Role.SUPERVISOR, region=other_county)
    return staff.user


@pytest.fixture
def neighbour_clerk_staff(other_market_dept: Department) -> Staff:
    staff = StaffFactory(user=UserFactory(username="clerk_ct"), name="冯科员", department=other_market_dept)
    grant(staff, Role.HANDLER, department=other_market_dept)
    return staff


@pytest.fixture
def hotline_agent(city: Region) -> Any:
    centre = DepartmentFactory(name="邯郸市12345政务服务便民热线", short_name="12345热线", region=city)
    staff = StaffFactory(user=UserFactory(username="hotline_hd"), name="韩话务", department=centre)
    grant(staff, Role.HOTLINE_AGENT, region=city)
    return staff.user


# --------------------------------------------------------------------------- helpers


def register(
    user: Any,
    department: Department | None,
    moment: dt.datetime,
    *,
    staff: Staff | None = None,
    case: Case | None = None,
    category: str = ComplaintCategory.ATTITUDE,
    channel: str = ComplaintChannel.PHONE,
    **extra: Any,
) -> Complaint:
    fields: dict[str, Any] = {
        "content": "窗口工作人员态度生硬，对申请材料问题不作一次性告知，让我来回跑了三趟。",
        "complainant_name": "刘芳",
        "complainant_mobile": "13803100001",
        "request": "希望改进服务态度并给出说法。",
    }
    fields.update(extra)
    return complaints.complaint_register(
        user=user,
        channel=channel,
        category=category,
        department=department,
        staff=staff,
        case=case,
        at=moment,
        **fields,
    )


def accept_self(complaint: Complaint, user: Any, day: str = "2025-10-10") -> Complaint:
    return complaints.complaint_accept(
        complaint=complaint, user=user, mode=ComplaintMode.SELF, at=at(day, "09:00")
    )


def transfer(complaint: Complaint, user: Any, unit: Department, day: str = "2025-10-10") -> Complaint:
    return complaints.complaint_accept(
        complaint=complaint,
        user=user,
        mode=ComplaintMode.TRANSFER,
        handling_unit=unit,
        instruction="赵领导批示：转火磨街道办事处调查处理，按时报告结果。",
        at=at(day, "09:00"),
    )


def propose(
    complaint: Complaint, user: Any, day: str, *, measures: tuple[MeasureSpec, ...] = ()
) -> Complaint:
    return complaints.complaint_propose(
        complaint=complaint,
        user=user,
        substantiated=True,
        findings="经调阅窗口录像并询问当事人，反映情况属实。",
        proposal="责令孙窗口作出书面检查，在科室内通报批评。",
        measures=measures,
        at=at(day, "10:00"),
    )


def handled_self(complaint: Complaint, supervisor: Any, head: Any) -> Complaint:
    """Accepted 10 October, proposed 15, approved 16, feedback 17: all on time."""
    accept_self(complaint, supervisor)
    propose(complaint, supervisor, "2025-10-15")
    complaints.complaint_approve(complaint=complaint, user=head, at=at("2025-10-16", "10:00"))
    complaints.complaint_feedback(
        complaint=complaint,
        user=supervisor,
        text="经查属实，已责令当事人书面检查。",
        at=at("2025-10-17", "10:00"),
    )
    complaint.refresh_from_db()
    return complaint


def pdf(name: str = "letter.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% complaint letter\n%%EOF\n", content_type="application/pdf")


def state() -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    return (
        list(
            Complaint.objects.order_by("pk").values_list(
                "pk",
                "status",
                "mode",
                "handling_unit_id",
                "handling_limit",
                "handling_due",
                "feedback_due",
                "feedback_at",
                "substantiated",
                "decided_by_id",
                "result",
                "reinvestigations",
            )
        ),
        ComplaintEvent.objects.count(),
        ComplaintDocument.objects.count(),
        ComplaintMeasure.objects.count(),
        Notification.objects.count(),
    )


@contextmanager
def refused(code: str, field: str | None = None) -> Iterator[pytest.ExceptionInfo[SupervisionError]]:
    """Expect a ``SupervisionError`` with ``code`` (and ``field``) that changes nothing."""
    before = state()
    with pytest.raises(SupervisionError) as info:
        yield info
    assert info.value.code == code, info.value.text
    if field is not None:
        assert info.value.field == field, info.value.text
    assert state() == before, "a refused action changed something"


def sweep(day: str, time: str = "00:00") -> services.SweepReport:
    return services.sweep(at(day, time))


def cards(complaint: Complaint) -> list[tuple[str, str, dt.date, int]]:
    """(deadline, level, due date, department) of every alert on the complaint, in order."""
    return [
        (a.target, a.level, a.due_date, a.department_id)
        for a in Alert.objects.filter(complaint=complaint).order_by("raised_at", "pk")
    ]


def actions(complaint: Complaint) -> list[str]:
    return [e.action for e in complaint.events.order_by("at", "pk") if e.action != "notified"]


def told(user: Any, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("pk"))


# --------------------------------------------------------------------------- 1. self-handled


def test_a_self_handled_complaint_through_its_deadlines(
    supervisor: Any, room: Department, head: Any, room_head: Any, clerk: Staff, market_dept: Department
) -> None:
    complaint = register(supervisor, market_dept, at("2025-09-26", "15:00"), staff=clerk)

    assert complaint.status == ComplaintStatus.REGISTERED
    assert complaint.number == "邯山效投〔2025〕1号"
    assert complaint.region == market_dept.region and complaint.staff == clerk
    # Three working days from Friday 26 September: Sunday 28 (worked), Monday 29, Tuesday 30.
    assert complaint.ack_due == D(2025, 9, 30) == calendar.add_workdays(D(2025, 9, 26), 3)
    assert told(supervisor, "complaint.registered")

    # Not acknowledged: nothing before the card's moment, the yellow card on the first
    # working day after the due date, i.e. after the holiday, addressed to the room.
    assert sweep("2025-10-08", "23:59").alerts == 0
    report = sweep("2025-10-09")
    assert report.alerts == 1
    alert = Alert.objects.get(complaint=complaint)
    assert (alert.target, alert.level, alert.due_date) == (Target.COMPLAINT_ACK, Level.YELLOW, D(2025, 9, 30))
    assert alert.case is None and alert.department == room
    assert alert.fire_at == at("2025-10-09", "00:00")
    (message,) = told(supervisor, "alert.yellow")
    assert complaint.number in message.subject and "acceptance" in message.subject

    complaint = accept_self(complaint, supervisor)
    assert complaint.status == ComplaintStatus.HANDLING and complaint.accepted_on == D(2025, 10, 10)
    # Seven working days from Friday 10 October, Saturday 11 October counted: 20 October;
    # the feedback, ten working days: 23 October.
    assert complaint.handling_due == D(2025, 10, 20) == calendar.add_workdays(D(2025, 10, 10), 7)
    assert complaint.feedback_due == D(2025, 10, 23) == calendar.add_workdays(D(2025, 10, 10), 10)
    assert complaint.handling_limit == 7
    assert "(by SMS)" in complaint.events.get(action="accepted").note
    # Acknowledged: the acknowledgement's red card never comes.
    assert sweep("2025-10-13").alerts == 0

    # Only the head extends; a supervisor is not the head.
    with refused(SupervisionErrorCode.FORBIDDEN) as r:
        complaints.complaint_extend(
            complaint=complaint, user=supervisor, workdays=12, reason="需调取录像", at=at("2025-10-13")
        )
    assert "head" in r.value.text
    complaint = complaints.complaint_extend(
        complaint=complaint,
        user=head,
        workdays=12,
        reason="需调取窗口录像并询问多名当事人。",
        at=at("2025-10-13"),
    )
    assert complaint.handling_limit == 12
    assert complaint.handling_due == D(2025, 10, 27) == calendar.add_workdays(D(2025, 10, 10), 12)
    assert complaint.feedback_due == D(2025, 10, 23)
    # At most 15 working days from acceptance.
    with refused(SupervisionErrorCode.BAD_INPUT, "workdays") as r:
        complaints.complaint_extend(
            complaint=complaint, user=head, workdays=16, reason="情况复杂", at=at("2025-10-14")
        )
    assert "15" in r.value.text

    inv = complaints.complaint_investigate(
        complaint=complaint,
        user=supervisor,
        kind=InvestigationKind.TALK,
        held_on=D(2025, 10, 14),
        people="孙窗口",
        record="孙窗口承认当日未作一次性告知。",
        at=at("2025-10-14", "16:00"),
    )
    assert Investigation.objects.filter(complaint=complaint).get() == inv

    complaint = propose(
        complaint,
        room_head,
        "2025-10-15",
        measures=(MeasureSpec(MeasureKind.SELF_EXAMINATION, clerk, "书面检查"),),
    )
    assert complaint.status == ComplaintStatus.PROPOSED and complaint.substantiated is True

    # Whoever proposed does not approve it, even as a head.
    with refused(SupervisionErrorCode.FORBIDDEN) as r:
        complaints.complaint_approve(complaint=complaint, user=room_head, at=at("2025-10-16"))
    assert "other than who proposed" in r.value.text
    with refused(SupervisionErrorCode.FORBIDDEN):
        complaints.complaint_approve(complaint=complaint, user=supervisor, at=at("2025-10-16"))

    complaint = complaints.complaint_approve(complaint=complaint, user=head, at=at("2025-10-22", "10:00"))
    assert complaint.status == ComplaintStatus.HANDLED and complaint.decided_by == head
    (measure,) = ComplaintMeasure.objects.filter(complaint=complaint)
    assert (measure.kind, measure.staff, measure.department) == (
        MeasureKind.SELF_EXAMINATION,
        clerk,
        market_dept,
    )

    # No feedback by 23 October: the yellow card on the feedback on 24 October, the red
    # card three working days later (27, 28, 29 October). The handling was done in time.
    assert sweep("2025-10-23", "23:59").alerts == 0
    assert sweep("2025-10-24").alerts == 1
    assert sweep("2025-10-28", "23:59").alerts == 0
    assert sweep("2025-10-29").alerts == 1
    assert cards(complaint) == [
        (Target.COMPLAINT_ACK, Level.YELLOW, D(2025, 9, 30), room.pk),
        (Target.COMPLAINT_FEEDBACK, Level.YELLOW, D(2025, 10, 23), room.pk),
        (Target.COMPLAINT_FEEDBACK, Level.RED, D(2025, 10, 23), room.pk),
    ]
    assert [m.subject for m in told(supervisor, "alert.red")] == [
        f"[red card] Complaint {complaint.number}: feedback to the complainant, due 2025-10-23"
    ]
    assert told(head, "alert.red"), "the head is told of the red card too"

    complaint = complaints.complaint_feedback(
        complaint=complaint,
        user=supervisor,
        text="经查属实，已责令当事人书面检查。",
        at=at("2025-10-29", "10:00"),
    )
    assert complaint.feedback_at == at("2025-10-29", "10:00") and complaint.feedback_by == supervisor
    complaint.refresh_from_db()
    assert complaint.subjects == [] and complaint.next_at is None
    assert sweep("2025-11-28").alerts == 0
    assert Alert.objects.filter(complaint=complaint).count() == 3
    assert actions(complaint) == [
        "registered",
        "accepted",
        "extended",
        "investigated",
        "proposed",
        "approved",
        "feedback",
    ]


# --------------------------------------------------------------------------- 2. transferred


def test_a_transferred_complaint_is_handled_by_the_unit_with_the_rooms_consent(
    supervisor: Any,
    room: Department,
    unit: Department,
    unit_handler: Any,
    unit_leader: Any,
    far_unit: Department,
    handler_user: Any,
    neighbour_supervisor: Any,
    clerk: Staff,
    market_dept: Department,
) -> None:
    complaint = register(supervisor, market_dept, at("2025-09-26", "15:00"), staff=clerk)

    with refused(SupervisionErrorCode.BAD_INPUT, "instruction") as r:
        complaints.complaint_accept(
            complaint=complaint,
            user=supervisor,
            mode=ComplaintMode.TRANSFER,
            handling_unit=unit,
            instruction="  ",
            at=at("2025-09-29"),
        )
    assert "instruction" in r.value.text
    with refused(SupervisionErrorCode.BAD_INPUT, "handling_unit") as r:
        transfer(complaint, supervisor, far_unit, "2025-09-29")
    assert far_unit.name in r.value.text
    with refused(SupervisionErrorCode.BAD_INPUT, "handling_unit"):
        transfer(complaint, supervisor, room, "2025-09-29")

    complaint = transfer(complaint, supervisor, unit, "2025-09-29")
    assert (complaint.mode, complaint.handling_unit, complaint.status) == (
        ComplaintMode.TRANSFER,
        unit,
        ComplaintStatus.HANDLING,
    )
    # Fifteen working days from Monday 29 September, across the holiday.
    assert complaint.handling_due == calendar.add_workdays(D(2025, 9, 29), 15) == D(2025, 10, 27)
    assert complaint.feedback_due == complaint.handling_due
    assert "赵领导批示" in complaint.events.get(action="transferred").note
    assert told(unit_leader, "complaint.transferred")

    # The unit acts only once the room consents.
    with refused(SupervisionErrorCode.ILLEGAL_IN_STATE) as r:
        complaints.complaint_report_result(
            complaint=complaint, user=unit_handler, result="已批评教育", at=at("2025-10-09")
        )
    assert "consent" in r.value.text
    # The room does not report findings in the unit's place.
    with refused(SupervisionErrorCode.FORBIDDEN):
        propose(complaint, supervisor, "2025-10-09")

    complaint = propose(
        complaint, unit_handler, "2025-10-09", measures=(MeasureSpec(MeasureKind.CRITICISM, clerk),)
    )
    assert complaint.status == ComplaintStatus.PROPOSED
    assert [n.subject for n in told(supervisor, "complaint.reported")] == [
        f"Complaint {complaint.number}: {unit.name} asks for consent to its handling"
    ]
    with refused(SupervisionErrorCode.ILLEGAL_IN_STATE) as r:
        complaints.complaint_report_result(
            complaint=complaint, user=unit_handler, result="已批评教育", at=at("2025-10-10")
        )
    assert "consent" in r.value.text
    # The unit cannot consent to its own handling.
    with refused(SupervisionErrorCode.FORBIDDEN):
        complaints.complaint_approve(complaint=complaint, user=unit_leader, at=at("2025-10-10"))

    complaint = complaints.complaint_approve(complaint=complaint, user=supervisor, at=at("2025-10-10"))
    assert complaint.status == ComplaintStatus.CONSENTED
    assert told(unit_leader, "complaint.consented")
    assert not ComplaintMeasure.objects.exists(), "nothing is decided before the unit acts"

    complaint = complaints.complaint_report_result(
        complaint=complaint,
        user=unit_handler,
        result="已在科室内通报批评孙窗口。",
        upload=pdf("report.pdf"),
        at=at("2025-10-13"),
    )
    assert complaint.status == ComplaintStatus.HANDLED
    assert [m.kind for m in ComplaintMeasure.objects.filter(complaint=complaint)] == [MeasureKind.CRITICISM]
    assert told(supervisor, "complaint.result")

    # Feedback on a transferred complaint: the unit's, not the room's, nobody else's.
    with refused(SupervisionErrorCode.FORBIDDEN) as r:
        complaints.complaint_feedback(
            complaint=complaint, user=supervisor, text="已处理", at=at("2025-10-14")
        )
    assert "handling unit" in r.value.text
    for outsider in (handler_user, neighbour_supervisor):
        with refused(SupervisionErrorCode.FORBIDDEN):
            complaints.complaint_feedback(
                complaint=complaint, user=outsider, text="已处理", at=at("2025-10-14")
            )

    complaint = complaints.complaint_feedback(
        complaint=complaint, user=unit_handler, text="已对当事人通报批评，感谢监督。", at=at("2025-10-14")
    )
    assert complaint.feedback_at == at("2025-10-14")
    assert told(supervisor, "complaint.feedback")
    with refused(SupervisionErrorCode.ILLEGAL_IN_STATE):
        complaints.complaint_feedback(
            complaint=complaint, user=unit_handler, text="再次反馈", at=at("2025-10-15")
        )
    assert sweep("2025-11-28").alerts == 0
    assert actions(complaint) == [
        "registered",
        "transferred",
        "reported",
        "consented",
        "attached",
        "result",
        "feedback",
    ]


def test_an_overdue_transferred_handling_is_carded_to_the_handling_unit(
    supervisor: Any, head: Any, room: Department, unit: Department, unit_leader: Any, market_dept: Department
) -> None:
    complaint = register(supervisor, market_dept, at("2025-09-26", "15:00"))
    complaint = transfer(complaint, supervisor, unit)
    # Fifteen working days from acceptance on Friday 10 October.
    assert complaint.handling_due == D(2025, 10, 30) == calendar.add_workdays(D(2025, 10, 10), 15)
    assert complaint.handling_limit == 15

    # A transferred complaint has no extension.
    with refused(SupervisionErrorCode.ILLEGAL_IN_STATE):
        complaints.complaint_extend(
            complaint=complaint, user=head, workdays=15, reason="情况复杂", at=at("2025-10-13")
        )

    assert sweep("2025-10-30", "23:59").alerts == 0
    assert sweep("2025-10-31").alerts == 2
    assert sorted(cards(complaint)) == [
        (Target.COMPLAINT_FEEDBACK, Level.YELLOW, D(2025, 10, 30), unit.pk),
        (Target.COMPLAINT_HANDLING, Level.YELLOW, D(2025, 10, 30), unit.pk),
    ]
    assert len(told(unit_leader, "alert.yellow")) == 2
    assert len(told(supervisor, "alert.yellow")) == 2


# --------------------------------------------------------------------------- 3. re-investigation


def test_the_room_orders_a_reinvestigation_with_new_limits(
    supervisor: Any, room: Department, head: Any, market_dept: Department, clerk: Staff
) -> None:
    complaint = handled_self(
        register(supervisor, market_dept, at("2025-10-09"), staff=clerk), supervisor, head
    )
    assert complaint.feedback_at is not None and complaint.next_at is None

    with refused(SupervisionErrorCode.BAD_INPUT, "reason"):
        complaints.complaint_reinvestigate(
            complaint=complaint, user=supervisor, reason=" ", at=at("2025-11-03")
        )
    with refused(SupervisionErrorCode.FORBIDDEN):
        complaints.complaint_reinvestigate(
            complaint=complaint, user=head, reason="处理不当", at=at("2025-11-03")
        )

    complaint = complaints.complaint_reinvestigate(
        complaint=complaint,
        user=supervisor,
        reason="投诉人反映处理结果与事实不符，需重新调查。",
        at=at("2025-11-03", "09:00"),
    )
    assert complaint.status == ComplaintStatus.HANDLING and complaint.reinvestigations == 1
    # New limits from Monday 3 November.
    assert complaint.handling_due == D(2025, 11, 12) == calendar.add_workdays(D(2025, 11, 3), 7)
    assert complaint.feedback_due == D(2025, 11, 17) == calendar.add_workdays(D(2025, 11, 3), 10)
    # The old feedback no longer counts: the feedback is due again.
    assert complaint.feedback_at is None and complaint.substantiated is None
    complaint.refresh_from_db()
    assert {s["target"] for s in complaint.subjects} == {Target.COMPLAINT_HANDLING, Target.COMPLAINT_FEEDBACK}

    assert sweep("2025-11-12", "23:59").alerts == 0
    assert sweep("2025-11-13").alerts == 1
    (alert,) = Alert.objects.filter(complaint=complaint)
    assert (alert.target, alert.level, alert.due_date, alert.department) == (
        Target.COMPLAINT_HANDLING,
        Level.YELLOW,
        D(2025, 11, 12),
        room,
    )
    assert alert.subject_key.startswith("handling:1:")

    # It can be handled and answered again.
    propose(complaint, supervisor, "2025-11-14")
    complaints.complaint_approve(complaint=complaint, user=head, at=at("2025-11-14", "15:00"))
    complaint = complaints.complaint_feedback(
        complaint=complaint, user=supervisor, text="重新调查后维持原处理。", at=at("2025-11-17")
    )
    assert complaint.feedback_at == at("2025-11-17")
    assert sweep("2025-12-01").alerts == 0
    assert "reinvestigate" in actions(complaint)


# --------------------------------------------------------------------------- 4. repeat complaints


def test_a_complaint_about_the_same_matter_within_twelve_months_is_linked(
    supervisor: Any,
    market_dept: Department,
    unit: Department,
    clerk: Staff,
    food_licence: Any,
    window_user: Any,
) -> None:
    case = cases.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="刘芳",
        applicant_id_number=APPLICANT_ID,
        user=window_user,
        at=at("2025-09-22"),
    )
    first = register(supervisor, market_dept, at("2025-09-26", "15:00"), staff=clerk)
    assert first.repeat_of is None

    again = register(supervisor, market_dept, at("2026-03-02"), staff=clerk)
    assert again.repeat_of == first
    history = complaints.complaint_history(again)
    (line,) = [h for h in history if h.entry.action == "repeat"]
    assert line.label == "linked as a repeat complaint"
    assert first.number in line.note
    assert again.number == "邯山效投〔2026〕1号"

    # A third about the same clerk links to the first, not to the second; so does one
    # more than 12 months after the first but within 12 months of a repeat of it.
    third = register(supervisor, market_dept, at("2026-03-09"), staff=clerk)
    assert third.repeat_of == first
    assert register(supervisor, market_dept, at("2026-09-28"), staff=clerk).repeat_of == first

    # About the same case, whoever is named.
    about_case = register(
        supervisor, market_dept, at("2025-10-09"), case=case, category=ComplaintCategory.EFFICIENCY
    )
    assert about_case.repeat_of is None
    same_case = register(
        supervisor, market_dept, at("2025-10-10"), case=case, category=ComplaintCategory.REFUSED
    )
    assert same_case.repeat_of == about_case

    # Not linked: another category about the clerk, another department, or after 12 months.
    assert (
        register(
            supervisor, market_dept, at("2025-10-09"), staff=clerk, category=ComplaintCategory.FEES
        ).repeat_of
        is None
    )
    assert register(supervisor, unit, at("2025-10-09")).repeat_of is None
    old = register(
        supervisor,
        market_dept,
        at("2025-09-26", "16:00"),
        staff=clerk,
        category=ComplaintCategory.BUCK_PASSING,
    )
    assert old.repeat_of is None
    late = register(
        supervisor, market_dept, at("2026-09-28"), staff=clerk, category=ComplaintCategory.BUCK_PASSING
    )
    assert late.repeat_of is None
    assert not ComplaintEvent.objects.filter(complaint=first, action="repeat").exists()


# --------------------------------------------------------------------------- 5. protection


def test_only_the_room_sees_who_complained(
    supervisor: Any,
    bureau_head: Any,
    unit: Department,
    unit_handler: Any,
    unit_leader: Any,
    neighbour_supervisor: Any,
    market_dept: Department,
    clerk: Staff,
) -> None:
    complaint = transfer(
        register(supervisor, market_dept, at("2025-09-26", "15:00"), staff=clerk), supervisor, unit
    )

    assert list(complaints.complaints_for(supervisor)) == [complaint]
    assert complaints.sees_identity(supervisor, complaint)

    assert list(complaints.complaints_for(bureau_head)) == [complaint]
    assert not complaints.sees_identity(bureau_head, complaint)
    assert not complaints.is_head(bureau_head, complaint), "the bureau's head does not approve"

    assert list(complaints.complaints_for(unit_handler)) == [complaint]
    assert not complaints.sees_identity(unit_handler, complaint)

    assert list(complaints.complaints_for(neighbour_supervisor)) == []
    assert not complaints.sees_identity(neighbour_supervisor, complaint)
    assert complaints.complaint_for(neighbour_supervisor, complaint.pk) is None

    # Whatever reaches the unit or the bureau names no complainant.
    outside = Notification.objects.exclude(recipient=supervisor)
    assert outside.filter(recipient=unit_leader, kind="complaint.transferred").exists()
    for message in outside:
        assert "刘芳" not in message.subject + message.body and "13803100001" not in message.body


def test_a_retaliation_complaint_is_a_priority_and_listed_first(
    supervisor: Any, market_dept: Department, clerk: Staff
) -> None:
    ordinary = register(supervisor, market_dept, at("2025-09-26", "10:00"))
    retaliation = register(
        supervisor,
        market_dept,
        at("2025-09-25", "10:00"),
        staff=clerk,
        category=ComplaintCategory.RETALIATION,
    )
    later = register(supervisor, market_dept, at("2025-09-29", "10:00"), category=ComplaintCategory.FEES)

    assert retaliation.priority is True and ordinary.priority is False
    assert list(complaints.complaints_for(supervisor)) == [retaliation, later, ordinary]
    assert told(supervisor, "complaint.registered")[1].subject.startswith("Priority: retaliation complaint")


# --------------------------------------------------------------------------- 6. bad input


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"content": ""}, "content", "content"),
        ({"content": "   \n "}, "content", "content"),
        ({"department": None}, "department", "department"),
        ({"category": "rudeness"}, "category", "kind of problem"),
        ({"channel": "fax"}, "channel", "how the complaint came in"),
        ({"complainant_mobile": "1380310000"}, "complainant_mobile", "mobile"),
        ({"complainant_mobile": "23803100001"}, "complainant_mobile", "mobile"),
        (
            {"complainant_mobile": "", "complainant_phone": "", "complainant_address": ""},
            "complainant_mobile",
            "reach",
        ),
        ({"complainant_name": " "}, "complainant_name", "name"),
        ({"content": "投" * 4001}, "content", "4000"),
        ({"received_at": at("2025-09-27", "09:00")}, "received_at", "later than now"),
        (
            {"attachments": [SimpleUploadedFile("complaint.exe", b"MZ\x90\x00\x03\x00\x00\x00")]},
            "files",
            "not a PDF",
        ),
        (
            {"attachments": [SimpleUploadedFile("letter.pdf", b"I complain about the window.")]},
            "files",
            "not a PDF",
        ),
        ({"attachments": [SimpleUploadedFile("empty.pdf", b"")]}, "files", "empty"),
    ],
)
def test_a_bad_registration_is_refused_and_writes_nothing(
    supervisor: Any, market_dept: Department, changes: dict[str, Any], field: str, words: str
) -> None:
    args: dict[str, Any] = {"department": market_dept}
    args.update(changes)
    department = args.pop("department")
    with refused(SupervisionErrorCode.BAD_INPUT, field) as r:
        register(supervisor, department, at("2025-09-26", "15:00"), **args)
    assert words in r.value.text
    assert not Complaint.objects.exists() and not ComplaintEvent.objects.exists()


def test_a_named_staff_member_or_case_must_belong_to_the_department(
    supervisor: Any,
    market_dept: Department,
    unit: Department,
    unit_handler: Any,
    food_licence: Any,
    window_user: Any,
) -> None:
    case = cases.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="刘芳",
        applicant_id_number=APPLICANT_ID,
        user=window_user,
        at=at("2025-09-22"),
    )
    with refused(SupervisionErrorCode.BAD_INPUT, "staff") as r:
        register(supervisor, market_dept, at("2025-09-26"), staff=unit_handler.staff)
    assert r.value.text == f"马办事 does not work for {market_dept.name}."
    with refused(SupervisionErrorCode.BAD_INPUT, "case") as r:
        register(supervisor, unit, at("2025-09-26"), case=case)
    assert case.number in r.value.text and unit.name in r.value.text
    assert not Complaint.objects.exists()

    # The same with the right department goes through, with a PDF attachment kept.
    complaint = register(supervisor, market_dept, at("2025-09-26"), case=case, attachments=[pdf()])
    (doc,) = complaint.documents.all()
    assert doc.content_type == "application/pdf" and doc.title == "letter.pdf"


def test_who_may_register(
    supervisor: Any,
    handler_user: Any,
    hotline_agent: Any,
    neighbour_supervisor: Any,
    market_dept: Department,
) -> None:
    with refused(SupervisionErrorCode.FORBIDDEN) as r:
        register(handler_user, market_dept, at("2025-09-26"))
    assert market_dept.name in r.value.text
    with refused(SupervisionErrorCode.FORBIDDEN):
        register(neighbour_supervisor, market_dept, at("2025-09-26"))
    with refused(SupervisionErrorCode.FORBIDDEN) as r:
        register(hotline_agent, market_dept, at("2025-09-26"), channel=ComplaintChannel.PHONE)
    assert "12345" in r.value.text
    assert not Complaint.objects.exists()

    complaint = register(hotline_agent, market_dept, at("2025-09-26"), channel=ComplaintChannel.HOTLINE)
    assert complaint.registered_by == hotline_agent and complaint.channel == ComplaintChannel.HOTLINE
    assert told(supervisor, "complaint.registered"), "the room hears of what the hotline registers"


def test_a_complaint_is_taken_up_only_once(
    supervisor: Any, head: Any, market_dept: Department, unit: Department
) -> None:
    complaint = accept_self(register(supervisor, market_dept, at("2025-09-26")), supervisor, "2025-09-29")

    with refused(SupervisionErrorCode.ILLEGAL_IN_STATE) as r:
        accept_self(complaint, supervisor, "2025-09-30")
    assert "being handled" in r.value.text
    with refused(SupervisionErrorCode.ILLEGAL_IN_STATE):
        transfer(complaint, supervisor, unit, "2025-09-30")
    with refused(SupervisionErrorCode.ILLEGAL_IN_STATE):
        complaints.complaint_answer(
            complaint=complaint,
            user=supervisor,
            answer="已当场答复",
            outside_remit=False,
            at=at("2025-09-30"),
        )

    other = register(supervisor, market_dept, at("2025-09-26", "11:00"))
    other = complaints.complaint_answer(
        complaint=other,
        user=supervisor,
        answer="已当场解释办理流程，投诉人表示满意。",
        outside_remit=False,
        at=at("2025-09-29"),
    )
    assert other.status == ComplaintStatus.CLOSED and other.next_at is None
    with refused(SupervisionErrorCode.ILLEGAL_IN_STATE):
        accept_self(other, supervisor, "2025-09-30")


def test_measures_need_a_substantiated_complaint(
    supervisor: Any, market_dept: Department, clerk: Staff, neighbour_clerk_staff: Staff
) -> None:
    complaint = accept_self(register(supervisor, market_dept, at("2025-09-26"), staff=clerk), supervisor)

    def try_propose(substantiated: bool | None, measures: tuple[MeasureSpec, ...]) -> None:
        complaints.complaint_propose(
            complaint=complaint,
            user=supervisor,
            substantiated=substantiated,
            findings="经查不属实。",
            proposal="向投诉人解释。",
            measures=measures,
            at=at("2025-10-13"),
        )

    with refused(SupervisionErrorCode.BAD_INPUT, "measures") as r:
        try_propose(False, (MeasureSpec(MeasureKind.CRITICISM, clerk),))
    assert "substantiated" in r.value.text
    with refused(SupervisionErrorCode.BAD_INPUT, "substantiated"):
        try_propose(None, ())
    with refused(SupervisionErrorCode.BAD_INPUT, "measures"):
        try_propose(True, (MeasureSpec(MeasureKind.CRITICISM, neighbour_clerk_staff),))
    with refused(SupervisionErrorCode.BAD_INPUT, "measures") as r:
        try_propose(True, (MeasureSpec(MeasureKind.RECTIFICATION, clerk),))
    assert "1 to 60" in r.value.text

    try_propose(False, ())
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.PROPOSED and complaint.substantiated is False


def test_a_naive_moment_is_refused(supervisor: Any, market_dept: Department) -> None:
    with refused(SupervisionErrorCode.BAD_INPUT):
        register(supervisor, market_dept, dt.datetime(2025, 9, 26, 9, 0))


# --------------------------------------------------------------------------- 7. three-stage ladder


def test_the_three_stage_ladder_warns_two_working_days_before(
    supervisor: Any, room: Department, county: Region, market_dept: Department
) -> None:
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=THREE_STAGE), region=county)
    complaint = register(supervisor, market_dept, at("2025-09-26", "15:00"))

    # Acknowledgement due Tuesday 30 September: the warning on Monday 29 (two working days
    # remain, that day included), the yellow card on the day, the red the working day after.
    assert sweep("2025-09-28", "23:59").alerts == 0
    assert sweep("2025-09-29").alerts == 1
    assert sweep("2025-09-30").alerts == 1
    assert cards(complaint) == [
        (Target.COMPLAINT_ACK, Level.WARNING, D(2025, 9, 30), room.pk),
        (Target.COMPLAINT_ACK, Level.YELLOW, D(2025, 9, 30), room.pk),
    ]
    assert told(supervisor, "alert.warning")

    complaint = accept_self(complaint, supervisor, "2025-09-30")
    # Handling due 7 working days after 30 September: 9, 10, 11, 13, 14, 15, 16 October;
    # the warning two working days before, on 15 October.
    assert complaint.handling_due == D(2025, 10, 16)
    assert sweep("2025-10-14", "23:59").alerts == 0
    assert sweep("2025-10-15").alerts == 1
    warning = Alert.objects.filter(complaint=complaint).latest("pk")
    assert (warning.target, warning.level, warning.due_date, warning.fire_at) == (
        Target.COMPLAINT_HANDLING,
        Level.WARNING,
        D(2025, 10, 16),
        at("2025-10-15", "00:00"),
    )


# --------------------------------------------------------------------------- 8. idempotence


def test_the_sweep_raises_each_card_once(supervisor: Any, market_dept: Department, unit: Department) -> None:
    register(supervisor, market_dept, at("2025-09-26", "15:00"))
    transfer(register(supervisor, market_dept, at("2025-09-26", "16:00")), supervisor, unit)

    first = sweep("2025-11-10")
    # The unacknowledged one: the acknowledgement's yellow and red cards; the transferred
    # one: the yellow and red cards of its handling and of its feedback.
    assert first.alerts == 6
    before = (Alert.objects.count(), Notification.objects.count(), ComplaintEvent.objects.count())
    again = sweep("2025-11-10")
    assert again.alerts == 0 and again.messages == 0
    assert (Alert.objects.count(), Notification.objects.count(), ComplaintEvent.objects.count()) == before


def test_the_rooms_own_head_sees_what_they_approve(
    supervisor: Any, room: Department, market_dept: Department, clerk: Staff
) -> None:
    """A head limited to the supervision room (a leader of the room, not a supervisor)
    approves the room's handling, so reads its complaints, but without the identity."""
    staff = StaffFactory(user=UserFactory(username="room_chief"), name="冯主任", department=room)
    grant(staff, Role.LEADER, department=room)
    chief = staff.user
    complaint = accept_self(register(supervisor, market_dept, at("2025-09-26"), staff=clerk), supervisor)
    propose(complaint, supervisor, "2025-10-13")

    assert complaints.is_head(chief, complaint)
    assert list(complaints.complaints_for(chief)) == [complaint]
    assert complaints.complaint_for(chief, complaint.pk) == complaint
    assert not complaints.sees_identity(chief, complaint)
    assert told(chief, "complaint.registered"), "the head is told, and can open what they are told of"
    complaint = complaints.complaint_approve(complaint=complaint, user=chief, at=at("2025-10-14"))
    assert complaint.status == ComplaintStatus.HANDLED


def test_a_stage_with_a_notice_issues_it_to_the_unit_the_card_lies_with(
    supervisor: Any, unit: Department, market_dept: Department, county: Region
) -> None:
    """A ladder may issue a notice with a complaint's card, as with a case's: an urging
    notice (督办通知书) to the handling unit that let the handling run over."""
    rule_set = RuleSet.objects.create(code="complaint-urging", name="投诉件超时督办")
    services.ruleset_new_version(
        rule_set=rule_set,
        stages=[
            StageRule("complaint_handling", "yellow", "overdue", 1, None, "urging"),
            StageRule("case", "yellow", "overdue", 1, None, ""),
        ],
    )
    services.ruleset_assign(rule_set=rule_set, region=county)
    complaint = transfer(register(supervisor, market_dept, at("2025-09-26", "15:00")), supervisor, unit)

    report = sweep("2025-10-31")
    assert (report.alerts, report.notices) == (1, 1)
    notice = Notice.objects.get(complaint=complaint)
    assert notice.kind == "urging" and notice.case is None
    assert notice.department == unit  # the card lies with the handling unit
    assert notice.number == "邯山督办〔2025〕1号"
    assert complaint.number in notice.facts and "投诉件办理时限" in notice.facts
    services.issue_pdf(notice)
    assert any(notice.number in e.note for e in complaint.events.filter(action="notice"))


def test_the_sweep_reads_a_fixed_number_of_queries_however_many_complaints_are_due(
    supervisor: Any, room: Department, market_dept: Department
) -> None:
    """Cards are raised, facts kept and people told per batch, not per complaint."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def sweep_queries(n: int, day: str) -> tuple[int, int]:
        made = [
            register(supervisor, market_dept, at(day, "09:00"), complainant_name=f"投诉人{i}")
            for i in range(n)
        ]
        moment = at(calendar.add_workdays(D.fromisoformat(day), 4).isoformat(), "00:00")
        with CaptureQueriesContext(connection) as queries:
            report = services.sweep(moment)
        for complaint in made:  # answered: nothing more to raise on them
            complaints.complaint_answer(
                complaint=complaint, user=supervisor, answer="已当面答复。", outside_remit=False, at=moment
            )
        return report.alerts, len(queries)

    few = sweep_queries(2, "2025-11-03")
    many = sweep_queries(7, "2025-11-17")
    assert (few[0], many[0]) == (2, 7)  # a yellow card on each acknowledgement
    assert many[1] == few[1]
