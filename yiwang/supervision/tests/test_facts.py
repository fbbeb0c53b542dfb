"""The daily facts: kept as cases, sweeps and complaints happen, and rebuilt from the
ledger to exactly the same rows.

November 2025 has no holidays: weekends only. 邯山区市场监督管理局's 食品经营许可 (promised
10 working days, statutory 20) receives five applications on Monday 3 November: three at
window 3 of the 邯山区政务服务中心, where 孙窗口 sits, and two online.

- A (window): accepted the same day, completed Thursday 6 November: early (due 17 November),
  3 working days used.
- B (online): accepted the same day; the handler asks for a supplement on the 4th (received
  the 6th: 2 working days stopped) and again on the 7th (received Monday the 10th: 1 more);
  due 3 + 10 + 3 working days = Thursday 20 November, completed that day: on time, not
  early, 13 − 3 = 10 working days used.
- C (window): accepted the same day; an expert review from the 4th to the 5th (1 day
  stopped); extended by 2 days on the 5th; due 3 + 12 + 1 = Thursday 20 November,
  completed Friday the 21st: late, 14 − 1 = 13 working days used, promised 12.
- D (window): not accepted.
- E (online): a supplement asked for before acceptance, by the window, on the 3rd.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel, EventType
from yiwang.cases.services import template_of, view_of
from yiwang.cases.tests.conftest import APPLICANT_ID, at
from yiwang.catalog.models import ItemVersion
from yiwang.org.factories import UserFactory, center, window
from yiwang.org.models import Department, Region, Staff, Window
from yiwang.supervision import complaints, facts, services
from yiwang.supervision.models import (
    FACT_MEASURES,
    Alert,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintMode,
    DailyFact,
    DetectorSetting,
    Irregularity,
    Level,
)
from yiwang.supervision.services import SupervisionError, SupervisionErrorCode

pytestmark = pytest.mark.django_db

D = dt.date
NOV = (D(2025, 11, 1), D(2025, 11, 30))
COLUMNS = ["day", "department_id", "region_path", "item_id", "window_id", "staff_id", *FACT_MEASURES]


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(autouse=True)
def recorded_as_it_happens() -> None:
    """These tests record 2025's events today, which the backfilling and off-system
    detectors rightly flag on every event; they are switched off so that the findings
    counted are the ones the story makes."""
    for code in ("backfilled", "off_system"):
        DetectorSetting.objects.create(code=code, enabled=False)


@pytest.fixture
def window_3(county: Region, market_dept: Department, window_user: Any) -> Window:
    """Window 3 of the county's service center, where 孙窗口 sits."""
    hall = center(county, "邯山区政务服务中心", "邯山区滏东南大街1号")
    w = window(hall, "3", "市场监管综合窗口", [market_dept])
    staff = window_user.staff
    staff.window = w
    staff.save(update_fields=["window"])
    return w


@pytest.fixture
def applicant() -> Any:
    return UserFactory(username="liufang")


def file(version: ItemVersion, user: Any, moment: dt.datetime, *, online: bool = False) -> Case:
    return cases.case_file(
        version=version,
        channel=Channel.ONLINE if online else Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="刘芳",
        applicant_id_number=APPLICANT_ID,
        user=user,
        applicant_user=user if online else None,
        at=moment,
    )


def supplement(case: Case, user: Any, moment: dt.datetime) -> None:
    cases.case_request_supplement(
        case=case,
        user=user,
        items=[{"material": None, "name": "营业执照复印件", "problem": "复印件不清晰"}],
        at=moment,
    )


def decide_and_complete(case: Case, people: dict[str, Any], day: str) -> None:
    cases.case_pass_step(case=case, user=people["handler"], opinion="材料齐全", at=at(day, "09:00"))
    cases.case_pass_step(case=case, user=people["reviewer"], opinion="同意", at=at(day, "10:00"))
    cases.case_decide(case=case, user=people["approver"], decision="approved", at=at(day, "11:00"))
    cases.case_complete(case=case, user=people["approver"], at=at(day, "16:00"))


