"""Statistics for supervisors and leaders (统计分析, issue 6 part 4): the figures of a
period, narrowed to a region, a department and an item of the viewer's scope, grouped by
the regions below, by department, by item or by month, read from the daily facts
(``DailyFact``) in one grouped query (and one query for the names of the groups); and the
drill-down to the rows behind a number.

The drill-down repeats the attribution rules of ``yiwang.supervision.facts`` on the rows
themselves, so that it lists exactly what was counted:

* ``received`` (and ``online``): cases submitted in the period (online: by the online
  channel); ``accepted``: accepted in it; ``refused``: refused (closed unaccepted) in it;
* ``completed``: completed in it; ``on_time``: … on a day not after the case's due date;
  ``early``: … before it; ``late``: … after it (the due date stops moving at completion,
  so the case's ``due_date`` is the one the fact compared against);
* ``warnings``, ``yellow_cards``, ``red_cards``: alerts of that level raised in it, for
  the department answering for them, the item their case is about;
* ``complaints``: efficiency complaints received in it; ``complaints_substantiated``:
  found substantiated by a decision taken in it;
* ``irregularities``: findings whose event (the greatest of its ``event_seqs``) happened
  in it, else detected in it.

Days are local dates (Asia/Shanghai). Departments and regions are placed as the facts
place them: by the department and the department's region. Anything outside the viewer's
scope (a region, a department or an item of another county) raises ``OutOfScope``; a
period starting after today or reversed raises ``SupervisionError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import CharField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from yiwang.cases.models import Case, CaseState, Channel
from yiwang.catalog.models import Item
from yiwang.org.models import Department, Region
from yiwang.org.permissions import scope_of, visible
from yiwang.supervision import facts, scoring
from yiwang.supervision.models import FACT_MEASURES, Alert, Complaint, DailyFact, Irregularity, Level
from yiwang.supervision.reports import Figures
from yiwang.supervision.rules import start_of
from yiwang.supervision.selectors import WATCH_ROLES, irregularity_label, regions_in_scope

BY_CHOICES: tuple[tuple[str, Any], ...] = (
    ("region", pgettext_lazy("statistics", "Regions below")),
    ("department", pgettext_lazy("statistics", "Department")),
    ("item", pgettext_lazy("statistics", "Service item")),
    ("month", pgettext_lazy("statistics", "Month")),
)
BY_KEYS = tuple(key for key, _label in BY_CHOICES)

CASE_MEASURES = ("received", "online", "accepted", "refused", "completed", "on_time", "early", "late")
ALERT_MEASURES = {"warnings": Level.WARNING, "yellow_cards": Level.YELLOW, "red_cards": Level.RED}
COMPLAINT_MEASURES = ("complaints", "complaints_substantiated")
DRILL_MEASURES: tuple[str, ...] = (*CASE_MEASURES, *ALERT_MEASURES, *COMPLAINT_MEASURES, "irregularities")

MEASURE_LABELS: dict[str, Any] = {
    "received": pgettext_lazy("statistics", "Received"),
    "online": pgettext_lazy("statistics", "Received online"),
    "accepted": pgettext_lazy("statistics", "Accepted"),
    "refused": pgettext_lazy("statistics", "Refused"),
    "completed": pgettext_lazy("statistics", "Completed"),
    "on_time": pgettext_lazy("statistics", "Completed on time"),
    "early": pgettext_lazy("statistics", "Completed early"),
    "late": pgettext_lazy("statistics", "Completed late"),
    "warnings": pgettext_lazy("statistics", "Warnings"),
    "yellow_cards": pgettext_lazy("statistics", "Yellow cards"),
    "red_cards": pgettext_lazy("statistics", "Red cards"),
    "complaints": pgettext_lazy("statistics", "Complaints"),
    "complaints_substantiated": pgettext_lazy("statistics", "Substantiated complaints"),
    "irregularities": pgettext_lazy("statistics", "Irregularities"),
}

OWN_LEVEL = gettext_lazy("%(region)s (own level)")
NO_ITEM = gettext_lazy("Not about one item")


class OutOfScope(Exception):
    """A region, department or item the viewer does not oversee (or that does not exist:
    the two are not told apart)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- scope


