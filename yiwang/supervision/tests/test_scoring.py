"""Performance scoring: schemes are validated data, the default 100-point scheme scores a
hand-computed month, scores rank and explain themselves, periods are checked."""

from __future__ import annotations

import copy
import datetime as dt
import importlib
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, center, window
from yiwang.org.models import Department, Region
from yiwang.supervision import scoring
from yiwang.supervision.models import (
    FACT_MEASURES,
    DailyFact,
    ImmutableError,
    SchemeAssignment,
    ScoringScheme,
    ScoringSchemeVersion,
)
from yiwang.supervision.scoring import Period
from yiwang.supervision.services import SupervisionError, SupervisionErrorCode

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = [dt.date(2025, 10, d) for d in (9, 10, 13, 14)]

# Department A's October, as in issue 6. By the default scheme:
#   按时办结率 30 × 45/50 = 27.00
#   提前办结率 10 × 20/50 =  4.00
#   群众满意度 20 × 36/40 = 18.00
#   网上办理率 10 × 30/60 =  5.00
#   一次性告知 10 × (1 − 2/10) = 8.00
#   效能纪律   20 − (1 yellow × 2 + 0 red × 5 + 1 complaint × 5 + 3 irregularities × 1) = 10.00
#   total 27 + 4 + 18 + 5 + 8 + 10 = 72.00
A_MONTH = {
    "received": 60,
    "online": 30,
    "completed": 50,
    "on_time": 45,
    "early": 20,
    "late": 5,
    "ratings": 40,
    "ratings_satisfied": 36,
    "supplements": 10,
    "repeat_supplements": 2,
    "yellow_cards": 1,
    "red_cards": 0,
    "complaints": 2,
    "complaints_substantiated": 1,
    "irregularities": 3,
}
# Department B's October: nobody rated it and it asked for no supplement (full marks,
# "no data"); one red card.
#   30 × 40/40 = 30.00; 10 × 10/40 = 2.50; 20 (no data); 10 × 40/40 = 10.00;
#   10 (no data); 20 − 5 = 15.00; total 87.50
B_MONTH = {"received": 40, "online": 40, "completed": 40, "on_time": 40, "early": 10, "red_cards": 1}