def rows() -> list[tuple[Any, ...]]:
    """Every column of every fact row, in key order."""
    return list(
        DailyFact.objects.order_by("day", "department_id", "item_id", "window_id", "staff_id").values_list(
            *COLUMNS
        )
    )


def fact(day: dt.date, **key: int) -> dict[str, int]:
    """The non-zero measures of one fact row."""
    row = DailyFact.objects.filter(day=day, **key).values(*FACT_MEASURES).get()
    return {name: n for name, n in row.items() if n}


def total(department: Department, day: dt.date) -> dict[str, int]:
    sums: dict[str, int] = {}
    for row in DailyFact.objects.filter(department=department, day=day).values(*FACT_MEASURES):
        for name, n in row.items():
            if n:
                sums[name] = sums.get(name, 0) + n
    return sums


@pytest.fixture
def people(window_user: Any, handler_user: Any, reviewer_user: Any, approver_user: Any) -> dict[str, Any]:
    return {
        "window": window_user,
        "handler": handler_user,
        "reviewer": reviewer_user,
        "approver": approver_user,
    }


@pytest.fixture
def november(
    food_licence: ItemVersion,
    window_3: Window,
    applicant: Any,
    people: dict[str, Any],
    county_supervisor: Staff,
    city_leader: Staff,
    market_dept: Department,
) -> dict[str, Any]:
    """The five cases, a sweep on the morning C falls due, and a substantiated complaint
    about 孙窗口 (registered on the 5th, decided on the 12th)."""
    w, handler, approver = people["window"], people["handler"], people["approver"]
    a = file(food_licence, w, at("2025-11-03", "09:00"))
    b = file(food_licence, applicant, at("2025-11-03", "09:30"), online=True)
    c = file(food_licence, w, at("2025-11-03", "10:00"))
    d = file(food_licence, w, at("2025-11-03", "10:30"))
    e = file(food_licence, applicant, at("2025-11-03", "11:00"), online=True)
    for case in (a, b, c):
        cases.case_accept(case=case, user=w, at=at("2025-11-03", "14:00"))
    cases.case_refuse(
        case=d,
        user=w,
        reason="不属于本部门职权范围",
        legal_basis="《行政许可法》第三十二条",
        at=at("2025-11-03", "15:00"),
    )
    supplement(e, w, at("2025-11-03", "16:00"))

    decide_and_complete(a, people, "2025-11-06")

    supplement(b, handler, at("2025-11-04", "10:00"))
    cases.case_receive_supplement(
        case=b, user=applicant, note="已补交清晰复印件", at=at("2025-11-06", "10:00")
    )
    supplement(b, handler, at("2025-11-07", "10:00"))
    cases.case_receive_supplement(case=b, user=applicant, note="再次补交", at=at("2025-11-10", "10:00"))

    cases.case_suspend(
        case=c,
        user=handler,
        kind="expert_review",
        reason="需专家评审",
        expected_days=1,
        at=at("2025-11-04", "11:00"),
    )
    cases.case_resume(case=c, user=handler, result="专家评审通过", at=at("2025-11-05", "09:00"))
    cases.case_extend(case=c, user=approver, days=2, reason="情况复杂", at=at("2025-11-05", "10:00"))

    supervisor, head = county_supervisor.user, city_leader.user
    complaint = complaints.complaint_register(
        user=supervisor,
        channel=ComplaintChannel.PHONE,
        category=ComplaintCategory.ATTITUDE,
        department=market_dept,
        staff=w.staff,
        case=a,
        content="窗口工作人员态度生硬。",
        complainant_name="刘芳",
        complainant_mobile="13803100001",
        at=at("2025-11-05", "15:00"),
    )
    complaints.complaint_accept(
        complaint=complaint, user=supervisor, mode=ComplaintMode.SELF, at=at("2025-11-06", "09:00")
    )
    complaints.complaint_propose(
        complaint=complaint,
        user=supervisor,
        substantiated=True,
        findings="经调阅录像，反映属实。",
        proposal="责令书面检查。",
        at=at("2025-11-10", "10:00"),
    )
    complaints.complaint_approve(complaint=complaint, user=head, at=at("2025-11-12", "10:00"))
    complaints.complaint_feedback(
        complaint=complaint, user=supervisor, text="经查属实，已责令书面检查。", at=at("2025-11-13", "10:00")
    )

    sweep = services.sweep(at("2025-11-21", "00:00"), notify=False)
    decide_and_complete(b, people, "2025-11-20")
    decide_and_complete(c, people, "2025-11-21")
    return {"cases": (a, b, c, d, e), "complaint": complaint, "sweep": sweep}


