"""Statistics of the efficiency complaints (效能投诉) for supervisors and leaders: for a
period of receipt, the complaints of the viewer's scope counted by category, by the
department complained about, by outcome and by mode; the working days from receipt to
handling; the shares handled and fed back on time; recurring problems; measures taken.

Every figure is one aggregate query (or one narrow row read for the working-day sums),
so the number of queries does not grow with the number of complaints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.core import calendar
from yiwang.org.models import Role
from yiwang.org.permissions import scope_of, visible
from yiwang.supervision.models import (
    Complaint,
    ComplaintCategory,
    ComplaintMeasure,
    ComplaintMode,
    ComplaintStatus,
    MeasureKind,
)
from yiwang.supervision.rules import start_of

OPEN = (
    ComplaintStatus.REGISTERED,
    ComplaintStatus.HANDLING,
    ComplaintStatus.PROPOSED,
    ComplaintStatus.CONSENTED,
)
DONE = (ComplaintStatus.HANDLED, ComplaintStatus.ARCHIVED)
REPEATS_SHOWN = 50

# Outcomes, in the order of the tables and the chart's stacks.
OUTCOMES: tuple[tuple[str, Any], ...] = (
    ("substantiated", pgettext_lazy("complaint outcome", "substantiated")),
    ("not_substantiated", pgettext_lazy("complaint outcome", "not substantiated")),
    ("answered", pgettext_lazy("complaint outcome", "answered without investigation")),
    ("open", pgettext_lazy("complaint outcome", "open")),
)
_HANDLED = Q(status__in=DONE, handled_at__isnull=False)
_OUTCOME_Q: dict[str, Q] = {
    "substantiated": _HANDLED & Q(substantiated=True),
    "not_substantiated": _HANDLED & ~Q(substantiated=True),
    "answered": Q(status__in=(ComplaintStatus.CLOSED, ComplaintStatus.ARCHIVED), handled_at__isnull=True),
    "open": Q(status__in=OPEN),
}


def may_see_statistics(user: Any) -> bool:
    return scope_of(user).has_role(Role.SUPERVISOR, Role.LEADER)


def complaints_in_scope(user: Any) -> QuerySet[Complaint]:
    """The complaints a supervisor or leader oversees (not those merely transferred to a
    unit the user works for)."""
    return visible(user, Complaint.objects.all(), roles=(Role.SUPERVISOR, Role.LEADER))


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    n: int


@dataclass(frozen=True)
class DepartmentRow:
    department_id: int
    name: str
    total: int
    outcomes: dict[str, int]

    @property
    def outcome_list(self) -> list[int]:
        return [self.outcomes[key] for key, _label in OUTCOMES]


@dataclass(frozen=True)
class Share:
    n: int
    of: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.n / self.of, 1) if self.of else None


@dataclass(frozen=True)
class Recurring:
    department_id: int
    department: str
    category: str
    category_label: str
    n: int


@dataclass(frozen=True)
class RepeatRow:
    pk: int
    number: str
    received_at: dt.datetime
    department: str
    repeat_of_pk: int
    repeat_of_number: str


@dataclass
class ComplaintStatistics:
    start: dt.date
    end: dt.date
    total: int = 0
    by_category: list[Tally] = field(default_factory=list)
    by_department: list[DepartmentRow] = field(default_factory=list)
    by_outcome: list[Tally] = field(default_factory=list)
    by_mode: list[Tally] = field(default_factory=list)
    handled: int = 0
    average_workdays: float | None = None
    max_workdays: int | None = None
    handled_on_time: Share = Share(0, 0)
    feedback_on_time: Share = Share(0, 0)
    recurring: list[Recurring] = field(default_factory=list)
    repeats: list[RepeatRow] = field(default_factory=list)
    repeat_count: int = 0
    measures: list[Tally] = field(default_factory=list)

    def chart(self) -> dict[str, Any]:
        """The data of the bar chart of departments (stacked by outcome)."""
        return {
            "departments": [row.name for row in self.by_department],
            "series": [
                {"key": key, "name": str(label), "data": [row.outcomes[key] for row in self.by_department]}
                for key, label in OUTCOMES
            ],
        }


def _label(choices: Iterable[tuple[str, Any]], value: str, empty: Any = "") -> str:
    return str(dict(choices).get(value, empty or value))


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def in_period(queryset: QuerySet[Complaint], start: dt.date, end: dt.date) -> QuerySet[Complaint]:
    """Complaints received from ``start`` to ``end``, both whole local days."""
    return queryset.filter(
        received_at__gte=start_of(start), received_at__lt=start_of(end + dt.timedelta(days=1))
    )


def statistics(
    user: Any, start: dt.date, end: dt.date, *, today: dt.date | None = None
) -> ComplaintStatistics:
    today = today or timezone.localdate()
    scope = complaints_in_scope(user)
    qs = in_period(scope, start, end).order_by()
    stats = ComplaintStatistics(start=start, end=end)

    # By department, with the outcome split (one query); the totals by outcome follow.
    outcome_counts = {f"outcome_{key}": Count("pk", filter=q) for key, q in _OUTCOME_Q.items()}
    rows = (
        qs.values("department_id", "department__name", "department__short_name")
        .annotate(total=Count("pk"), **outcome_counts)
        .order_by("-total", "department__name")
    )
    for values in rows:
        row: dict[str, Any] = dict(values)  # the outcome counts are named at run time
        stats.by_department.append(
            DepartmentRow(
                department_id=row["department_id"],
                name=row["department__short_name"] or row["department__name"],
                total=row["total"],
                outcomes={key: row[f"outcome_{key}"] for key, _label in OUTCOMES},
            )
        )
    stats.total = sum(r.total for r in stats.by_department)
    stats.by_outcome = [
        Tally(key, str(label), sum(r.outcomes[key] for r in stats.by_department)) for key, label in OUTCOMES
    ]

    stats.by_category = [
        Tally(row["category"], _label(ComplaintCategory.choices, row["category"]), row["n"])
        for row in qs.values("category").annotate(n=Count("pk")).order_by("-n", "category")
    ]
    not_accepted = pgettext_lazy("complaint mode", "not taken up yet, or answered at once")
    stats.by_mode = [
        Tally(row["mode"] or "none", _label(ComplaintMode.choices, row["mode"], not_accepted), row["n"])
        for row in qs.values("mode").annotate(n=Count("pk")).order_by("-n", "mode")
    ]

    # Working days from receipt to handling, and deadlines met: one narrow read.
    durations: list[int] = []
    handled_on_time = handled_due = feedback_on_time = feedback_due = 0
    for received_at, handled_at, handling_due, feedback_at, fb_due, status in qs.filter(
        accepted_on__isnull=False
    ).values_list("received_at", "handled_at", "handling_due", "feedback_at", "feedback_due", "status"):
        handled_on = _local_day(handled_at) if handled_at is not None and status in DONE else None
        if handled_on is not None:
            durations.append(calendar.workdays_between(_local_day(received_at), handled_on))
        if handling_due is not None and (handled_on is not None or handling_due < today):
            handled_due += 1
            if handled_on is not None and handled_on <= handling_due:
                handled_on_time += 1
        if fb_due is not None and (feedback_at is not None or fb_due < today):
            feedback_due += 1
            if feedback_at is not None and _local_day(feedback_at) <= fb_due:
                feedback_on_time += 1
    stats.handled = len(durations)
    if durations:
        stats.average_workdays = round(sum(durations) / len(durations), 1)
        stats.max_workdays = max(durations)
    stats.handled_on_time = Share(handled_on_time, handled_due)
    stats.feedback_on_time = Share(feedback_on_time, feedback_due)

    # Recurring problems: the same department and category twice or more; repeats.
    stats.recurring = [
        Recurring(
            row["department_id"],
            row["department__short_name"] or row["department__name"],
            row["category"],
            _label(ComplaintCategory.choices, row["category"]),
            row["n"],
        )
        for row in qs.values("department_id", "department__name", "department__short_name", "category")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .order_by("-n", "department__name", "category")
    ]
    repeats = qs.filter(repeat_of__isnull=False)
    stats.repeats = [
        RepeatRow(
            row["pk"],
            row["number"],
            row["received_at"],
            row["department__short_name"] or row["department__name"],
            row["repeat_of_id"],
            row["repeat_of__number"],
        )
        for row in repeats.order_by("-received_at", "-pk").values(
            "pk",
            "number",
            "received_at",
            "department__name",
            "department__short_name",
            "repeat_of_id",
            "repeat_of__number",
        )[:REPEATS_SHOWN]
    ]
    stats.repeat_count = len(stats.repeats) if len(stats.repeats) < REPEATS_SHOWN else repeats.count()

    # Measures decided in the period on complaints of the scope.
    measures = ComplaintMeasure.objects.filter(
        complaint__in=scope.values("pk"),
        decided_at__gte=start_of(start),
        decided_at__lt=start_of(end + dt.timedelta(days=1)),
    )
    stats.measures = [
        Tally(row["kind"], _label(MeasureKind.choices, row["kind"]), row["n"])
        for row in measures.values("kind").annotate(n=Count("pk")).order_by("-n", "kind")
    ]
    return stats


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This month, to today."""
    today = today or timezone.localdate()
    return today.replace(day=1), today


PERIOD_ERRORS = {
    "reversed": _("The end of the period is before its start."),
    "future": _("The period cannot start in the future."),
}