def spread(department: Department, figures: dict[str, int], days: list[dt.date], **key: int) -> None:
    """Insert ``figures`` split over ``days`` (the remainder on the first day), as the
    facts' upkeep would have left them."""
    n = len(days)
    for i, day in enumerate(days):
        share = {m: v // n + (v % n if i == 0 else 0) for m, v in figures.items()}
        DailyFact.objects.create(
            day=day, department=department, region_path=department.region.path, **key, **share
        )


@pytest.fixture(autouse=True)
def default_scheme() -> ScoringScheme:
    # The migration installs it; a transactional test elsewhere may have emptied the table.
    return scoring.install_default_scheme()


@pytest.fixture
def approval_dept(county: Region) -> Department:
    return DepartmentFactory(name="邯山区行政审批局", short_name="区审批局", region=county)


@pytest.fixture
def october(market_dept: Department, approval_dept: Department, other_market_dept: Department) -> None:
    spread(market_dept, A_MONTH, OCTOBER)
    spread(approval_dept, B_MONTH, OCTOBER)
    spread(other_market_dept, A_MONTH, OCTOBER)  # the neighbouring county: not in its reports


def en(error: pytest.ExceptionInfo[SupervisionError]) -> str:
    return error.value.text


# --------------------------------------------------------------------------- the default scheme


def test_the_default_scheme_scores_a_hand_computed_department_month(
    county, market_dept, approval_dept, october
):
    result = scoring.scores(region=county, period=Period.month(2025, 10), by="department")

    assert [(s.name, s.total, s.rank) for s in result] == [
        ("邯山区行政审批局", Decimal("87.50"), 1),
        ("邯山区市场监督管理局", Decimal("72.00"), 2),
    ]
    a = result[1]
    assert a.subject_id == market_dept.pk
    assert {m: a.measures[m] for m in A_MONTH} == A_MONTH
    assert a.measures["warnings"] == 0
    assert [(line.code, line.label, line.weight, line.points) for line in a.breakdown] == [
        ("on_time", "按时办结率", 30, Decimal("27.00")),
        ("early", "提前办结率", 10, Decimal("4.00")),
        ("satisfaction", "群众满意度", 20, Decimal("18.00")),
        ("online", "网上办理率", 10, Decimal("5.00")),
        ("one_time_notice", "一次性告知", 10, Decimal("8.00")),
        ("discipline", "效能纪律", 20, Decimal("10.00")),
    ]
    assert [line.explanation for line in a.breakdown] == [
        "按时办结 45/50 件，90.0%，得 27.00 分",
        "提前办结 20/50 件，40.0%，得 4.00 分",
        "满意评价 36/40 条，90.0%，得 18.00 分",
        "网上申请 30/60 件，50.0%，得 5.00 分",
        "重复补正 2/10 次，一次性告知 80.0%，得 8.00 分",
        "查实投诉 1 件扣 5.00 分，黄牌 1 张扣 2.00 分，违规 3 起扣 3.00 分，共扣 10.00 分，得 10.00 分",
    ]
    assert a.line("on_time").value == Decimal("0.9")
    assert a.line("on_time").percent == Decimal("90.0")
    assert a.line("on_time").counts == {"on_time": 45, "completed": 50}
    assert a.line("one_time_notice").value == Decimal("0.8")
    assert a.line("discipline").counts == {
        "yellow_cards": 1,
        "red_cards": 0,
        "complaints_substantiated": 1,
        "irregularities": 3,
    }
    assert a.line("discipline").deductions == {
        "yellow_cards": Decimal("2.00"),
        "complaints_substantiated": Decimal("5.00"),
        "irregularities": Decimal("3.00"),
    }
    assert sum(line.points for line in a.breakdown) == a.total


def test_a_share_without_data_earns_full_marks_and_says_so(county, approval_dept, october):
    b = scoring.scores(region=county, period=Period.month(2025, 10), department=approval_dept)[0]

    satisfaction = b.line("satisfaction")
    assert (satisfaction.points, satisfaction.no_data, satisfaction.value) == (Decimal("20.00"), True, None)
    assert satisfaction.explanation == "评价 0 条，无数据，得满分 20.00 分"
    assert b.line("one_time_notice").explanation == "补齐补正 0 次，无数据，得满分 10.00 分"
    assert b.line("early").explanation == "提前办结 10/40 件，25.0%，得 2.50 分"
    assert b.line("discipline").explanation == "红牌 1 张扣 5.00 分，共扣 5.00 分，得 15.00 分"


def test_deductions_stop_at_zero(county, market_dept):
    spread(market_dept, {"completed": 10, "on_time": 10, "red_cards": 3, "yellow_cards": 4}, OCTOBER[:2])

    line = scoring.scores(region=county, period=Period.month(2025, 10))[0].line("discipline")

    assert line.points == Decimal("0.00")
    assert (
        line.explanation
        == "黄牌 4 张扣 8.00 分，红牌 3 张扣 15.00 分，共扣 23.00 分，扣至 0 分为止，得 0.00 分"
    )


def test_equal_totals_share_a_rank_and_the_next_rank_is_skipped(county, market_dept, approval_dept):
    third = DepartmentFactory(name="邯山区住房和城乡建设局", region=county)
    spread(market_dept, A_MONTH, OCTOBER)
    spread(approval_dept, A_MONTH, OCTOBER[:1])  # the same figures on one day
    spread(third, {**A_MONTH, "irregularities": 4}, OCTOBER)  # one point less

    result = scoring.scores(region=county, period=Period.month(2025, 10))

    assert [(s.name, s.total, s.rank) for s in result] == [
        ("邯山区市场监督管理局", Decimal("72.00"), 1),
        ("邯山区行政审批局", Decimal("72.00"), 1),
        ("邯山区住房和城乡建设局", Decimal("71.00"), 3),
    ]


def test_a_region_scores_its_subtree_only(city, county, other_county, october):
    in_county = scoring.scores(region=county, period=Period.month(2025, 10))
    in_city = scoring.scores(region=city, period=Period.month(2025, 10))

    assert {s.name for s in in_county} == {"邯山区行政审批局", "邯山区市场监督管理局"}
    assert [(s.name, s.rank) for s in in_city] == [
        ("邯山区行政审批局", 1),
        ("丛台区市场监督管理局", 2),
        ("邯山区市场监督管理局", 2),
    ]
    assert scoring.scores(region=county, period=Period.month(2025, 9)) == []  # no facts, nobody scored


def test_quarter_and_year_sum_their_months(county, market_dept):
    months = {
        3: {"completed": 10, "on_time": 2, "received": 10, "online": 10},
        10: {"completed": 50, "on_time": 45, "received": 60, "online": 30, "yellow_cards": 1},
        11: {"completed": 30, "on_time": 15, "received": 20, "online": 20},
        12: {"completed": 20, "on_time": 20, "received": 20, "online": 10, "irregularities": 2},
    }
    for month, figures in months.items():
        spread(market_dept, figures, [dt.date(2025, month, 3), dt.date(2025, month, 17)])
    spread(market_dept, {"completed": 99, "on_time": 0}, [dt.date(2026, 1, 5)])  # next year: left out

    def score(period: Period) -> scoring.Score:
        (only,) = scoring.scores(region=county, period=period)
        return only

    quarter = score(Period.quarter(2025, 4))
    year = score(Period.year(2025))
    october_to_december = [score(Period.month(2025, m)) for m in (10, 11, 12)]

    for measure in FACT_MEASURES:
        assert quarter.measures[measure] == sum(s.measures[measure] for s in october_to_december)
        assert year.measures[measure] == quarter.measures[measure] + months[3].get(measure, 0)
    # Scored from the summed figures, not an average of the months' scores:
    # on time 80/100 → 24.00; early 0; 20 (no data); online 60/100 → 6.00; 10 (no data);
    # 20 − 2 − 2 = 16.00.
    assert quarter.total == Decimal("76.00")
    assert quarter.line("on_time").explanation == "按时办结 80/100 件，80.0%，得 24.00 分"
    assert sum(s.total for s in october_to_december) / 3 != quarter.total
    assert year.line("on_time").explanation == "按时办结 82/110 件，74.5%，得 22.36 分"


def test_windows_and_staff_are_scored_from_their_own_facts(county, market_dept, approval_dept):
    hall = center(county, "邯山区政务服务中心", "邯山区人民路1号")
    first = window(hall, "A01", "市场监管窗口", [market_dept])
    second = window(hall, "A02", "综合窗口", [market_dept, approval_dept])
    zhang = StaffFactory(user=UserFactory(username="zhang"), name="张窗口", department=market_dept)
    spread(market_dept, A_MONTH, OCTOBER)  # department-wide figures: no window, no staff member
    spread(market_dept, {"completed": 10, "on_time": 10}, OCTOBER, window_id=first.pk, staff_id=zhang.pk)
    spread(market_dept, {"completed": 10, "on_time": 5}, OCTOBER[:1], window_id=second.pk)
    spread(approval_dept, {"completed": 4, "on_time": 4}, OCTOBER[:1], window_id=second.pk)

    windows = scoring.scores(region=county, period=Period.month(2025, 10), by="window")
    staff = scoring.scores(region=county, period=Period.month(2025, 10), by="staff")
    of_market = scoring.scores(
        region=county, period=Period.month(2025, 10), by="window", department=market_dept
    )

    assert [(s.name, s.measures["completed"], s.line("on_time").points, s.rank) for s in windows] == [
        ("邯山区政务服务中心 A01 市场监管窗口", 10, Decimal("30.00"), 1),
        ("邯山区政务服务中心 A02 综合窗口", 14, Decimal("19.29"), 2),  # 30 × 9/14
    ]
    assert [(s.name, s.measures["completed"]) for s in staff] == [("张窗口（区市场监管局）", 10)]
    assert [(s.subject_id, s.measures["completed"]) for s in of_market] == [(first.pk, 10), (second.pk, 10)]


def test_a_department_outside_the_region_is_refused(county, other_market_dept):
    with pytest.raises(SupervisionError) as raised, translation.override("en"):
        scoring.scores(region=county, period=Period.month(2025, 10), department=other_market_dept)
    assert en(raised) == "丛台区市场监督管理局 is not in 邯山区."
    assert raised.value.code == SupervisionErrorCode.BAD_INPUT


def test_scores_take_the_same_queries_however_many_subjects(county, market_dept):
    spread(market_dept, A_MONTH, OCTOBER)
    month = Period.month(2025, 10)
    with CaptureQueriesContext(connection) as one:
        assert len(scoring.scores(region=county, period=month)) == 1
    for n in range(8):
        spread(DepartmentFactory(name=f"部门{n}", region=county), A_MONTH, OCTOBER)
    with CaptureQueriesContext(connection) as nine:
        assert len(scoring.scores(region=county, period=month)) == 9
    # the attachments, the scheme's version, the facts summed, the names
    assert len(one.captured_queries) == len(nine.captured_queries) == 4


# --------------------------------------------------------------------------- schemes


def test_the_default_scheme_is_shipped_by_the_migration_as_the_code_defines_it():
    migration = importlib.import_module("yiwang.supervision.migrations.0012_default_scoring_scheme")
    assert list(scoring.DEFAULT_INDICATORS) == migration.INDICATORS
    assert (migration.CODE, migration.NAME, migration.DESCRIPTION, migration.TOTAL) == (
        scoring.DEFAULT_CODE,
        scoring.DEFAULT_NAME,
        scoring.DEFAULT_DESCRIPTION,
        scoring.DEFAULT_TOTAL,
    )
    assert scoring.validate(migration.TOTAL, migration.INDICATORS) == []


def test_installing_the_default_scheme_twice_changes_nothing(county):
    scoring.install_default_scheme()
    scoring.install_default_scheme()

    assert ScoringScheme.objects.filter(code="default").count() == 1
    assert ScoringSchemeVersion.objects.filter(scheme__code="default").count() == 1
    assert SchemeAssignment.objects.filter(region=None).count() == 1
    version = scoring.scheme_for(county)
    assert (version.scheme.code, version.number, version.total) == ("default", 1, 100)
    assert version.published_at is not None
    assert version.indicators == list(scoring.DEFAULT_INDICATORS)


def test_a_scheme_attached_to_a_county_scores_that_county_only(
    city, county, other_county, town, market_dept, other_market_dept, october, handler
):
    county_scheme = ScoringScheme.objects.create(code="hanshan", name="邯山区绩效评估办法")
    version = scoring.scheme_new_version(
        scheme=county_scheme,
        total=100,
        indicators=[
            {
                "code": "on_time",
                "label": "按时办结率",
                "kind": "rate",
                "weight": 50,
                "numerator": "on_time",
                "denominator": "completed",
            },
            {
                "code": "satisfaction",
                "label": "群众满意度",
                "kind": "rate",
                "weight": 45,
                "numerator": "ratings_satisfied",
                "denominator": "ratings",
            },
            {
                "code": "praise",
                "label": "表扬加分",
                "kind": "bonus",
                "weight": 5,
                "points": {"ratings_satisfied": 0.1},
            },
        ],
        note="区级试点",
        user=handler.user,
    )
    scoring.scheme_assign(scheme=county_scheme, region=county)

    assert scoring.scheme_for(county) == version
    assert scoring.scheme_for(town) == version  # below the county too
    assert scoring.scheme_for(other_county).scheme.code == "default"
    assert scoring.scheme_for(city).scheme.code == "default"
    assert version.published_by == handler.user
    # 50 × 45/50 = 45.00; 45 × 36/40 = 40.50; min(5, 36 × 0.1) = 3.60
    hanshan = scoring.scores(region=county, period=Period.month(2025, 10), department=market_dept)[0]
    assert hanshan.total == Decimal("89.10")
    assert hanshan.version_id == version.pk
    assert hanshan.line("praise").explanation == "满意评价 36 条加 3.60 分，得 3.60 分"
    congtai = scoring.scores(region=other_county, period=Period.month(2025, 10))[0]
    assert (congtai.name, congtai.total) == ("丛台区市场监督管理局", Decimal("72.00"))

    # A scheme attached to the city is nearer than the global one, farther than the county's.
    city_scheme = ScoringScheme.objects.create(code="handan", name="邯郸市绩效评估办法")
    city_version = scoring.scheme_new_version(
        scheme=city_scheme, total=10, indicators=[{**scoring.DEFAULT_INDICATORS[0], "weight": 10}]
    )
    scoring.scheme_assign(scheme=city_scheme, region=city)
    assert scoring.scheme_for(other_county) == city_version
    assert scoring.scheme_for(county) == version
    # Attaching again replaces what was attached there.
    scoring.scheme_assign(scheme=ScoringScheme.objects.get(code="default"), region=county)
    assert scoring.scheme_for(county).scheme.code == "default"
    assert SchemeAssignment.objects.filter(region=county).count() == 1


def test_a_capped_bonus_stops_at_its_weight():
    bonus = scoring.Indicator.from_json(
        {
            "code": "praise",
            "label": "表扬加分",
            "kind": "bonus",
            "weight": 5,
            "points": {"ratings_satisfied": 0.5},
        }
    )
    total, (line,) = scoring.evaluate([bonus], {"ratings_satisfied": 12})
    assert total == line.points == Decimal("5.00")
    assert line.bonuses == {"ratings_satisfied": Decimal("6.00")}
    assert line.explanation == "满意评价 12 条加 6.00 分，共 6.00 分，以上限 5.00 分计，得 5.00 分"


def _default_with(**changes: Any) -> list[dict[str, Any]]:
    indicators = copy.deepcopy(list(scoring.DEFAULT_INDICATORS))
    for code, change in changes.items():
        found = next(i for i in indicators if i["code"] == code)
        found.update(change)
    return indicators


ALLOWED = "received, online, accepted, refused, completed, on_time, early, late"


@pytest.mark.parametrize(
    ("total", "indicators", "message"),
    [
        (
            100,
            _default_with(on_time={"weight": 25}),
            "The weights add up to 95, not to the scheme's total of 100.",
        ),
        (
            100,
            _default_with(on_time={"numerator": "speed"}),
            f"Indicator “on_time” refers to an unknown measure “speed”; the measures are: {ALLOWED}",
        ),
        (
            100,
            _default_with(discipline={"points": {"yellow_cards": 2, "speeding": 5}}),
            "Indicator “discipline” refers to an unknown measure “speeding”",
        ),
        (
            100,
            _default_with(online={"kind": "average"}),
            "Indicator “online” has an unknown kind “average”; use one of: rate, complement, deduction, bonus.",
        ),
        (100, _default_with(online={"code": "early"}), "The indicator code “early” is used twice."),
        (
            100,
            _default_with(discipline={"points": {"yellow_cards": -2, "red_cards": 5}}),
            "The points for “yellow_cards” in indicator “discipline” cannot be negative (-2).",
        ),
        (
            100,
            _default_with(on_time={"weight": -30}, early={"weight": 70}),
            "The weight of indicator “on_time” cannot be negative (-30).",
        ),
        (
            100,
            _default_with(on_time={"denominator": ""}),
            "Indicator “on_time” (rate) needs a denominator: the measure it divides by.",
        ),
        (
            100,
            _default_with(discipline={"points": {}}),
            "Indicator “discipline” (deduction) needs points per measure",
        ),
        (100, [], "A scheme needs at least one indicator."),
        (0, list(scoring.DEFAULT_INDICATORS), "The scheme's total must be a positive whole number, not “0”."),
    ],
)
def test_a_bad_scheme_is_refused_with_a_clear_reason_and_nothing_is_saved(total, indicators, message):
    scheme = ScoringScheme.objects.create(code="bad", name="有误的办法")
    with pytest.raises(SupervisionError) as raised, translation.override("en"):
        scoring.scheme_new_version(scheme=scheme, total=total, indicators=indicators, note="试")

    assert message in en(raised)
    assert raised.value.code == SupervisionErrorCode.BAD_RULES
    assert not scheme.versions.exists()
    with translation.override("en"):
        assert any(message in error for error in scoring.validate(total, indicators))


def test_every_fault_is_reported_at_once():
    with translation.override("en"):
        errors = scoring.validate(
            100,
            _default_with(
                on_time={"numerator": "speed"}, online={"kind": "average"}, early={"code": "on_time"}
            ),
        )
    assert len(errors) == 3


def test_a_published_version_never_changes(handler):
    version = ScoringSchemeVersion.objects.get(scheme__code="default", number=1)
    version.indicators[0]["weight"] = 40
    with pytest.raises(ImmutableError):
        version.save()
    with pytest.raises(ImmutableError):
        version.delete()
    with pytest.raises(SupervisionError) as raised, translation.override("en"):
        scoring.scheme_publish(version=version, user=handler.user)
    assert raised.value.code == SupervisionErrorCode.IMMUTABLE
    version.refresh_from_db()
    assert version.indicators == list(scoring.DEFAULT_INDICATORS)


def test_a_draft_is_not_attached_until_published(county, handler):
    scheme = ScoringScheme.objects.create(code="draft", name="草稿办法")
    draft = scoring.scheme_new_version(
        scheme=scheme, total=100, indicators=list(scoring.DEFAULT_INDICATORS), note="草稿", publish=False
    )
    assert (draft.number, draft.published_at) == (1, None)
    with pytest.raises(SupervisionError) as raised, translation.override("en"):
        scoring.scheme_assign(scheme=scheme, region=county)
    assert en(raised) == "Scoring scheme “草稿办法” has no published version yet."
    assert not SchemeAssignment.objects.filter(region=county).exists()

    published = scoring.scheme_publish(version=draft, user=handler.user)
    scoring.scheme_assign(scheme=scheme, region=county)
    assert published.published_by == handler.user
    assert scoring.scheme_for(county) == published
    second = scoring.scheme_new_version(scheme=scheme, total=100, indicators=list(scoring.DEFAULT_INDICATORS))
    assert second.number == 2
    assert scoring.scheme_for(county) == second  # the current version scores


# --------------------------------------------------------------------------- periods


def test_periods_have_their_days_and_chinese_labels():
    assert Period.month(2025, 10) == Period(
        "month", dt.date(2025, 10, 1), dt.date(2025, 10, 31), "2025年10月"
    )
    assert Period.month(2024, 2).end == dt.date(2024, 2, 29)
    assert Period.quarter(2025, 4) == Period(
        "quarter", dt.date(2025, 10, 1), dt.date(2025, 12, 31), "2025年第四季度"
    )
    assert Period.quarter(2025, 1).label == "2025年第一季度"
    assert Period.year(2025) == Period("year", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025年度")
    assert Period.parse("month", "2025-10") == Period.month(2025, 10)
    assert Period.parse("quarter", "2025-Q4") == Period.quarter(2025, 4)
    assert Period.parse("year", "2025") == Period.year(2025)
    custom = Period.parse("custom", "2025-10-01..2025-10-15")
    assert (custom.start, custom.end, custom.label) == (
        dt.date(2025, 10, 1),
        dt.date(2025, 10, 15),
        "2025年10月1日至2025年10月15日",
    )
    for period in (Period.month(2025, 10), Period.quarter(2025, 4), Period.year(2025), custom):
        assert Period.parse(period.kind, period.value) == period
    assert Period.of("quarter", dt.date(2025, 8, 20)) == Period.quarter(2025, 3)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("month", "2025-13", "“2025-13” is not a valid month; write it as 2025-10."),
        ("month", "October", "“October” is not a valid month; write it as 2025-10."),
        ("quarter", "2025-Q5", "“2025-Q5” is not a valid quarter; write it as 2025-Q4."),
        ("year", "25", "“25” is not a valid year; write it as 2025."),
        (
            "custom",
            "2025-10-15..2025-10-01",
            "The period's start (2025-10-15) is after its end (2025-10-01).",
        ),
        (
            "custom",
            "2025-02-30..2025-03-01",
            "“2025-02-30..2025-03-01” is not a valid date range; write it as 2025-10-01..2025-10-15.",
        ),
        ("week", "2025-40", "Unknown kind of period “week”; use month, quarter, year or custom."),
    ],
)
def test_a_malformed_period_is_refused(kind, value, message):
    with pytest.raises(SupervisionError) as raised, translation.override("en"):
        Period.parse(kind, value)
    assert message in en(raised)
    assert (raised.value.code, raised.value.field) == (SupervisionErrorCode.BAD_INPUT, "period")