# --------------------------------------------------------------------------- kept as it happens


def test_the_day_of_applications_per_staff_member_and_window(
    november: dict[str, Any],
    market_dept: Department,
    food_licence: ItemVersion,
    window_user: Any,
    window_3: Window,
) -> None:
    item = food_licence.item_id
    clerk = window_user.staff.pk
    # 孙窗口 at window 3 filed three, accepted three, refused one and sent E's notice.
    assert fact(
        D(2025, 11, 3), department=market_dept, item_id=item, window_id=window_3.pk, staff_id=clerk
    ) == {
        "received": 3,
        "accepted": 3,
        "refused": 1,
        "supplements": 1,
    }
    # The two online applications belong to no staff member and no window.
    assert fact(D(2025, 11, 3), department=market_dept, item_id=item, window_id=0, staff_id=0) == {
        "received": 2,
        "online": 2,
    }
    day = total(market_dept, D(2025, 11, 3))
    assert (day["received"], day["online"]) == (5, 2)  # online share 40 %
    region_paths = set(DailyFact.objects.filter(department=market_dept).values_list("region_path", flat=True))
    assert region_paths == {market_dept.region.path}


def test_supplements_suspensions_and_completions(
    november: dict[str, Any],
    market_dept: Department,
    food_licence: ItemVersion,
    handler_user: Any,
    approver_user: Any,
) -> None:
    item = food_licence.item_id
    handler, approver = handler_user.staff.pk, approver_user.staff.pk
    # B's first notice and C's expert review on the 4th; B's second notice (a repeat) on the 7th.
    assert fact(D(2025, 11, 4), department=market_dept, item_id=item, staff_id=handler) == {
        "supplements": 1,
        "suspensions": 1,
    }
    assert fact(D(2025, 11, 7), department=market_dept, item_id=item, staff_id=handler) == {
        "supplements": 1,
        "repeat_supplements": 1,
    }
    # A: early (and so on time); B: on its due date; C: a day late. Credited to the approver.
    assert fact(D(2025, 11, 6), department=market_dept, item_id=item, staff_id=approver) == {
        "completed": 1,
        "early": 1,
        "on_time": 1,
        "workdays_used": 3,
        "promised_days": 10,
        "statutory_days": 20,
    }
    assert fact(D(2025, 11, 20), department=market_dept, item_id=item, staff_id=approver) == {
        "completed": 1,
        "on_time": 1,
        "workdays_used": 10,
        "promised_days": 10,
        "statutory_days": 20,
    }
    assert fact(D(2025, 11, 21), department=market_dept, item_id=item, staff_id=approver) == {
        "completed": 1,
        "late": 1,
        "workdays_used": 13,
        "promised_days": 12,
        "statutory_days": 20,
    }
    a, b, c = november["cases"][:3]
    for case, due in ((a, D(2025, 11, 17)), (b, D(2025, 11, 20)), (c, D(2025, 11, 20))):
        case.refresh_from_db()
        assert case.due_date == due


