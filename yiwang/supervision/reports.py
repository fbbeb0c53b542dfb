"""Reports and the leader's dashboard (seeds 001, 003, 004: 月汇总、季通报、年度考核,
绩效评估, 统计分析), read from the daily facts (``DailyFact``), never from the cases.

* ``figures``: the summed measures of a region subtree over a period, with the rates a
  report prints (on time, early, online, satisfaction, working days used against the
  promised and statutory limits);
* ``dashboard``: what a leader sees of their region: this month so far against last
  month, the twelve-month trend, the regions below theirs, and the best and worst
  departments by score;
* ``summary``: a monthly summary, quarterly bulletin or annual evaluation: the figures,
  the departments', windows' and staff members' scores with ranks, and the nominations.

Nominations (评选“红旗窗口”“先进个人”, seed 004 part 1, 监察员岗位职责 2) follow rules
kept in settings: the best ``top`` windows (staff members) of the period whose score is
at least ``min_score``, with no red card and no substantiated complaint against them in
the period. Defaults: three red-flag windows from 90 points, five model staff from 95.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from yiwang.org.models import Region
from yiwang.supervision import scoring
from yiwang.supervision.models import FACT_MEASURES, DailyFact

TREND_MONTHS = 12
RANKING_SHOWN = 5
NOMINATION_DEFAULTS: dict[str, dict[str, Any]] = {
    "window": {"top": 3, "min_score": 90},
    "staff": {"top": 5, "min_score": 95},
}


def _share(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Figures:
    """Summed measures and the rates derived from them (``None``: nothing to divide by)."""

    measures: dict[str, int]

    def __getattr__(self, name: str) -> int:
        measures = self.__dict__.get("measures", {})
        if name in measures:
            return int(measures[name])
        raise AttributeError(name)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _share(self.measures["on_time"], self.measures["completed"])

    @property
    def early_rate(self) -> Decimal | None:
        return _share(self.measures["early"], self.measures["completed"])

    @property
    def online_share(self) -> Decimal | None:
        return _share(self.measures["online"], self.measures["received"])

    @property
    def satisfaction(self) -> Decimal | None:
        return _share(self.measures["ratings_satisfied"], self.measures["ratings"])

    @property
    def used_of_promised(self) -> Decimal | None:
        """Working days used as a share of the promised limits (below 100: faster)."""
        return _share(self.measures["workdays_used"], self.measures["promised_days"])

    @property
    def used_of_statutory(self) -> Decimal | None:
        return _share(self.measures["workdays_used"], self.measures["statutory_days"])

    @property
    def average_workdays(self) -> Decimal | None:
        completed = self.measures["completed"]
        if not completed:
            return None
        return (Decimal(self.measures["workdays_used"]) / completed).quantize(Decimal("0.1"))


_SUMS = {name: Sum(name) for name in FACT_MEASURES}


def facts_in(region: Region, start: dt.date, end: dt.date) -> QuerySet[DailyFact]:
    return DailyFact.objects.filter(region_path__startswith=region.path, day__gte=start, day__lte=end)


def figures(region: Region, start: dt.date, end: dt.date) -> Figures:
    """The region subtree's summed measures over ``start``–``end`` (one query)."""
    row = facts_in(region, start, end).aggregate(**_SUMS)
    return Figures({name: int(row[name] or 0) for name in FACT_MEASURES})


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    received: int
    completed: int
    on_time: int
    yellow_cards: int
    red_cards: int
    complaints: int

    @property
    def on_time_rate(self) -> Decimal | None:
        return _share(self.on_time, self.completed)


@dataclass(frozen=True)
class AreaRow:
    region: Region
    figures: Figures


@dataclass
class Dashboard:
    region: Region
    month: scoring.Period
    today: dt.date
    this_month: Figures
    last_month: Figures
    trend: list[TrendPoint]
    areas: list[AreaRow]
    best: list[Any] = field(default_factory=list)
    worst: list[Any] = field(default_factory=list)
    departments_scored: int = 0