def test_a_future_period_is_refused_and_the_current_one_is_partial(county, market_dept):
    spread(market_dept, A_MONTH, OCTOBER)
    with time_machine.travel(dt.datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        with pytest.raises(SupervisionError) as raised, translation.override("en"):
            Period.parse("month", "2025-11")
        assert en(raised) == (
            "2025年11月 starts on 2025-11-01, after today (2025-10-15): there is nothing to score yet."
        )
        with pytest.raises(SupervisionError):
            scoring.scores(region=county, period=Period.month(2026, 1))

        this_month = Period.parse("month", "2025-10")
        assert this_month.partial
        assert this_month.through == dt.date(2025, 10, 15)
        assert not Period.month(2025, 9).partial
        assert Period.quarter(2025, 4).partial
        (score,) = scoring.scores(region=county, period=this_month)
        assert score.total == Decimal("72.00")


def test_scores_seen_from_a_past_day_count_the_facts_up_to_that_day(county, market_dept):
    spread(market_dept, {"completed": 1, "on_time": 1}, OCTOBER[:1])  # 9 October
    spread(market_dept, {"completed": 1}, OCTOBER[1:])  # one late each on 10, 13, 14 October
    seen = dt.date(2025, 10, 10)

    month = Period.month(2025, 10, today=seen)
    (score,) = scoring.scores(region=county, period=month)
    (same,) = scoring.scores(region=county, period=Period.month(2025, 10), today=seen)

    assert (month.partial, month.through) == (True, seen)
    assert score.measures["completed"] == same.measures["completed"] == 2
    assert score.line("on_time").explanation == "按时办结 1/2 件，50.0%，得 15.00 分"
    with pytest.raises(SupervisionError), translation.override("en"):
        scoring.scores(region=county, period=Period.month(2025, 11), today=seen)
    with pytest.raises(SupervisionError), translation.override("en"):
        Period.parse("quarter", "2026-Q1", today=seen)


def test_an_unknown_grouping_is_refused(county):
    with pytest.raises(SupervisionError) as raised, translation.override("en"):
        scoring.scores(region=county, period=Period.month(2025, 10), by="item")  # type: ignore[arg-type]
    assert en(raised) == "Scores are by department, window or staff, not “item”."


def test_every_measure_has_a_chinese_name():
    assert set(scoring.MEASURE_LABELS) == set(FACT_MEASURES)


# --------------------------------------------------------------------------- admin


def test_the_admin_shows_a_published_scheme_version_read_only(county):
    root = UserFactory(username="root", is_superuser=True)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(root)
    version = ScoringSchemeVersion.objects.get(scheme__code="default")
    scheme = version.scheme
    assignment = SchemeAssignment.objects.get(region=None)

    page = client.get(reverse("admin:supervision_scoringschemeversion_change", args=[version.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for fragment in ("按时办结率", "30 × 按时办结 ÷ 办结", "10 × (1 − 重复补正 ÷ 补齐补正)", "效能纪律"):
        assert fragment in text
    assert 'name="_save"' not in text
    for name, pk in (("scoringscheme", scheme.pk), ("schemeassignment", assignment.pk)):
        assert client.get(reverse(f"admin:supervision_{name}_change", args=[pk])).status_code == 200
    for name in ("scoringscheme", "scoringschemeversion", "schemeassignment"):
        assert client.get(reverse(f"admin:supervision_{name}_changelist")).status_code == 200
    # Editing is tested in test_scoring_admin.py; a published version stays as it is.
    refused = client.post(
        reverse("admin:supervision_scoringschemeversion_change", args=[version.pk]), {"note": "改"}
    )
    assert refused.status_code == 403
    version.refresh_from_db()
    assert version.note == "预置"