def test_cards_irregularities_and_complaints(
    november: dict[str, Any],
    market_dept: Department,
    food_licence: ItemVersion,
    window_user: Any,
    window_3: Window,
) -> None:
    # The sweep on the 21st finds B and C due the day before and not completed: a yellow
    # card each (the room's ladder), for the department, not a person.
    assert november["sweep"].by_level == {Level.YELLOW: 2}
    # The irregularities: B's second supplement notice (the 7th) and C's late completion
    # (the 21st), each on the day of the event that made it true, for no one person.
    assert sorted(Irregularity.objects.values_list("code", flat=True)) == [
        "late_completion",
        "repeated_supplement",
    ]
    item = food_licence.item_id
    assert fact(D(2025, 11, 21), department=market_dept, item_id=item, staff_id=0) == {
        "yellow_cards": 2,
        "irregularities": 1,
    }
    assert fact(D(2025, 11, 7), department=market_dept, item_id=item, staff_id=0) == {"irregularities": 1}
    # The complaint about 孙窗口 at window 3 about case A: received on the 5th, decided substantiated on the 12th.
    key = {
        "department": market_dept,
        "item_id": food_licence.item_id,
        "window_id": window_3.pk,
        "staff_id": window_user.staff.pk,
    }
    assert fact(D(2025, 11, 5), **key) == {"complaints": 1}
    assert fact(D(2025, 11, 12), **key) == {"complaints_substantiated": 1}


def test_an_event_counts_on_its_local_day(
    food_licence: ItemVersion, window_user: Any, window_3: Window
) -> None:
    # 00:30 in Shanghai on Tuesday 4 November is still 3 November in UTC.
    case = file(food_licence, window_user, at("2025-11-03", "17:00"))
    cases.case_accept(case=case, user=window_user, at=at("2025-11-04", "00:30"))
    assert list(
        DailyFact.objects.order_by("day").values_list("day", "received", "accepted", "window_id")
    ) == [
        (D(2025, 11, 3), 1, 0, window_3.pk),
        (D(2025, 11, 4), 0, 1, window_3.pk),
    ]


