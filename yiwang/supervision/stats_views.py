"""The statistics pages under /supervision/statistics/ (issue 6 part 4), for supervisors
and leaders: the figures of a period grouped by region, department, item or month, as a
table and a chart; the same table as an Excel workbook; and the drill-down to the cases,
alerts, complaints or findings behind a number.

A malformed, reversed or future period is shown on its field with status 400; a region,
department or item outside the viewer's scope answers 404 with the reason, and nothing of
it is shown.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from yiwang.supervision import scoring, selectors, stats
from yiwang.supervision.filters import _DATE, _INDENT
from yiwang.supervision.forms import apply_supervision_error
from yiwang.supervision.services import SupervisionError
from yiwang.supervision.views import PAGE_SIZE, REFUSED, _base_context, _guarded

TAB = "statistics"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

watchers_only = _guarded(selectors.watches, gettext_lazy("The statistics are for supervisors and leaders."))

KIND_CHOICES = (
    (scoring.PeriodKind.MONTH.value, pgettext_lazy("period", "Month")),
    (scoring.PeriodKind.QUARTER.value, pgettext_lazy("period", "Quarter")),
    (scoring.PeriodKind.YEAR.value, pgettext_lazy("period", "Year")),
    (scoring.PeriodKind.CUSTOM.value, pgettext_lazy("period", "Date range")),
)


class StatsForm(forms.Form):
    """The choices on top of the statistics page. Region and department are offered from
    the viewer's scope; whether a value sent is in scope is ``stats.select``'s decision
    (404 when it is not), so the fields themselves accept any text."""

    kind = forms.ChoiceField(label=pgettext_lazy("statistics", "Period"), choices=KIND_CHOICES)
    period = forms.CharField(
        label=pgettext_lazy("statistics", "Month, quarter or year"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "2025-10 · 2025-Q4 · 2025", "autocomplete": "off"}),
    )
    start = forms.DateField(label=pgettext_lazy("statistics", "From"), required=False, widget=_DATE)
    end = forms.DateField(label=pgettext_lazy("statistics", "To"), required=False, widget=_DATE)
    region = forms.CharField(label=pgettext_lazy("supervision", "Region"), required=False, max_length=12)
    department = forms.CharField(
        label=pgettext_lazy("supervision", "Department"), required=False, max_length=12
    )
    item = forms.CharField(
        label=pgettext_lazy("supervision", "Item"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Item code"), "autocomplete": "off"}),
    )
    by = forms.ChoiceField(
        label=pgettext_lazy("statistics", "Group by"), choices=stats.BY_CHOICES, required=False
    )

    def __init__(self, data: QueryDict, *, user: Any) -> None:
        super().__init__(data)
        regions: list[tuple[str, Any]] = [("", pgettext_lazy("supervision", "All regions"))]
        for region in selectors.regions_in_scope(user):
            regions.append((region.code, _INDENT * max(0, region.level - 2) + region.name))
        self.fields["region"].widget = forms.Select(choices=regions)
        departments: list[tuple[str, Any]] = [("", pgettext_lazy("supervision", "All departments"))]
        departments += [(str(d.pk), d.name) for d in selectors.departments_in_scope(user)]
        self.fields["department"].widget = forms.Select(choices=departments)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == scoring.PeriodKind.CUSTOM:
            for name in ("start", "end"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Give the first and the last day of the range."))
        elif "kind" in data and not data.get("period"):
            self.add_error(
                "period", _("Give the month, quarter or year, for example 2025-10, 2025-Q4 or 2025.")
            )
        return data


def _data(request: HttpRequest) -> QueryDict:
    """The query string, with this month when no period is given."""
    data = request.GET.copy()
    if not data.get("kind"):
        today = timezone.localdate()
        data["kind"] = scoring.PeriodKind.MONTH.value
        data.setdefault("period", f"{today:%Y-%m}")
    return data


class _Refused(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _selection(request: HttpRequest, form: StatsForm) -> stats.Selection | None:
    """The checked selection; None when the form shows an error (a bad period); raises
    ``_Refused`` with the 404 page for anything outside the scope."""
    if not form.is_valid():
        return None
    d = form.cleaned_data
    try:
        period = stats.parse_period(
            d["kind"],
            d.get("period") or "",
            d["start"].isoformat() if d.get("start") else "",
            d["end"].isoformat() if d.get("end") else "",
        )
    except SupervisionError as error:
        if d["kind"] == scoring.PeriodKind.CUSTOM and error.field == "period":
            error.field = "end"
        apply_supervision_error(form, error)
        return None
    try:
        return stats.select(
            request.user,
            period=period,
            region=d.get("region") or "",
            department=d.get("department") or "",
            item=(d.get("item") or "").strip(),
            month=request.GET.get("month", ""),
        )
    except stats.OutOfScope as refused:
        raise _Refused(_outside(request, refused.message)) from None


def _outside(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request,
        "supervision/stats/outside.html",
        {**_base_context(request, TAB), "message": message},
        status=404,
    )


def _link(name: str, params: dict[str, str]) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


@require_safe
@watchers_only
def statistics_page(request: HttpRequest) -> HttpResponse:
    form = StatsForm(_data(request), user=request.user)
    try:
        selection = _selection(request, form)
    except _Refused as refused:
        return refused.response
    result = None
    if selection is not None:
        result = stats.statistics(request.user, selection, form.cleaned_data.get("by") or "department")
    context = {
        **_base_context(request, TAB),
        "form": form,
        "result": result,
        "table": _table(result) if result is not None else None,
        "chart": result.chart() if result is not None else None,
        "export_url": _link("supervision:statistics_export", {**result.selection.params(), "by": result.by})
        if result is not None
        else "",
    }
    return render(
        request, "supervision/stats/statistics.html", context, status=200 if result is not None else REFUSED
    )


# The table's columns: (key, label, how to read it from a Figures, the measure a link drills into).
COLUMNS: tuple[tuple[str, Any, str, str], ...] = (
    ("received", pgettext_lazy("statistics", "Received"), "received", "received"),
    ("accepted", pgettext_lazy("statistics", "Accepted"), "accepted", "accepted"),
    ("refused", pgettext_lazy("statistics", "Refused"), "refused", "refused"),
    ("completed", pgettext_lazy("statistics", "Completed"), "completed", "completed"),
    ("on_time", pgettext_lazy("statistics", "On time"), "on_time", "on_time"),
    ("on_time_rate", pgettext_lazy("statistics", "On-time rate"), "on_time_rate", ""),
    ("early", pgettext_lazy("statistics", "Early"), "early", "early"),
    ("early_rate", pgettext_lazy("statistics", "Early rate"), "early_rate", ""),
    ("late", pgettext_lazy("statistics", "Late"), "late", "late"),
    ("average_workdays", pgettext_lazy("statistics", "Working days per case"), "average_workdays", ""),
    ("used_of_promised", pgettext_lazy("statistics", "Used of promised limit"), "used_of_promised", ""),
    ("used_of_statutory", pgettext_lazy("statistics", "Used of statutory limit"), "used_of_statutory", ""),
    ("online", pgettext_lazy("statistics", "Online"), "online", "online"),
    ("online_share", pgettext_lazy("statistics", "Online share"), "online_share", ""),
    ("satisfaction", pgettext_lazy("statistics", "Satisfaction"), "satisfaction", ""),
    ("complaints", pgettext_lazy("statistics", "Complaints"), "complaints", "complaints"),
    ("warnings", pgettext_lazy("statistics", "Warnings"), "warnings", "warnings"),
    ("yellow_cards", pgettext_lazy("statistics", "Yellow cards"), "yellow_cards", "yellow_cards"),
    ("red_cards", pgettext_lazy("statistics", "Red cards"), "red_cards", "red_cards"),
    ("irregularities", pgettext_lazy("statistics", "Irregularities"), "irregularities", "irregularities"),
)
PERCENT_COLUMNS = frozenset(
    {"on_time_rate", "early_rate", "used_of_promised", "used_of_statutory", "online_share", "satisfaction"}
)


def _value(figures: Any, attribute: str) -> Any:
    return getattr(figures, attribute)


def _cells(result: stats.Statistics, row: stats.Row | None) -> list[dict[str, Any]]:
    figures = row.figures if row is not None else result.total
    drill = row.drill if row is not None else {}
    base = result.selection.params()
    cells = []
    for key, label, attribute, measure in COLUMNS:
        value = _value(figures, attribute)
        url = ""
        # the "own level" and "no item" rows have no narrower selection of their own
        if measure and value and (row is None or drill):
            url = _link("supervision:statistics_drill", {**base, **drill, "measure": measure})
        cells.append(
            {"key": key, "label": label, "value": value, "percent": key in PERCENT_COLUMNS, "url": url}
        )
    return cells


def _table(result: stats.Statistics) -> dict[str, Any]:
    return {
        "columns": [(key, label) for key, label, _a, _m in COLUMNS],
        "rows": [{"row": row, "cells": _cells(result, row)} for row in result.rows],
        "total": _cells(result, None),
    }


# --------------------------------------------------------------------------- Excel


@require_safe
@watchers_only
def statistics_export(request: HttpRequest) -> HttpResponse:
    form = StatsForm(_data(request), user=request.user)
    try:
        selection = _selection(request, form)
    except _Refused as refused:
        return refused.response
    if selection is None:
        context = {**_base_context(request, TAB), "form": form, "result": None}
        return render(request, "supervision/stats/statistics.html", context, status=REFUSED)
    result = stats.statistics(request.user, selection, form.cleaned_data.get("by") or "department")
    response = HttpResponse(workbook(result, scope=selectors.scope_title(request.user)), content_type=XLSX)
    name = f"statistics-{selection.period.value.replace('..', '_')}-{result.by}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _excel_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def workbook(result: stats.Statistics, *, scope: str = "") -> bytes:
    """The table as an .xlsx: a title row, the period, the header, one row per group and
    the total; rates in per cent, empty where there is nothing to divide by."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Statistics")[:31]
    selection = result.selection
    title = _("Statistics of %(scope)s, %(period)s") % {
        "scope": selection.region.name if selection.region else scope,
        "period": selection.period.label,
    }
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    narrowed = [
        str(_("Department: %(name)s") % {"name": selection.department.name}) if selection.department else "",
        str(_("Item: %(code)s") % {"code": selection.item.code}) if selection.item else "",
    ]
    sheet.append(
        [
            _("Figures from %(start)s to %(end)s")
            % {"start": selection.start.isoformat(), "end": selection.end.isoformat()},
            *[n for n in narrowed if n],
        ]
    )
    header = [result.by_label] + [
        f"{label} (%)" if key in PERCENT_COLUMNS else str(label) for key, label, _a, _m in COLUMNS
    ]
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in result.rows:
        sheet.append([row.label] + [_excel_value(_value(row.figures, a)) for _k, _l, a, _m in COLUMNS])
    sheet.append([_("Total")] + [_excel_value(_value(result.total, a)) for _k, _l, a, _m in COLUMNS])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 36
    for index in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 12
    sheet.freeze_panes = "B4"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- drill-down