def _scope_q(user: Any, region_lookup: str, department_lookup: str) -> Q | None:
    """The rows of a supervisor's or leader's scope, placed by ``region_lookup`` (a region
    path, matched by prefix) and ``department_lookup`` (a department id): ``Q()`` for all,
    None for none."""
    scope = scope_of(user)
    if scope.is_superuser:
        return Q()
    parts = []
    for grant in scope.grants_for(WATCH_ROLES):
        q = Q()
        if grant.region_path is not None:
            q &= Q(**{f"{region_lookup}__startswith": grant.region_path})
        if grant.department_ids is not None:
            q &= Q(**{f"{department_lookup}__in": grant.department_ids})
        parts.append(q)
    return reduce(or_, parts) if parts else None


def _scoped(user: Any, queryset: QuerySet[Any], region_lookup: str, department_lookup: str) -> QuerySet[Any]:
    q = _scope_q(user, region_lookup, department_lookup)
    return queryset.none() if q is None else queryset.filter(q)


@dataclass(frozen=True)
class Selection:
    """What the viewer asked for, checked against their scope."""

    period: scoring.Period
    region: Region | None = None
    department: Department | None = None
    item: Item | None = None
    month: dt.date | None = None  # a drill-down of one month of a longer period

    @property
    def start(self) -> dt.date:
        if self.month is not None:
            return max(self.period.start, self.month)
        return self.period.start

    @property
    def end(self) -> dt.date:
        """The last day with figures (today for a period under way)."""
        through = self.period.through
        if self.month is not None:
            next_month = (self.month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return min(through, next_month - dt.timedelta(days=1))
        return through

    def params(self, **override: Any) -> dict[str, str]:
        """The query string that selects the same again (``override``: a group's key)."""
        values: dict[str, str] = {"kind": self.period.kind.value}
        if self.period.kind == scoring.PeriodKind.CUSTOM:
            values["start"], values["end"] = self.period.start.isoformat(), self.period.end.isoformat()
        else:
            values["period"] = self.period.value
        if self.region is not None:
            values["region"] = self.region.code
        if self.department is not None:
            values["department"] = str(self.department.pk)
        if self.item is not None:
            values["item"] = self.item.code
        if self.month is not None:
            values["month"] = f"{self.month:%Y-%m}"
        values.update({k: str(v) for k, v in override.items() if v is not None})
        return values


def parse_period(
    kind: str, value: str = "", start: str = "", end: str = "", *, today: dt.date | None = None
) -> scoring.Period:
    """A period from the query string: ``kind`` month, quarter or year with ``value``
    (2025-10, 2025-Q4, 2025), or custom from ``start`` to ``end`` (ISO dates)."""
    if kind == scoring.PeriodKind.CUSTOM and not value:
        value = f"{start}..{end}"
    return scoring.Period.parse(kind, value, today=today)


def select(
    user: Any,
    *,
    period: scoring.Period,
    region: str = "",
    department: str = "",
    item: str = "",
    month: str = "",
) -> Selection:
    """Check the region (code), department (id) and item (code) against the viewer's
    scope: one query each that is given."""
    chosen_region = None
    if region:
        chosen_region = regions_in_scope(user).filter(code=region).first()
        if chosen_region is None:
            raise OutOfScope(_("No region with the code “%(code)s” within your scope.") % {"code": region})
    chosen_department = None
    if department:
        found = (
            visible(user, Department.objects.all(), roles=WATCH_ROLES)
            .select_related("region")
            .filter(pk=int(department))
            if department.isdigit()
            else Department.objects.none()
        )
        chosen_department = found.first()
        if chosen_department is None:
            raise OutOfScope(_("No such department within your scope."))
    chosen_item = None
    if item:
        chosen_item = visible(user, Item.objects.all(), roles=WATCH_ROLES).filter(code=item).first()
        if chosen_item is None:
            raise OutOfScope(
                _("No service item with the code “%(code)s” within your scope.") % {"code": item}
            )
    chosen_month = None
    if month:
        try:
            chosen_month = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise OutOfScope(_("“%(month)s” is not a month of the period.") % {"month": month}) from None
        if not period.start.replace(day=1) <= chosen_month <= period.end:
            raise OutOfScope(_("“%(month)s” is not a month of the period.") % {"month": month})
    return Selection(
        period=period,
        region=chosen_region,
        department=chosen_department,
        item=chosen_item,
        month=chosen_month,
    )


def _narrowed(
    queryset: QuerySet[Any],
    selection: Selection,
    *,
    region_lookup: str,
    department_lookup: str,
    item_lookup: str,
) -> QuerySet[Any]:
    if selection.region is not None:
        queryset = queryset.filter(**{f"{region_lookup}__startswith": selection.region.path})
    if selection.department is not None:
        queryset = queryset.filter(**{department_lookup: selection.department.pk})
    if selection.item is not None:
        queryset = queryset.filter(**{item_lookup: selection.item.pk})
    return queryset


def facts_for(user: Any, selection: Selection) -> QuerySet[DailyFact]:
    qs = _scoped(user, DailyFact.objects.all(), "region_path", "department_id")
    qs = _narrowed(
        qs, selection, region_lookup="region_path", department_lookup="department_id", item_lookup="item_id"
    )
    return qs.filter(day__gte=selection.start, day__lte=selection.end)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Row:
    key: str  # region code, department id, item code, month (YYYY-MM); "" for no item
    label: str
    figures: Figures
    drill: dict[str, str] = field(default_factory=dict)  # what a drill-down link adds


@dataclass
class Statistics:
    selection: Selection
    by: str
    rows: list[Row]
    total: Figures

    @property
    def by_label(self) -> str:
        return str(dict(BY_CHOICES)[self.by])

    def chart(self) -> dict[str, Any]:
        """Volume bars and the on-time rate line, per group."""
        return {
            "labels": [row.label for row in self.rows],
            "series": [
                {
                    "key": key,
                    "name": str(MEASURE_LABELS[key]),
                    "data": [row.figures.measures[key] for row in self.rows],
                }
                for key in ("received", "accepted", "refused", "completed", "late")
            ],
            "rate": {
                "name": str(pgettext_lazy("statistics", "On-time rate (%)")),
                "data": [
                    float(row.figures.on_time_rate) if row.figures.on_time_rate is not None else None
                    for row in self.rows
                ],
            },
        }


_SUMS = {name: Sum(name) for name in FACT_MEASURES}


def _figures(row: Mapping[str, Any]) -> Figures:
    return Figures({name: int(row.get(name) or 0) for name in FACT_MEASURES})


def _month_key(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _region_groups(user: Any, selection: Selection) -> tuple[Any, list[Region], Region | None]:
    """The expression that names each fact's area, the areas, and the region whose own
    departments form an area of their own (the chosen region, or the only root of the
    scope)."""
    base = selection.region
    if base is None:
        roots = list(regions_in_scope(user))
        paths = [r.path for r in roots]
        roots = [r for r in roots if not any(r.path != p and r.path.startswith(p) for p in paths)]
        if len(roots) == 1:
            base = roots[0]
        elif roots:
            expression = SqlCase(
                *[When(region_path__startswith=r.path, then=Value(r.path)) for r in roots],
                default=F("region_path"),
                output_field=CharField(),
            )
            return expression, roots, None
        else:
            return F("region_path"), [], None
    children = list(Region.objects.filter(parent=base).order_by("path"))
    length = len(children[0].path) if children else len(base.path)
    return Substr("region_path", 1, length), children, base


def statistics(user: Any, selection: Selection, by: str) -> Statistics:
    """The figures of the selection grouped ``by`` region below, department, item or
    month: one grouped query, one query for the names."""
    if by not in BY_KEYS:
        by = "department"
    qs = facts_for(user, selection).order_by()
    rows: list[Row] = []
    found: dict[Any, Mapping[str, Any]]
    if by == "region":
        expression, areas, base = _region_groups(user, selection)
        found = {r["area"]: r for r in qs.annotate(area=expression).values("area").annotate(**_SUMS)}
        known = {r.path: r for r in areas}
        if base is not None:
            known[base.path] = base
        missing = [path for path in found if path not in known]
        if missing:
            known.update({r.path: r for r in Region.objects.filter(path__in=missing)})
        order = ([base.path] if base is not None else []) + [r.path for r in areas]
        order += sorted(path for path in found if path not in order)
        for path in order:
            if path not in found:
                continue
            region = known.get(path)
            if region is None:
                label, code = path, ""
            elif base is not None and path == base.path:
                label, code = str(OWN_LEVEL % {"region": base.name}), ""
            else:
                label, code = region.name, region.code
            drill = {"region": code} if code else {}
            rows.append(Row(code or path, label, _figures(found[path]), drill))
    elif by == "department":
        found = {r["department_id"]: r for r in qs.values("department_id").annotate(**_SUMS)}
        names = dict(Department.objects.filter(pk__in=found).values_list("pk", "name"))
        for pk, row in sorted(found.items(), key=lambda kv: (names.get(kv[0], ""), kv[0])):
            rows.append(Row(str(pk), names.get(pk, f"#{pk}"), _figures(row), {"department": str(pk)}))
    elif by == "item":
        found = {r["item_id"]: r for r in qs.values("item_id").annotate(**_SUMS)}
        items = {
            pk: (code, name)
            for pk, code, name in Item.objects.filter(pk__in=[k for k in found if k]).values_list(
                "pk", "code", "entry__name"
            )
        }
        for pk, row in sorted(found.items(), key=lambda kv: (kv[0] == 0, items.get(kv[0], ("", ""))[0])):
            if pk == 0:
                rows.append(Row("", str(NO_ITEM), _figures(row), {}))
                continue
            code, name = items.get(pk, (f"#{pk}", f"#{pk}"))
            rows.append(Row(code, f"{name}（{code}）", _figures(row), {"item": code}))
    else:
        found = {
            _month_key(r["m"]): r for r in qs.annotate(m=TruncMonth("day")).values("m").annotate(**_SUMS)
        }
        for month in sorted(found):
            rows.append(
                Row(
                    f"{month:%Y-%m}",
                    f"{month.year}年{month.month}月",
                    _figures(found[month]),
                    {"month": f"{month:%Y-%m}"},
                )
            )
    total = Figures({name: sum(row.figures.measures[name] for row in rows) for name in FACT_MEASURES})
    return Statistics(selection=selection, by=by, rows=rows, total=total)


# --------------------------------------------------------------------------- drill-down


def _between(field_name: str, start: dt.date, end: dt.date) -> Q:
    return Q(
        **{f"{field_name}__gte": start_of(start), f"{field_name}__lt": start_of(end + dt.timedelta(days=1))}
    )


def drill_cases(user: Any, selection: Selection, measure: str) -> QuerySet[Case]:
    """The cases behind a case measure of the selection."""
    qs = _scoped(user, Case.objects.all(), "department__region__path", "department_id")
    qs = _narrowed(
        qs,
        selection,
        region_lookup="department__region__path",
        department_lookup="department_id",
        item_lookup="item_id",
    )
    start, end = selection.start, selection.end
    if measure in ("received", "online"):
        qs = qs.filter(_between("submitted_at", start, end))
        if measure == "online":
            qs = qs.filter(channel=Channel.ONLINE)
    elif measure == "accepted":
        qs = qs.filter(_between("accepted_at", start, end))
    elif measure == "refused":
        qs = qs.filter(_between("closed_at", start, end), state=CaseState.REFUSED)
    else:
        qs = qs.filter(_between("completed_at", start, end)).annotate(completed_on=TruncDate("completed_at"))
        if measure == "on_time":
            qs = qs.filter(due_date__isnull=False, completed_on__lte=F("due_date"))
        elif measure == "early":
            qs = qs.filter(due_date__isnull=False, completed_on__lt=F("due_date"))
        elif measure == "late":
            qs = qs.filter(due_date__isnull=False, completed_on__gt=F("due_date"))
    return qs.select_related("item_version", "department").order_by("submitted_at", "pk")


def drill_alerts(user: Any, selection: Selection, measure: str) -> QuerySet[Alert]:
    qs = _scoped(user, Alert.objects.all(), "department__region__path", "department_id")
    qs = _narrowed(
        qs,
        selection,
        region_lookup="department__region__path",
        department_lookup="department_id",
        item_lookup="case__item_id",
    )
    qs = qs.filter(_between("raised_at", selection.start, selection.end), level=ALERT_MEASURES[measure])
    return qs.select_related("case", "case__item_version", "department", "complaint").order_by(
        "raised_at", "pk"
    )


def drill_complaints(user: Any, selection: Selection, measure: str) -> QuerySet[Complaint]:
    qs = _scoped(user, Complaint.objects.all(), "department__region__path", "department_id")
    qs = _narrowed(
        qs,
        selection,
        region_lookup="department__region__path",
        department_lookup="department_id",
        item_lookup="case__item_id",
    )
    if measure == "complaints":
        qs = qs.filter(_between("received_at", selection.start, selection.end))
    else:
        qs = qs.filter(_between("decided_at", selection.start, selection.end), substantiated=True)
    return qs.select_related("department").order_by("received_at", "pk")


def drill_irregularities(user: Any, selection: Selection) -> list[Irregularity]:
    """The findings counted in the selection: each on the day of the event that made it
    true. A finding is detected after that event, so only those detected since the start
    are read; their events' moments take one more query."""
    qs = _scoped(user, Irregularity.objects.all(), "department__region__path", "department_id")
    qs = _narrowed(
        qs,
        selection,
        region_lookup="department__region__path",
        department_lookup="department_id",
        item_lookup="case__item_id",
    )
    found = list(
        qs.filter(detected_at__gte=start_of(selection.start))
        .select_related("case", "case__item_version", "department")
        .order_by("detected_at", "pk")
    )
    moments = facts._moments(found)
    kept = []
    for finding in found:
        happened = facts._happened(finding, moments) or finding.detected_at
        if selection.start <= timezone.localdate(happened) <= selection.end:
            finding.happened_at = happened  # type: ignore[attr-defined]
            finding.label = irregularity_label(finding.code)  # type: ignore[attr-defined]
            kept.append(finding)
    kept.sort(key=lambda f: (f.happened_at, f.pk))  # type: ignore[attr-defined]
    return kept


def drill_kind(measure: str) -> str:
    if measure in CASE_MEASURES:
        return "cases"
    if measure in ALERT_MEASURES:
        return "alerts"
    if measure in COMPLAINT_MEASURES:
        return "complaints"
    return "irregularities"


def drill(user: Any, selection: Selection, measure: str) -> QuerySet[Any] | list[Any]:
    kind = drill_kind(measure)
    if kind == "cases":
        return drill_cases(user, selection, measure)
    if kind == "alerts":
        return drill_alerts(user, selection, measure)
    if kind == "complaints":
        return drill_complaints(user, selection, measure)
    return drill_irregularities(user, selection)