def test_rebuilding_a_case_projection_counts_nothing_again(november: dict[str, Any]) -> None:
    before = rows()
    for case in november["cases"]:
        cases.case_rebuild(case=case)
    call_command("rebuild_cases", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert rows() == before


def test_the_upkeep_costs_two_queries_per_event_three_for_a_completion(
    food_licence: ItemVersion, window_user: Any, people: dict[str, Any]
) -> None:
    case = file(food_licence, window_user, at("2025-11-03", "09:00"))
    cases.case_accept(case=case, user=window_user, at=at("2025-11-03", "10:00"))
    template = template_of(case)

    def cost(event_type: str) -> int:
        event = case.events.select_related("actor__staff").filter(type=event_type).last()
        assert event is not None
        view = view_of(case)  # (the view after the last event serves for the count)
        with CaptureQueriesContext(connection) as queries:
            facts.on_case_event(case=case, event=event, view=view, template=template)
        return len(queries)

    assert cost(EventType.ACCEPT) == 2  # the department's region path, the upsert
    decide_and_complete(case, people, "2025-11-06")
    assert cost(EventType.COMPLETE) == 3  # and the statutory limit
    assert cost(EventType.STEP) == 0  # nothing to count


# --------------------------------------------------------------------------- rebuilt from the ledger


def test_the_rebuild_gives_exactly_the_rows_kept_as_it_happened(november: dict[str, Any]) -> None:
    kept = rows()
    assert len(kept) > 10 and Alert.objects.exists()
    report = facts.rebuild(*NOV)
    assert rows() == kept
    assert (report.rows_deleted, report.rows) == (len(kept), len(kept))
    assert report.cases == 5 and report.alerts == 2 and report.complaints == 1
    assert report.skipped_events == []

    facts.rebuild(*NOV)
    assert rows() == kept  # twice: nothing changes


def test_a_rebuild_of_part_of_the_period_leaves_the_other_days_alone(november: dict[str, Any]) -> None:
    kept = rows()
    DailyFact.objects.filter(day=D(2025, 11, 6)).update(completed=99)
    facts.rebuild(D(2025, 11, 5), D(2025, 11, 7))
    assert rows() == kept  # the 6th recomputed
    DailyFact.objects.filter(day=D(2025, 11, 21), completed=1).update(late=7)
    facts.rebuild(D(2025, 11, 5), D(2025, 11, 7))
    assert DailyFact.objects.get(day=D(2025, 11, 21), completed=1).late == 7  # outside: untouched


def test_the_command_rebuilds_and_says_what_it_did(november: dict[str, Any], capsys: Any) -> None:
    kept = rows()
    DailyFact.objects.all().delete()
    call_command("facts", "--rebuild", "--from", "2025-11-01", "--to", "2025-11-30")
    out = capsys.readouterr().out
    assert f"{len(kept)} rows written" in out and "5 cases" in out and " s:" in out
    assert rows() == kept


def test_a_reversed_or_future_period_is_refused_and_changes_nothing(november: dict[str, Any]) -> None:
    kept = rows()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with translation.override("en"):
        with pytest.raises(SupervisionError) as info:
            facts.rebuild(D(2025, 11, 30), D(2025, 11, 1))
        assert info.value.code == SupervisionErrorCode.BAD_INPUT
        assert "starts (2025-11-30) after it ends (2025-11-01)" in info.value.text
        with pytest.raises(SupervisionError) as info:
            facts.rebuild(D(2025, 11, 1), tomorrow)
        assert "after today" in info.value.text
        with pytest.raises(CommandError, match="after it ends"):
            call_command("facts", "--rebuild", "--from", "2025-11-30", "--to", "2025-11-01")
        with pytest.raises(CommandError, match="after today"):
            call_command("facts", "--rebuild", "--from", "2025-11-01", "--to", tomorrow.isoformat())
        with pytest.raises(CommandError, match="not a date"):
            call_command("facts", "--rebuild", "--from", "2025-11-31", "--to", "2025-12-01")
        with pytest.raises(CommandError, match="--to"):
            call_command("facts", "--rebuild", "--from", "2025-11-01")
    assert rows() == kept


def test_merging_adds_increments_of_one_key_and_refuses_an_unknown_measure(market_dept: Department) -> None:
    inc = facts.Increment(D(2025, 11, 3), market_dept.pk, market_dept.region.path, 0, 0, 0, {"received": 1})
    assert facts.apply_increments([inc, inc._replace(measures={"received": 2, "online": 1})]) == 1
    assert facts.apply_increments([inc]) == 1
    assert fact(D(2025, 11, 3), department=market_dept) == {"received": 4, "online": 1}
    with pytest.raises(ValueError, match="unknown fact measure 'score'"):
        facts.apply_increments([inc._replace(measures={"score": 1})])
    assert fact(D(2025, 11, 3), department=market_dept) == {"received": 4, "online": 1}


def test_a_reinvestigated_complaint_counts_only_its_latest_verdict(
    november: dict[str, Any], county_supervisor: Staff, city_leader: Staff
) -> None:
    complaint = november["complaint"]
    complaints.complaint_reinvestigate(
        complaint=complaint,
        user=county_supervisor.user,
        reason="处理结果与事实不符",
        at=at("2025-11-17", "09:00"),
    )
    complaints.complaint_propose(
        complaint=complaint,
        user=county_supervisor.user,
        substantiated=True,
        findings="重新调查，反映属实。",
        proposal="维持原处理。",
        at=at("2025-11-18", "10:00"),
    )
    complaints.complaint_approve(complaint=complaint, user=city_leader.user, at=at("2025-11-19", "10:00"))
    kept = rows()
    facts.rebuild(*NOV)
    assert rows() == kept
