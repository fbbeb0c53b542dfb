"""The performance report pages (绩效评估, seeds 001, 003, 004) under /supervision/reports/:

* the leader's dashboard of a region: this month so far against last month, the
  twelve-month trend, the regions below, the best and worst departments;
* a monthly summary, quarterly bulletin or annual evaluation (月汇总、季通报、年度考核) at
  ``<kind>/<value>/`` (``month/2025-10``, ``quarter/2025-Q4``, ``year/2025``): figures,
  rankings of departments, windows and staff with each indicator's points, the
  nominations of red-flag windows and model staff with their rule, complaints per
  department; as a page, an Excel workbook and a PDF (``report_exports``);
* one department's score in a period, line by line with the scheme's explanations.

For supervisors and leaders (else 403). The region is ``?region=<code>``, one of the
regions of the viewer's scope, by default the broadest; a region outside the scope
answers 404 and a malformed, reversed or future period 400, each with its message on
a page that offers the choice again. Everything is read from the daily facts by
``reports`` and ``scoring`` in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_safe

from yiwang.org.models import Department, Region
from yiwang.supervision import report_exports, reports, scoring, selectors
from yiwang.supervision.reports import Figures
from yiwang.supervision.services import SupervisionError
from yiwang.supervision.views import REFUSED, _base_context, _guarded

reporters_only = _guarded(
    selectors.watches, gettext_lazy("The performance reports are for supervisors and leaders.")
)

TAB = "reports"
NOT_FOUND = 404
RANKING_ROWS = 20  # windows and staff shown on the page; the workbook lists them all
REGION_LEVELS_OFFERED = 2  # the region menu: the broadest region and two levels below it
REGION_CHOICES_LIMIT = 400
KIND_LABELS: dict[str, Any] = {
    scoring.PeriodKind.MONTH: gettext_lazy("Monthly summary"),
    scoring.PeriodKind.QUARTER: gettext_lazy("Quarterly bulletin"),
    scoring.PeriodKind.YEAR: gettext_lazy("Annual evaluation"),
    scoring.PeriodKind.CUSTOM: gettext_lazy("Report on a date range"),
}
PAGE_TITLES: dict[str, Any] = {
    scoring.PeriodKind.MONTH: gettext_lazy("%(region)s, %(period)s: monthly performance summary"),
    scoring.PeriodKind.QUARTER: gettext_lazy("%(region)s, %(period)s: quarterly performance bulletin"),
    scoring.PeriodKind.YEAR: gettext_lazy("%(region)s, %(period)s: annual performance evaluation"),
    scoring.PeriodKind.CUSTOM: gettext_lazy("%(region)s, %(period)s: performance report"),
}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class Refused(Exception):
    """A request the pages cannot answer: shown with its message and the choice of
    report again, with ``status`` (400 for a bad period, 404 outside the scope)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --------------------------------------------------------------------------- the region


@dataclass
class Regions:
    """The regions the viewer may report on: ``offered`` in the menu, ``chosen`` shown."""

    offered: list[Region]
    chosen: Region


def _in_scope(request: HttpRequest) -> QuerySet[Region]:
    return selectors.regions_in_scope(request.user)


def _regions(request: HttpRequest, *, asked: bool = True) -> Regions:
    """The region of ``?region=`` (by code) if it is in scope, else (or without
    ``asked``) the broadest one."""
    in_scope = _in_scope(request)
    broadest = in_scope.order_by(Length("path"), "path").first()
    if broadest is None:
        raise PermissionDenied(_("The performance reports cover regions, and your role covers none."))
    offered = list(
        in_scope.filter(level__lte=broadest.level + REGION_LEVELS_OFFERED).order_by("path")[
            :REGION_CHOICES_LIMIT
        ]
    )
    code = (request.GET.get("region") or "").strip() if asked else ""
    if not code:
        return Regions(offered, broadest)
    chosen = next((r for r in offered if r.code == code), None)
    if chosen is None:
        chosen = Region.objects.filter(code=code).first()
        if chosen is None:
            raise Refused(_("No region has the code “%(code)s”.") % {"code": code[:20]}, NOT_FOUND)
        if not in_scope.filter(pk=chosen.pk).exists():
            raise Refused(
                _("%(region)s is outside your scope: you may see the reports of %(scope)s.")
                % {"region": chosen.name, "scope": broadest.name},
                NOT_FOUND,
            )
        offered = sorted([*offered, chosen], key=lambda r: r.path)  # deeper than the menu goes
    return Regions(offered, chosen)


