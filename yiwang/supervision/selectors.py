"""Reads of the supervision console: cases with their status light, one case as a
supervisor sees it, alerts, findings, notices and the big screen's figures.

Everything is scoped through ``yiwang.org.permissions.visible``: supervisors and leaders
see the cases of their scope; the staff of a department also see the alerts and notices
addressed to their own department. A case's light is computed in SQL (``Exists`` over
its alerts), so a page of cases, the counts per light and the big screen's figures each
take one query, whatever the number of cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from yiwang.cases.models import Case, CaseEvent, CaseState, EventType
from yiwang.cases.selectors import event_details
from yiwang.cases.services import APPLICANT_ROLE, PARALLEL_ROLE
from yiwang.cases.workflow import Deadlines, Template, deadlines, fold
from yiwang.org.models import Department, Region, Role
from yiwang.org.permissions import can_act, scope_of, staff_of, visible
from yiwang.supervision.detectors import DetectorCode, Severity
from yiwang.supervision.models import (
    Alert,
    AlertStatus,
    Irregularity,
    Level,
    Notice,
    NoticeKind,
)
from yiwang.supervision.rules import start_of

WATCH_ROLES: tuple[Role, ...] = (Role.SUPERVISOR, Role.LEADER)
TREND_DAYS = 30
# Cases still running: the light is their highest alert (or the stopped clock).
RUNNING_STATES = (
    CaseState.SUBMITTED,
    CaseState.SUPPLEMENT,
    CaseState.IN_PROGRESS,
    CaseState.SUSPENDED,
    CaseState.DECIDED,
)
ENDED_STATES = (CaseState.REFUSED, CaseState.WITHDRAWN, CaseState.TRANSFERRED)


class Light(models.TextChoices):
    """The status light of a case on the console, the most serious first."""

    RED = "red", pgettext_lazy("status light", "red card")
    YELLOW = "yellow", pgettext_lazy("status light", "yellow card")
    WARNING = "warning", pgettext_lazy("status light", "warning")
    SUSPENDED = "suspended", pgettext_lazy("status light", "clock stopped")
    NORMAL = "normal", pgettext_lazy("status light", "normal")
    LATE = "late", pgettext_lazy("status light", "completed late")
    ON_TIME = "on_time", pgettext_lazy("status light", "completed on time")
    ENDED = "ended", pgettext_lazy("status light", "closed without a result")


RUNNING_LIGHTS = (Light.RED, Light.YELLOW, Light.WARNING, Light.SUSPENDED, Light.NORMAL)
LIGHT_RANK = {light: i for i, light in enumerate(Light)}


# --------------------------------------------------------------------------- scope


def watches(user: Any) -> bool:
    """Whether the user supervises or leads anywhere (or is a superuser)."""
    return scope_of(user).has_role(*WATCH_ROLES)


def _own_department_id(user: Any) -> int | None:
    staff = staff_of(user)
    if staff is None or not staff.is_active:
        return None
    return staff.department_id


def may_use_alerts(user: Any) -> bool:
    return watches(user) or _own_department_id(user) is not None


def _watched_or_own(user: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Rows in the user's supervisor/leader scope, plus those addressed to their own department."""
    watched = visible(user, queryset, roles=WATCH_ROLES)
    department_id = _own_department_id(user)
    if department_id is None:
        return watched
    return watched | queryset.filter(department_id=department_id)


def scope_title(user: Any) -> str:
    """The regions a supervisor or leader watches, named (the big screen's title); for a
    department-only scope, the user's department."""
    scope = scope_of(user)
    if scope.is_superuser:
        return _("All regions")
    paths = {g.region_path for g in scope.grants_for(WATCH_ROLES) if g.region_path}
    names = list(Region.objects.filter(path__in=paths).order_by("path").values_list("name", flat=True))
    if not names:
        staff = staff_of(user)
        names = [staff.department.name] if staff is not None else []
    return "、".join(names)


def regions_in_scope(user: Any) -> QuerySet[Region]:
    return visible(user, Region.objects.all(), roles=WATCH_ROLES).order_by("path")


def departments_in_scope(user: Any, *, own: bool = False) -> QuerySet[Department]:
    """The departments a list may be narrowed to (with ``own``: plus the user's own)."""
    departments = visible(user, Department.objects.filter(is_active=True), roles=WATCH_ROLES)
    department_id = _own_department_id(user) if own else None
    if department_id is not None:
        departments = departments | Department.objects.filter(pk=department_id)
    return departments.order_by("region__path", "name")


# --------------------------------------------------------------------------- the light


