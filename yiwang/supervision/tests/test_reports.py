"""The leader's dashboard and the period summaries, read from the daily facts: figures
and rates, the twelve-month trend, the regions below, the best and worst departments,
and the nominations of red-flag windows and model staff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.org.factories import DepartmentFactory
from yiwang.org.models import Department, Region
from yiwang.supervision import reports, scoring
from yiwang.supervision.models import DailyFact
from yiwang.supervision.tests.conftest import at

pytestmark = pytest.mark.django_db

D = dt.date


def fact(day: dt.date, department: Department, *, window: int = 0, staff: int = 0, **measures: int) -> None:
    DailyFact.objects.create(
        day=day,
        department=department,
        region_path=department.region.path,
        item_id=1,
        window_id=window,
        staff_id=staff,
        **measures,
    )


@pytest.fixture
def october(
    county: Region, other_county: Region, market_dept: Department, other_market_dept: Department
) -> Any:
    """邯山 market bureau: a good October; 丛台 market bureau: a poor one; and a
    September for the trend."""
    good = {"received": 40, "online": 30, "completed": 30, "on_time": 30, "early": 15, "workdays_used": 90}
    good |= {"promised_days": 300, "statutory_days": 600, "ratings": 20, "ratings_satisfied": 20}
    fact(D(2025, 10, 9), market_dept, window=7, staff=70, **good)
    fact(D(2025, 10, 20), market_dept, window=8, staff=80, **good, red_cards=1)
    poor = {"received": 20, "online": 2, "completed": 20, "on_time": 10, "late": 10, "workdays_used": 300}
    poor |= {"promised_days": 200, "statutory_days": 400, "ratings": 10, "ratings_satisfied": 5}
    fact(D(2025, 10, 10), other_market_dept, window=9, staff=90, **poor, yellow_cards=3, complaints=2)
    fact(D(2025, 9, 15), market_dept, window=7, staff=70, received=11, completed=5, on_time=5)
    return {"good": market_dept, "poor": other_market_dept}


def test_figures_add_the_facts_and_give_the_rates(october: Any, city: Region) -> None:
    f = reports.figures(city, D(2025, 10, 1), D(2025, 10, 31))
    assert (f.received, f.completed, f.on_time, f.late) == (100, 80, 70, 10)
    assert f.on_time_rate == Decimal("87.5")
    assert f.online_share == Decimal("62.0")
    assert f.satisfaction == Decimal("90.0")  # 45 of 50
    assert f.average_workdays == Decimal("6.0")  # 480 working days over 80 cases
    assert f.used_of_promised == Decimal("60.0")  # 480 of 800
    assert f.used_of_statutory == Decimal("30.0")
    empty = reports.figures(city, D(2025, 8, 1), D(2025, 8, 31))
    assert empty.received == 0 and empty.on_time_rate is None  # nothing to divide by


def test_the_dashboard_of_a_city(october: Any, city: Region, county: Region, other_county: Region) -> None:
    board = reports.dashboard(region=city, at=at("2025-10-31", "16:00"))
    assert board.month.label == "2025年10月"
    assert board.this_month.received == 100
    assert board.last_month.received == 11
    assert [p.month for p in board.trend][-2:] == [D(2025, 9, 1), D(2025, 10, 1)]
    assert len(board.trend) == 12 and board.trend[0].month == D(2024, 11, 1)
    assert board.trend[-1].received == 100 and board.trend[-1].on_time_rate == Decimal("87.5")
    areas = {row.region.name: row.figures for row in board.areas}
    assert areas["邯山区"].received == 80 and areas["丛台区"].received == 20
    assert [s.name for s in board.best] == [october["good"].name, october["poor"].name]
    assert board.best[0].total > board.best[1].total
    # A leader of the county sees only the county.
    county_board = reports.dashboard(region=county, at=at("2025-10-31", "16:00"))
    assert county_board.this_month.received == 80
    assert [s.name for s in county_board.best] == [october["good"].name]


def test_the_dashboard_month_to_date_stops_at_today(october: Any, city: Region) -> None:
    board = reports.dashboard(region=city, at=at("2025-10-15", "16:00"))
    assert board.month.partial
    assert board.this_month.received == 60  # the 20 October facts are not yet


def test_the_dashboard_reads_a_fixed_number_of_queries(october: Any, city: Region, county: Region) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            reports.dashboard(region=city, at=at("2025-10-31", "16:00"))
        return len(queries)

    before = count()
    for n in range(6):
        dept = DepartmentFactory(name=f"邯山区第{n}局", region=county)
        fact(D(2025, 10, 13), dept, window=100 + n, staff=200 + n, received=5, completed=5, on_time=5)
    assert count() == before


def test_a_summary_ranks_and_nominates(october: Any, city: Region, settings: Any) -> None:
    month = scoring.Period.month(2025, 10)
    settings.SUPERVISION_NOMINATIONS = {"window": {"min_score": 85}}
    summary = reports.summary(region=city, period=month)
    assert [s.name for s in summary.departments] == [october["good"].name, october["poor"].name]
    assert summary.complaints_by_department == [(october["poor"].name, 2)]
    # Window 8 had a red card: not a red-flag window, though its score passes the bar.
    windows = {s.subject_id: s for s in summary.windows}
    assert windows[7].total == Decimal("92.50") and windows[8].total == Decimal("87.50")
    assert windows[8].measures["red_cards"] == 1
    assert [s.subject_id for s in summary.red_flag_windows] == [7]
    settings.SUPERVISION_NOMINATIONS = {"window": {"min_score": 100}}
    assert reports.summary(region=city, period=month).red_flag_windows == []
    assert summary.figures.received == 100


def test_a_future_period_is_refused() -> None:
    from yiwang.supervision.services import SupervisionError

    with pytest.raises(SupervisionError):
        scoring.Period.month(timezone.localdate().year + 1, 1).check()
