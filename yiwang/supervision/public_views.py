"""The public performance page (信息服务, seed 004 part 2: 公布绩效测评情况，动态显示各行政部门
被投诉举报柱形图), at /performance/, open to everyone.

For a month (the last complete one unless ``?month=2025-10``) and the whole site's top
region(s) or a city or county chosen with ``?region=<code>``: each department's score and
rank under the region's scoring scheme, its satisfaction and on-time rate, and the number
of efficiency complaints received about it, as a horizontal bar chart and as a plain table
of the same numbers. Everything comes from the daily facts through ``scoring.scores``;
only department names and numbers are shown, never a person, a complainant or a case.

A future or malformed month answers 400 with the reason; an unknown region code, 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from yiwang.org.models import Region, RegionLevel
from yiwang.supervision import scoring
from yiwang.supervision.reports import Figures
from yiwang.supervision.services import SupervisionError

PUBLIC_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY)


@dataclass(frozen=True)
class Line:
    rank: int
    name: str
    score: Decimal
    on_time_rate: Decimal | None
    satisfaction: Decimal | None
    complaints: int


@dataclass(frozen=True)
class Board:
    region: Region
    lines: list[Line]

    def chart(self) -> dict[str, Any]:
        """The complaints per department, most first (ties by name)."""
        ordered = sorted(self.lines, key=lambda line: (-line.complaints, line.name))
        return {
            "departments": [line.name for line in ordered],
            "complaints": [line.complaints for line in ordered],
        }


def last_complete_month(today: dt.date) -> str:
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return f"{previous:%Y-%m}"


def board(region: Region, period: scoring.Period) -> Board:
    lines = []
    for score in scoring.scores(region=region, period=period, by="department"):
        figures = Figures(score.measures)
        lines.append(
            Line(
                rank=score.rank,
                name=score.name,
                score=score.total,
                on_time_rate=figures.on_time_rate,
                satisfaction=figures.satisfaction,
                complaints=figures.complaints,
            )
        )
    return Board(region, lines)


@require_safe
def performance(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    month = (request.GET.get("month") or "").strip() or last_complete_month(today)
    code = (request.GET.get("region") or "").strip()
    regions = list(Region.objects.filter(level__in=PUBLIC_LEVELS).order_by("path"))
    context: dict[str, Any] = {"regions": regions, "month": month, "region_code": code, "boards": []}
    chosen = None
    if code:
        chosen = next((r for r in regions if r.code == code), None)
        if chosen is None:
            context["error"] = _("There is no city or county with the code “%(code)s”.") % {"code": code}
            return render(request, "supervision/public/performance.html", context, status=404)
    try:
        period = scoring.Period.parse(scoring.PeriodKind.MONTH, month, today=today)
    except SupervisionError as error:
        context["error"] = error.text
        return render(request, "supervision/public/performance.html", context, status=400)
    tops = (
        [chosen] if chosen is not None else list(Region.objects.filter(parent__isnull=True).order_by("path"))
    )
    boards = [board(region, period) for region in tops]
    context.update(
        period=period,
        boards=boards,
        charts=[b.chart() for b in boards],
        month=period.value,
        through=period.through,
    )
    return render(request, "supervision/public/performance.html", context)