def _has_alert(level: str) -> Exists:
    return Exists(Alert.objects.filter(case_id=OuterRef("pk"), level=level))


def light_expression() -> SqlCase:
    """SQL for a case's light. A completed case is late when the local date of its
    completion is after its due date; a running case shows its highest alert, else a
    stopped clock, else normal."""
    completed_late = GreaterThan(TruncDate("completed_at"), F("due_date"))
    return SqlCase(
        When(
            completed_at__isnull=False,
            then=SqlCase(
                When(completed_late, then=Value(Light.LATE.value)), default=Value(Light.ON_TIME.value)
            ),
        ),
        When(state__in=ENDED_STATES, then=Value(Light.ENDED.value)),
        When(_has_alert(Level.RED), then=Value(Light.RED.value)),
        When(_has_alert(Level.YELLOW), then=Value(Light.YELLOW.value)),
        When(_has_alert(Level.WARNING), then=Value(Light.WARNING.value)),
        When(clock_stopped=True, then=Value(Light.SUSPENDED.value)),
        default=Value(Light.NORMAL.value),
        output_field=CharField(),
    )


def _light_rank() -> SqlCase:
    return SqlCase(
        *[
            When(Exact(F("light"), Value(light.value)), then=Value(rank))
            for light, rank in LIGHT_RANK.items()
        ],
        output_field=IntegerField(),
    )


def cases_in_scope(user: Any) -> QuerySet[Case]:
    """Every case the user supervises or leads, with its light."""
    return visible(user, Case.objects.all(), roles=WATCH_ROLES).annotate(light=light_expression())


