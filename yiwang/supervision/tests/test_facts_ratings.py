"""Ratings in the daily facts, the scores, the statistics and the public page.

November 2025 has no holidays. 张三 applies online four times to 邯山区市场监督管理局's
食品经营许可 on Monday 3 November. A, B and C are completed by 吴批准 (approver, no window)
on the 4th; D is not accepted by 孙窗口 at window 3 on the 3rd. 张三 rates:

- A 满意 (satisfied) and B 一般 (average) on Thursday 6 November;
- D 基本满意 (basically satisfied: a refusal is a service too) on Friday 7 November;
- C 不满意 (dissatisfied, poor) on Monday 10 November.

So the department has 4 ratings, 2 satisfied, 1 poor: satisfaction 50%, and under the
default scheme (群众满意度 weighs 20) 10.00 points instead of the 20 an unrated
department gets. 吴批准 is credited with A, B and C (1 satisfied of 3), 孙窗口 and window 3
with D (1 of 1).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum

from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import at
from yiwang.catalog.models import ItemVersion
from yiwang.org.factories import center, window
from yiwang.org.models import Department, Region, Staff, Window
from yiwang.portal import ratings
from yiwang.portal.errors import PortalError
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account
from yiwang.supervision import facts, public_views, scoring, stats
from yiwang.supervision.models import FACT_MEASURES, DailyFact, DetectorSetting

pytestmark = pytest.mark.django_db

D = dt.date
NOV = (D(2025, 11, 1), D(2025, 11, 30))
COLUMNS = ["day", "department_id", "region_path", "item_id", "window_id", "staff_id", *FACT_MEASURES]
ZHANGSAN_ID = "13040219900307123X"


@pytest.fixture(autouse=True)
def recorded_as_it_happens() -> None:
    """2025's events are recorded today: the backfilling detectors are switched off so
    that only the story's figures are counted (as in test_facts)."""
    for code in ("backfilled", "off_system"):
        DetectorSetting.objects.create(code=code, enabled=False)


@pytest.fixture
def zhangsan(db: None) -> Account:
    return citizen_account(username="zhangsan", name="张三", id_number=ZHANGSAN_ID, mobile="13800138000")


@pytest.fixture
def window_3(county: Region, market_dept: Department, window_user: Any) -> Window:
    hall = center(county, "邯山区政务服务中心", "邯山区滏东南大街1号")
    w = window(hall, "3", "市场监管综合窗口", [market_dept])
    staff = window_user.staff
    staff.window = w
    staff.save(update_fields=["window"])
    return w


def _file(version: ItemVersion, account: Account) -> Case:
    return cases.case_file(
        version=version,
        channel=Channel.ONLINE,
        applicant_kind="individual",
        applicant_name=account.name,
        applicant_id_number=account.id_number,
        user=account.user,
        applicant_user=account.user,
        at=at("2025-11-03", "08:30"),
    )


@pytest.fixture
def story(
    food_licence: ItemVersion,
    zhangsan: Account,
    window_3: Window,
    window_user: Any,
    handler_user: Any,
    reviewer_user: Any,
    approver_user: Any,
) -> dict[str, Case]:
    """The four cases, served but not yet rated."""
    served: dict[str, Case] = {}
    for name in "ABC":
        case = _file(food_licence, zhangsan)
        cases.case_accept(case=case, user=window_user, at=at("2025-11-03", "09:00"))
        cases.case_pass_step(case=case, user=handler_user, opinion="材料齐全", at=at("2025-11-04", "09:00"))
        cases.case_pass_step(case=case, user=reviewer_user, opinion="同意", at=at("2025-11-04", "10:00"))
        cases.case_decide(case=case, user=approver_user, decision="approved", at=at("2025-11-04", "11:00"))
        cases.case_complete(case=case, user=approver_user, at=at("2025-11-04", "16:00"))
        case.refresh_from_db()
        served[name] = case
    d = _file(food_licence, zhangsan)
    cases.case_refuse(
        case=d,
        user=window_user,
        reason="不属于本机关职权",
        legal_basis="行政许可法第三十二条",
        at=at("2025-11-03", "10:00"),
    )
    d.refresh_from_db()
    served["D"] = d
    return served


def rate_all(story: dict[str, Case], zhangsan: Account) -> None:
    for name, level, moment in (
        ("A", "satisfied", at("2025-11-06", "10:00")),
        ("B", "average", at("2025-11-06", "11:00")),
        ("D", "basically_satisfied", at("2025-11-07", "09:00")),
        ("C", "dissatisfied", at("2025-11-10", "15:00")),
    ):
        ratings.rate_case(case=story[name], user=zhangsan.user, level=level, at=moment)


def rows() -> list[tuple[Any, ...]]:
    return list(
        DailyFact.objects.order_by("day", "department_id", "item_id", "window_id", "staff_id").values_list(
            *COLUMNS
        )
    )