def _period(kind: str, value: str) -> scoring.Period:
    if kind not in report_exports.REPORT_KINDS:
        raise Refused(
            _("“%(kind)s” is not a kind of report: choose month, quarter, year or custom.")
            % {"kind": kind[:20]},
            REFUSED,
        )
    try:
        return scoring.Period.parse(kind, value)
    except SupervisionError as error:
        raise Refused(error.text, REFUSED) from None


# --------------------------------------------------------------------------- the choice of report


def _period_options(today: dt.date) -> list[str]:
    """Recent periods for the period field's suggestions."""
    months = [reports.months_back(today, n) for n in range(12)]
    options = [f"{m.year}-{m.month:02d}" for m in months]
    quarter = (today.month - 1) // 3
    for n in range(8):
        index = today.year * 4 + quarter - n
        options.append(f"{index // 4}-Q{index % 4 + 1}")
    options += [str(today.year - n) for n in range(5)]
    return options


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=pgettext_lazy("performance report", "Report"), choices=list(KIND_LABELS.items())
    )
    period = forms.CharField(
        label=pgettext_lazy("performance report", "Period"),
        max_length=40,
        help_text=gettext_lazy(
            "A month (2025-10), a quarter (2025-Q4), a year (2025) or a date range (2025-10-01..2025-10-15)."
        ),
        widget=forms.TextInput(attrs={"list": "period-options", "autocomplete": "off", "inputmode": "text"}),
    )
    region = forms.ChoiceField(label=pgettext_lazy("performance report", "Region"))

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        top = min((r.level for r in regions), default=0)
        self.fields["region"].choices = [  # type: ignore[attr-defined]
            (r.code, "\u3000" * (r.level - top) + r.name) for r in regions
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "kind" in data and "period" in data:
            try:
                data["parsed"] = scoring.Period.parse(data["kind"], data["period"])
            except SupervisionError as error:
                self.add_error("period", error.text)
        return data


def _form(regions: Regions, *, kind: str = "month", value: str = "", data: Any = None) -> ReportForm:
    initial = {"kind": kind, "period": value, "region": regions.chosen.code}
    return ReportForm(data, initial=initial, regions=regions.offered)


def _summary_url(kind: str, value: str, region: Region, name: str = "supervision:report_summary") -> str:
    return reverse(name, args=[kind, value]) + "?" + urlencode({"region": region.code})


def _context(request: HttpRequest, regions: Regions, form: ReportForm) -> dict[str, Any]:
    return {
        **_base_context(request, TAB),
        "regions": regions,
        "region": regions.chosen,
        "form": form,
        "period_options": _period_options(timezone.localdate()),
    }


def _refused_page(request: HttpRequest, refused: Refused, regions: Regions, **form: Any) -> HttpResponse:
    context = {**_context(request, regions, _form(regions, **form)), "message": refused.message}
    return render(request, "supervision/reports/refused.html", context, status=refused.status)


View = Callable[..., HttpResponse]


def _answering_refusals(view: View) -> View:
    """A ``Refused`` raised by the view becomes its page (message, the form again)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Refused as refused:
            try:
                regions = _regions(request)
            except Refused:  # the region itself was refused: offer the broadest again
                regions = _regions(request, asked=False)
            kind = kwargs.get("kind", "month")
            value = kwargs.get("value", "")
            return _refused_page(
                request,
                refused,
                regions,
                kind=kind if kind in report_exports.REPORT_KINDS else "month",
                value=value,
            )

    return wrapped


# --------------------------------------------------------------------------- the dashboard


@dataclass(frozen=True)
class Comparison:
    key: str
    label: str
    this: int | Decimal | None
    last: int | Decimal | None
    unit: str
    # rates and averages compare; counts of a month under way against a whole month do not
    compared: bool = False
    higher_is_better: bool = True

    @property
    def change(self) -> Decimal | None:
        if not self.compared or self.this is None or self.last is None:
            return None
        return Decimal(self.this) - Decimal(self.last)

    @property
    def trend(self) -> str:
        change = self.change
        if not change:
            return ""
        return "better" if (change > 0) == self.higher_is_better else "worse"


def _comparisons(this: Figures, last: Figures) -> list[Comparison]:
    pct = "%"
    return [
        Comparison("received", pgettext("performance report", "Received"), this.received, last.received, ""),
        Comparison(
            "completed", pgettext("performance report", "Completed"), this.completed, last.completed, ""
        ),
        Comparison(
            "on_time_rate",
            pgettext("performance report", "On-time rate"),
            this.on_time_rate,
            last.on_time_rate,
            pct,
            True,
        ),
        Comparison(
            "early_rate",
            pgettext("performance report", "Early completion rate"),
            this.early_rate,
            last.early_rate,
            pct,
            True,
        ),
        Comparison(
            "online_share",
            pgettext("performance report", "Online share"),
            this.online_share,
            last.online_share,
            pct,
            True,
        ),
        Comparison(
            "satisfaction",
            pgettext("performance report", "Satisfaction"),
            this.satisfaction,
            last.satisfaction,
            pct,
            True,
        ),
        Comparison(
            "average_workdays",
            pgettext("performance report", "Working days per case"),
            this.average_workdays,
            last.average_workdays,
            "",
            True,
            False,
        ),
        Comparison(
            "yellow_cards",
            pgettext("performance report", "Yellow cards"),
            this.yellow_cards,
            last.yellow_cards,
            "",
        ),
        Comparison(
            "red_cards", pgettext("performance report", "Red cards"), this.red_cards, last.red_cards, ""
        ),
        Comparison(
            "complaints", pgettext("performance report", "Complaints"), this.complaints, last.complaints, ""
        ),
    ]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@require_safe
@reporters_only
@_answering_refusals
def dashboard(request: HttpRequest) -> HttpResponse:
    """The leader's dashboard of the chosen region."""
    regions = _regions(request)
    region = regions.chosen
    board = reports.dashboard(region=region)
    today = board.today
    last_month = reports.months_back(today, 1)
    quarter = scoring.Period.of("quarter", today)
    chart = {
        "months": [f"{p.month.year}-{p.month.month:02d}" for p in board.trend],
        "received": [p.received for p in board.trend],
        "completed": [p.completed for p in board.trend],
        "on_time_rate": [_number(p.on_time_rate) for p in board.trend],
        "cards": [p.yellow_cards + p.red_cards for p in board.trend],
        "complaints": [p.complaints for p in board.trend],
        "names": {
            "received": pgettext("performance report", "Received"),
            "completed": pgettext("performance report", "Completed"),
            "on_time_rate": pgettext("performance report", "On-time rate (%)"),
            "cards": pgettext("performance report", "Yellow and red cards"),
            "complaints": pgettext("performance report", "Complaints"),
        },
    }
    month_value = board.month.value
    context = {
        **_context(request, regions, _form(regions, value=f"{last_month.year}-{last_month.month:02d}")),
        "board": board,
        "comparisons": _comparisons(board.this_month, board.last_month),
        "chart": chart,
        "month_value": month_value,
        "query": "?" + urlencode({"region": region.code}),
        "shortcuts": [
            (pgettext("performance report", "This month so far"), _summary_url("month", month_value, region)),
            (
                pgettext("performance report", "Last month"),
                _summary_url("month", f"{last_month.year}-{last_month.month:02d}", region),
            ),
            (pgettext("performance report", "This quarter"), _summary_url("quarter", quarter.value, region)),
            (pgettext("performance report", "Last year"), _summary_url("year", str(today.year - 1), region)),
        ],
    }
    return render(request, "supervision/reports/dashboard.html", context)


# --------------------------------------------------------------------------- the reports


@require_safe
@reporters_only
@_answering_refusals
def choose(request: HttpRequest) -> HttpResponse:
    """The form's target: on to the report chosen, or the form again with its errors."""
    regions = _regions(request)
    form = _form(regions, data=request.GET)
    if form.is_valid():
        period = form.cleaned_data["parsed"]
        region = next(r for r in regions.offered if r.code == form.cleaned_data["region"])
        return redirect(_summary_url(period.kind, period.value, region))
    context = {**_context(request, regions, form), "message": ""}
    return render(request, "supervision/reports/refused.html", context, status=REFUSED)


def _scheme_text(region: Region) -> str:
    version = scoring.scheme_for(region)
    return f"{version.scheme.name}（第{version.number}版）"


def _summary(request: HttpRequest, kind: str, value: str) -> tuple[Regions, reports.Summary]:
    regions = _regions(request)
    period = _period(kind, value)
    try:
        summary = reports.summary(region=regions.chosen, period=period)
    except SupervisionError as error:
        raise Refused(error.text, REFUSED) from None
    return regions, summary


@dataclass(frozen=True)
class PageFigure:
    key: str
    label: str
    value: int | Decimal | None
    unit: str


def _page_figures(figures: Figures) -> list[PageFigure]:
    pct = "%"
    days = pgettext("performance report", "working days")
    return [
        PageFigure("received", pgettext("performance report", "Received"), figures.received, ""),
        PageFigure("online_share", pgettext("performance report", "Online share"), figures.online_share, pct),
        PageFigure("accepted", pgettext("performance report", "Accepted"), figures.accepted, ""),
        PageFigure("completed", pgettext("performance report", "Completed"), figures.completed, ""),
        PageFigure("on_time_rate", pgettext("performance report", "On-time rate"), figures.on_time_rate, pct),
        PageFigure(
            "early_rate", pgettext("performance report", "Early completion rate"), figures.early_rate, pct
        ),
        PageFigure("satisfaction", pgettext("performance report", "Satisfaction"), figures.satisfaction, pct),
        PageFigure(
            "average_workdays",
            pgettext("performance report", "Working days per case"),
            figures.average_workdays,
            days,
        ),
        PageFigure(
            "used_of_promised",
            pgettext("performance report", "Time used of the promised limits"),
            figures.used_of_promised,
            pct,
        ),
        PageFigure("yellow_cards", pgettext("performance report", "Yellow cards"), figures.yellow_cards, ""),
        PageFigure("red_cards", pgettext("performance report", "Red cards"), figures.red_cards, ""),
        PageFigure("complaints", pgettext("performance report", "Complaints"), figures.complaints, ""),
        PageFigure(
            "irregularities", pgettext("performance report", "Irregularities"), figures.irregularities, ""
        ),
    ]


@dataclass(frozen=True)
class ScoreRow:
    """A window's or staff member's line of a ranking."""

    score: scoring.Score

    @property
    def on_time_rate(self) -> Decimal | None:
        return report_exports.share(self.score.measures["on_time"], self.score.measures["completed"])

    @property
    def satisfaction(self) -> Decimal | None:
        return report_exports.share(self.score.measures["ratings_satisfied"], self.score.measures["ratings"])

    @property
    def cards(self) -> int:
        return self.score.measures["yellow_cards"] + self.score.measures["red_cards"]


def _rule(kind: str) -> str:
    rule = reports.nomination_rule(kind)
    params = {"top": rule["top"], "min": rule["min_score"]}
    if kind == "window":
        return (
            _(
                "Rule: the best %(top)s windows with at least %(min)s points, "
                "no red card and no substantiated complaint in the period."
            )
            % params
        )
    return (
        _(
            "Rule: the best %(top)s staff members with at least %(min)s points, "
            "no red card and no substantiated complaint in the period."
        )
        % params
    )


@require_safe
@reporters_only
@_answering_refusals
def summary_page(request: HttpRequest, kind: str, value: str) -> HttpResponse:
    """The monthly summary, quarterly bulletin or annual evaluation of the region."""
    regions, summary = _summary(request, kind, value)
    region, period = summary.region, summary.period
    query = "?" + urlencode({"region": region.code})
    departments = summary.departments
    indicators = [(line.label, line.weight) for line in departments[0].breakdown] if departments else []
    complaints = summary.complaints_by_department
    context = {
        **_context(request, regions, _form(regions, kind=period.kind, value=period.value)),
        "summary": summary,
        "title": PAGE_TITLES[period.kind] % {"region": region.name, "period": period.label},
        "kind_label": KIND_LABELS[period.kind],
        "figures": _page_figures(summary.figures),
        "indicators": indicators,
        "windows": [ScoreRow(s) for s in summary.windows[:RANKING_ROWS]],
        "staff_rows": [ScoreRow(s) for s in summary.staff[:RANKING_ROWS]],
        "window_rule": _rule("window"),
        "staff_rule": _rule("staff"),
        "scheme": _scheme_text(region),
        "query": query,
        "xlsx_url": reverse("supervision:report_export", args=[period.kind, period.value, "xlsx"]) + query,
        "pdf_url": reverse("supervision:report_export", args=[period.kind, period.value, "pdf"]) + query,
        "chart": {
            "departments": [name for name, _n in complaints],
            "complaints": [n for _name, n in complaints],
            "name": pgettext("performance report", "Complaints"),
        },
    }
    return render(request, "supervision/reports/summary.html", context)


@require_safe
@reporters_only
@_answering_refusals
def department_page(request: HttpRequest, kind: str, value: str, pk: int) -> HttpResponse:
    """One department's score in the period, indicator by indicator."""
    regions = _regions(request)
    region = regions.chosen
    period = _period(kind, value)
    department = Department.objects.filter(pk=pk, region__path__startswith=region.path).first()
    if department is None:
        raise Refused(
            _("No department of %(region)s has the number %(pk)s.") % {"region": region.name, "pk": pk},
            NOT_FOUND,
        )
    try:
        ranked = scoring.scores(region=region, period=period, by="department")
    except SupervisionError as error:
        raise Refused(error.text, REFUSED) from None
    score = next((s for s in ranked if s.subject_id == department.pk), None)
    context = {
        **_context(request, regions, _form(regions, kind=period.kind, value=period.value)),
        "department": department,
        "period": period,
        "kind_label": KIND_LABELS[period.kind],
        "score": score,
        "ranked": len(ranked),
        "measures": (
            [(scoring.MEASURE_LABELS[m], score.measures[m]) for m in scoring.MEASURE_LABELS] if score else []
        ),
        "scheme": _scheme_text(region),
        "summary_url": _summary_url(period.kind, period.value, region),
    }
    return render(request, "supervision/reports/department.html", context)


@require_safe
@reporters_only
@_answering_refusals
def summary_export(request: HttpRequest, kind: str, value: str, fmt: str) -> HttpResponse:
    """The report as an Excel workbook or a PDF."""
    _chosen, summary = _summary(request, kind, value)
    build = report_exports.summary_xlsx if fmt == "xlsx" else report_exports.summary_pdf
    data = build(summary, issued_on=timezone.localdate(), scheme=_scheme_text(summary.region))
    title = report_exports.document_title(summary)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    disposition = "attachment" if fmt == "xlsx" else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(title, safe='')}.{fmt}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