@require_safe
@watchers_only
def drill_page(request: HttpRequest) -> HttpResponse:
    measure = request.GET.get("measure", "")
    if measure not in stats.DRILL_MEASURES:
        return _outside(request, _("There is no list behind “%(measure)s”.") % {"measure": measure})
    form = StatsForm(_data(request), user=request.user)
    try:
        selection = _selection(request, form)
    except _Refused as refused:
        return refused.response
    if selection is None:
        context = {**_base_context(request, TAB), "form": form, "result": None}
        return render(request, "supervision/stats/statistics.html", context, status=REFUSED)
    rows = stats.drill(request.user, selection, measure)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    narrowed = []
    if selection.region is not None:
        narrowed.append(selection.region.name)
    if selection.department is not None:
        narrowed.append(selection.department.name)
    if selection.item is not None:
        narrowed.append(selection.item.code)
    context = {
        **_base_context(request, TAB),
        "selection": selection,
        "measure": measure,
        "measure_label": stats.MEASURE_LABELS[measure],
        "kind": stats.drill_kind(measure),
        "page": page,
        "narrowed": narrowed,
        "back_url": _link("supervision:statistics", selection.params()),
        "scope": selectors.scope_title(request.user),
    }
    return render(request, "supervision/stats/drill.html", context)