def console_order(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """The most serious light first, then the newest."""
    return (
        queryset.select_related("item_version", "department", "region")
        .annotate(light_rank=_light_rank())
        .order_by("light_rank", "-submitted_at", "-number")
    )


@dataclass(frozen=True)
class LightCount:
    light: Light
    count: int

    @property
    def key(self) -> str:
        return self.light.value

    @property
    def label(self) -> str:
        return str(self.light.label)


def light_counts(queryset: QuerySet[Any], lights: Iterable[Light] = tuple(Light)) -> list[LightCount]:
    """How many cases of ``queryset`` (annotated with ``light``) show each light: one
    COUNT … GROUP BY."""
    found = {
        row["light"]: row["n"]
        for row in queryset.order_by().values("light").annotate(n=Count("pk")).values("light", "n")
    }
    return [LightCount(light, found.get(light.value, 0)) for light in lights]


# --------------------------------------------------------------------------- one case


ROLE_LABELS: dict[str, Any] = {
    **dict(Role.choices),
    APPLICANT_ROLE: pgettext_lazy("event role", "applicant"),
    PARALLEL_ROLE: pgettext_lazy("event role", "parallel approval"),
}
ACTION_LABELS: dict[str, Any] = {
    "raised": pgettext_lazy("alert action", "raised"),
    "notified": pgettext_lazy("alert action", "people told"),
    "explained": pgettext_lazy("alert action", "explanation submitted"),
    "accept": pgettext_lazy("alert action", "explanation accepted"),
    "reject": pgettext_lazy("alert action", "explanation rejected"),
    "escalate": pgettext_lazy("alert action", "escalated"),
}


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def irregularity_label(code: str) -> str:
    return _label(DetectorCode, code)


def severity_label(severity: str) -> str:
    return _label(Severity, severity)


@dataclass(frozen=True)
class TimelineEntry:
    event: CaseEvent
    role: str
    details: list[tuple[str, str]]
    findings: list[Irregularity]
    notice: Notice | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    @property
    def who(self) -> str:
        """The person, else their role (the applicant online), else the system itself."""
        if self.event.actor_name:
            return f"{self.event.actor_name} · {self.role}" if self.role else self.event.actor_name
        return self.role or _("the system")


@dataclass(frozen=True)
class FindingRow:
    finding: Irregularity
    label: str
    severity: str


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    light: Light
    template: Template
    deadlines: Deadlines
    timeline: list[TimelineEntry]
    alerts: list[Alert]
    findings: list[FindingRow]
    notices: list[Notice]
    can_issue: bool
    current_step: str = ""

    @property
    def days_over(self) -> int:
        """Days past the limit (0 when within it)."""
        left = self.deadlines.left
        return -left if left is not None and left < 0 else 0


def case_for(user: Any, number: str) -> Case | None:
    """The case with this number if the user supervises or leads its scope, else None."""
    return (
        cases_in_scope(user)
        .select_related("item_version", "item", "department", "region")
        .filter(number=number)
        .first()
    )


def case_detail(user: Any, case: Case, today: dt.date | None = None) -> CaseDetail:
    """The case as its supervisor sees it: the ledger (notice events included), live
    deadlines, alerts, findings with the events that prove them, and notices."""
    today = today or timezone.localdate()
    template = Template.from_version(case.item_version)
    events = list(case.events.select_related("department").order_by("seq"))
    view = fold(events, template)
    try:
        dates = deadlines(view, template, at=today if case.is_open else None)
    except NotImplementedError:  # a year the working-day calendar does not cover yet
        dates = deadlines(view, template)
    findings = list(case.irregularities.order_by("detected_at", "pk"))
    by_seq: dict[int, list[Irregularity]] = {}
    for finding in findings:
        for seq in finding.event_seqs or []:
            by_seq.setdefault(int(seq), []).append(finding)
    notices = list(case.notices.select_related("alert").order_by("issued_at", "pk"))
    by_number = {n.number: n for n in notices}
    timeline = []
    for event in events:
        notice = None
        if event.type == EventType.NOTICE:
            payload = event.payload or {}
            notice = by_number.get(str(payload.get("number", "")))
            details = [
                (pgettext("supervision", "Notice"), _label(NoticeKind, str(payload.get("kind", "")))),
                (pgettext("supervision", "Number"), str(payload.get("number", ""))),
            ]
        else:
            details = event_details(event, template)
        timeline.append(
            TimelineEntry(
                event=event,
                role=str(ROLE_LABELS.get(event.role, event.role)),
                details=details,
                findings=by_seq.get(event.seq, []),
                notice=notice,
            )
        )
    step = ""
    if view.step_index is not None and template.middle and case.is_open:
        step = template.middle[view.step_index].name
    light = Light(getattr(case, "light", Light.NORMAL))
    return CaseDetail(
        case=case,
        light=light,
        template=template,
        deadlines=dates,
        timeline=timeline,
        alerts=list(case.alerts.order_by("raised_at", "pk")),
        findings=[FindingRow(f, irregularity_label(f.code), severity_label(f.severity)) for f in findings],
        notices=notices,
        can_issue=can_act(user, case, Role.SUPERVISOR),
        current_step=step,
    )


# --------------------------------------------------------------------------- alerts


def alerts_for(user: Any) -> QuerySet[Alert]:
    """The alerts a user may read: in their supervisor or leader scope, plus their own
    department's, newest first."""
    return _watched_or_own(user, Alert.objects.all()).order_by("-raised_at", "-pk")


def alert_list(user: Any) -> QuerySet[Alert]:
    return alerts_for(user).select_related("case", "case__item_version", "department", "complaint")


def alert_for(user: Any, pk: int) -> Alert | None:
    return (
        alerts_for(user)
        .select_related(
            "case",
            "case__item_version",
            "case__region",
            "complaint__department",
            "department",
            "explained_by__staff",
            "resolved_by__staff",
            "rule_version__rule_set",
        )
        .filter(pk=pk)
        .first()
    )


def may_explain(user: Any, alert: Alert) -> bool:
    """Whether the page offers the explanation form (the service decides for good)."""
    if alert.status not in (AlertStatus.RAISED, AlertStatus.REJECTED):
        return False
    department_id = _own_department_id(user)
    if department_id is None:
        return False
    return department_id == alert.department_id or can_act(user, alert, Role.LEADER)


def may_conclude(user: Any, alert: Alert) -> bool:
    if alert.status in (AlertStatus.ACCEPTED, AlertStatus.ESCALATED):
        return False
    return can_act(user, alert, Role.SUPERVISOR)


@dataclass(frozen=True)
class HistoryLine:
    """One line of a history (an alert's or a talk's), in words for people."""

    entry: models.Model  # a supervision.models.HistoryEntry row: action, actor, at, note
    label: str
    who: str
    note: str


def history(rows: QuerySet[Any], labels: Mapping[str, Any]) -> list[HistoryLine]:
    """The lines of an append-only history (``AlertAction`` or ``TalkEvent`` rows), oldest
    first, with each action named through ``labels``."""
    lines = []
    for row in rows.select_related("actor__staff").order_by("at", "pk"):
        note = row.note
        if row.action == "notified" and note.isdigit():
            note = ngettext("%(n)d person was told.", "%(n)d people were told.", int(note)) % {"n": int(note)}
        lines.append(HistoryLine(row, str(labels.get(row.action, row.action)), person(row.actor), note))
    return lines


def alert_history(alert: Alert) -> list[HistoryLine]:
    """What happened to an alert, in order, for people."""
    return history(alert.actions.all(), ACTION_LABELS)


def person(user: Any) -> str:
    """How a person is named in a history: their staff name, else the account name."""
    if user is None:
        return _("the system")
    staff = getattr(user, "staff", None)
    return staff.name if staff is not None else user.get_username()


# --------------------------------------------------------------------------- notices, findings


def notices_for(user: Any) -> QuerySet[Notice]:
    return _watched_or_own(user, Notice.objects.all())


def irregularities_for(user: Any) -> QuerySet[Irregularity]:
    return (
        visible(user, Irregularity.objects.all(), roles=WATCH_ROLES)
        .select_related("case", "case__item_version", "department")
        .order_by("-detected_at", "-pk")
    )


# --------------------------------------------------------------------------- the big screen


def _days(today: dt.date) -> list[dt.date]:
    return [today - dt.timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)]