def months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def trend(region: Region, end: dt.date, months: int = TREND_MONTHS) -> list[TrendPoint]:
    """Month by month up to ``end``'s month (one grouped query); months without facts
    are shown as zeros."""
    start = months_back(end, months - 1)
    rows = {
        (row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]): row
        for row in facts_in(region, start, end)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(
            received=Sum("received"),
            completed=Sum("completed"),
            on_time=Sum("on_time"),
            yellow_cards=Sum("yellow_cards"),
            red_cards=Sum("red_cards"),
            complaints=Sum("complaints"),
        )
        .order_by("month")
    }
    points = []
    for i in range(months):
        month = months_back(end, months - 1 - i)
        row = rows.get(month, {})
        points.append(
            TrendPoint(
                month=month,
                received=int(row.get("received") or 0),
                completed=int(row.get("completed") or 0),
                on_time=int(row.get("on_time") or 0),
                yellow_cards=int(row.get("yellow_cards") or 0),
                red_cards=int(row.get("red_cards") or 0),
                complaints=int(row.get("complaints") or 0),
            )
        )
    return points


def areas(region: Region, start: dt.date, end: dt.date) -> list[AreaRow]:
    """The regions directly below ``region`` with their figures (one grouped query)."""
    children = list(Region.objects.filter(parent=region).order_by("path"))
    if not children:
        return []
    length = len(children[0].path)
    rows = {
        row["area"]: row
        for row in facts_in(region, start, end)
        .annotate(area=Substr("region_path", 1, length))
        .values("area")
        .annotate(**_SUMS)
        .order_by()
    }
    return [
        AreaRow(
            child, Figures({name: int(rows.get(child.path, {}).get(name) or 0) for name in FACT_MEASURES})
        )
        for child in children
    ]


def dashboard(*, region: Region, at: dt.datetime | None = None) -> Dashboard:
    """The leader's dashboard of ``region`` as of ``at`` (default now)."""
    today = timezone.localtime(at or timezone.now()).date()
    month = scoring.Period.month(today.year, today.month, today=today)
    last_start = months_back(today, 1)
    last_end = month.start - dt.timedelta(days=1)
    scores = scoring.scores(region=region, period=month, by="department", today=today)
    return Dashboard(
        region=region,
        month=month,
        today=today,
        this_month=figures(region, month.start, today),
        last_month=figures(region, last_start, last_end),
        trend=trend(region, today),
        areas=areas(region, month.start, today),
        best=scores[:RANKING_SHOWN],
        worst=list(reversed(scores[-RANKING_SHOWN:])) if len(scores) > RANKING_SHOWN else [],
        departments_scored=len(scores),
    )


# --------------------------------------------------------------------------- summaries


def nomination_rule(kind: str) -> dict[str, Any]:
    rules = getattr(settings, "SUPERVISION_NOMINATIONS", {}) or {}
    return {**NOMINATION_DEFAULTS[kind], **rules.get(kind, {})}


def nominate(scores: list[Any], kind: str) -> list[Any]:
    """The subjects a rule nominates: the best ``top`` with at least ``min_score`` points,
    no red card and no substantiated complaint in the period."""
    rule = nomination_rule(kind)
    chosen = []
    for score in scores:
        if len(chosen) >= int(rule["top"]):
            break
        measures = score.measures
        if score.total < Decimal(str(rule["min_score"])):
            break  # ranked best first: nobody further down qualifies
        if measures.get("red_cards", 0) or measures.get("complaints_substantiated", 0):
            continue
        chosen.append(score)
    return chosen


@dataclass
class Summary:
    region: Region
    period: scoring.Period
    figures: Figures
    departments: list[Any]
    windows: list[Any]
    staff: list[Any]
    red_flag_windows: list[Any]
    model_staff: list[Any]
    complaints_by_department: list[tuple[str, int]]


def summary(*, region: Region, period: scoring.Period) -> Summary:
    """The monthly summary, quarterly bulletin or annual evaluation of ``region``."""
    end = min(period.end, timezone.localdate())
    departments = scoring.scores(region=region, period=period, by="department")
    windows = scoring.scores(region=region, period=period, by="window")
    staff = scoring.scores(region=region, period=period, by="staff")
    complaints = sorted(
        ((s.name, int(s.measures.get("complaints", 0))) for s in departments if s.measures.get("complaints")),
        key=lambda pair: -pair[1],
    )
    return Summary(
        region=region,
        period=period,
        figures=figures(region, period.start, end),
        departments=departments,
        windows=windows,
        staff=staff,
        red_flag_windows=nominate(windows, "window"),
        model_staff=nominate(staff, "staff"),
        complaints_by_department=complaints,
    )