def rating_measures(day: dt.date, **key: Any) -> dict[str, int]:
    sums = DailyFact.objects.filter(day=day, **key).aggregate(
        ratings=Sum("ratings"), ratings_satisfied=Sum("ratings_satisfied"), ratings_poor=Sum("ratings_poor")
    )
    return {name: n or 0 for name, n in sums.items()}


def test_ratings_are_counted_on_their_day_for_the_department_item_and_who_served(
    story: dict[str, Case],
    zhangsan: Account,
    market_dept: Department,
    window_3: Window,
    approver_user: Any,
    window_user: Any,
) -> None:
    assert DailyFact.objects.aggregate(n=Sum("ratings"))["n"] == 0
    rate_all(story, zhangsan)
    item_id = story["A"].item_id
    approver = approver_user.staff
    clerk = window_user.staff
    key = {"department": market_dept, "item_id": item_id}
    assert rating_measures(D(2025, 11, 6), **key, staff_id=approver.pk, window_id=0) == {
        "ratings": 2,
        "ratings_satisfied": 1,
        "ratings_poor": 0,
    }
    assert rating_measures(D(2025, 11, 7), **key, staff_id=clerk.pk, window_id=window_3.pk) == {
        "ratings": 1,
        "ratings_satisfied": 1,
        "ratings_poor": 0,
    }
    assert rating_measures(D(2025, 11, 10), **key, staff_id=approver.pk, window_id=0) == {
        "ratings": 1,
        "ratings_satisfied": 0,
        "ratings_poor": 1,
    }
    assert rating_measures(D(2025, 11, 10), department=market_dept)["ratings"] == 1  # nowhere else
    path = (
        DailyFact.objects.filter(day=D(2025, 11, 10), ratings=1).values_list("region_path", flat=True).get()
    )
    assert path == market_dept.region.path


def test_the_rebuild_recounts_the_ratings_exactly(story: dict[str, Case], zhangsan: Account) -> None:
    rate_all(story, zhangsan)
    kept = rows()
    assert sum(r[COLUMNS.index("ratings")] for r in kept) == 4
    report = facts.rebuild(*NOV)
    assert report.ratings == 4
    assert rows() == kept
    DailyFact.objects.all().delete()
    out = io.StringIO()
    call_command("facts", "--rebuild", "--from", "2025-11-01", "--to", "2025-11-30", stdout=out)
    assert rows() == kept
    # A period that leaves out a rating's day leaves it out.
    facts.rebuild(D(2025, 11, 10), D(2025, 11, 10))
    assert rows() == kept
    DailyFact.objects.filter(day=D(2025, 11, 10)).delete()
    facts.rebuild(D(2025, 11, 1), D(2025, 11, 9))
    assert rating_measures(D(2025, 11, 10)) == {"ratings": 0, "ratings_satisfied": 0, "ratings_poor": 0}


def test_a_rating_refused_counts_nothing(story: dict[str, Case], zhangsan: Account) -> None:
    rate_all(story, zhangsan)
    kept = rows()
    with pytest.raises(PortalError):  # already rated
        ratings.rate_case(case=story["A"], user=zhangsan.user, level="dissatisfied")
    assert rows() == kept


def test_the_scores_and_statistics_show_real_satisfaction(
    story: dict[str, Case],
    zhangsan: Account,
    county: Region,
    city: Region,
    market_dept: Department,
    county_supervisor: Staff,
    approver_user: Any,
    window_user: Any,
) -> None:
    november = scoring.Period.month(2025, 11, today=D(2025, 12, 1))
    (before,) = scoring.scores(region=county, period=november)
    line = before.line("satisfaction")
    assert line.no_data and line.points == Decimal("20.00")

    rate_all(story, zhangsan)

    (after,) = scoring.scores(region=county, period=november)
    line = after.line("satisfaction")
    assert not line.no_data
    assert line.counts == {"ratings_satisfied": 2, "ratings": 4}
    assert line.points == Decimal("10.00")
    assert after.total == before.total - Decimal("10.00")
    assert (after.measures["ratings"], after.measures["ratings_poor"]) == (4, 1)

    by_staff = {s.subject_id: s for s in scoring.scores(region=county, period=november, by="staff")}
    assert by_staff[approver_user.staff.pk].line("satisfaction").counts == {
        "ratings_satisfied": 1,
        "ratings": 3,
    }
    assert by_staff[window_user.staff.pk].line("satisfaction").points == Decimal("20.00")

    selection = stats.select(county_supervisor.user, period=november)
    result = stats.statistics(county_supervisor.user, selection, "department")
    assert result.total.satisfaction == Decimal("50.0")
    (row,) = result.rows
    assert (row.figures.ratings, row.figures.ratings_satisfied, row.figures.ratings_poor) == (4, 2, 1)

    (public_line,) = public_views.board(city, november).lines
    assert public_line.name == market_dept.name
    assert public_line.satisfaction == Decimal("50.0")