def _by_day(queryset: QuerySet[Any], field_name: str, since: dt.datetime) -> dict[dt.date, int]:
    rows = (
        queryset.filter(**{f"{field_name}__gte": since})
        .order_by()
        .annotate(day=TruncDate(field_name))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return dict(rows)


def screen(user: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """The big screen's figures, each from one aggregate query over the user's scope:
    running cases by light and completions of the last 30 days on time or late, running
    cases by department and light, today's intake and completions, and 30 days of
    intake, completions and cards."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = _days(today)
    since = start_of(days[0])
    today_start = start_of(today)
    scoped = visible(user, Case.objects.all(), roles=WATCH_ROLES)
    current = scoped.filter(
        Q(completed_at__isnull=True, state__in=RUNNING_STATES) | Q(completed_at__gte=since)
    ).annotate(light=light_expression())
    lights = light_counts(current, (*RUNNING_LIGHTS, Light.LATE, Light.ON_TIME))

    per_department: dict[int, dict[str, Any]] = {}
    rows = (
        scoped.filter(completed_at__isnull=True, state__in=RUNNING_STATES)
        .annotate(light=light_expression())
        .order_by()
        .values("department_id", "department__short_name", "department__name", "light")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        entry = per_department.setdefault(
            row["department_id"],
            {"name": row["department__short_name"] or row["department__name"], "lights": {}},
        )
        entry["lights"][row["light"]] = row["n"]
    departments = sorted(per_department.values(), key=lambda d: (-sum(d["lights"].values()), d["name"]))

    today_counts = scoped.filter(
        Q(submitted_at__gte=today_start) | Q(completed_at__gte=today_start)
    ).aggregate(
        intake=Count("pk", filter=Q(submitted_at__gte=today_start)),
        completed=Count("pk", filter=Q(completed_at__gte=today_start)),
    )
    intake = _by_day(scoped, "submitted_at", since)
    completed = _by_day(scoped, "completed_at", since)
    cards: dict[tuple[dt.date, str], int] = {}
    alert_rows = (
        visible(user, Alert.objects.all(), roles=WATCH_ROLES)
        .filter(raised_at__gte=since, level__in=[Level.YELLOW, Level.RED])
        .order_by()
        .annotate(day=TruncDate("raised_at"))
        .values("day", "level")
        .annotate(n=Count("pk"))
        .values_list("day", "level", "n")
    )
    for day, level, n in alert_rows:
        cards[(day, level)] = n
    return {
        "as_of": timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S"),
        "lights": [{"key": c.key, "label": c.label, "count": c.count} for c in lights],
        "running": sum(c.count for c in lights if c.light in RUNNING_LIGHTS),
        "departments": {
            "names": [d["name"] for d in departments],
            "series": [
                {
                    "key": light.value,
                    "label": str(light.label),
                    "data": [d["lights"].get(light.value, 0) for d in departments],
                }
                for light in RUNNING_LIGHTS
            ],
        },
        "today": {"intake": today_counts["intake"], "completed": today_counts["completed"]},
        "trend": {
            "days": [d.strftime("%m-%d") for d in days],
            "series": [
                {
                    "key": "intake",
                    "label": pgettext("screen", "intake"),
                    "data": [intake.get(d, 0) for d in days],
                },
                {
                    "key": "completed",
                    "label": pgettext("screen", "completed"),
                    "data": [completed.get(d, 0) for d in days],
                },
                {
                    "key": "yellow",
                    "label": pgettext("screen", "yellow cards"),
                    "data": [cards.get((d, Level.YELLOW.value), 0) for d in days],
                },
                {
                    "key": "red",
                    "label": pgettext("screen", "red cards"),
                    "data": [cards.get((d, Level.RED.value), 0) for d in days],
                },
            ],
        },
    }
