"""The daily facts (``DailyFact``): what happens, turned into counts per day, department,
item, window and staff member; kept as things happen and rebuildable from the ledger.

Three layers:

1. **Attribution**, pure: one function per source turns a case event (with the case's
   folded view after it), an alert, an irregularity finding, an efficiency complaint or
   a rating into ``Increment`` rows. The incremental upkeep and the rebuild call the same
   functions, so they cannot disagree.
2. **Writing**: ``apply_increments`` merges increments of the same key and adds them
   with one ``INSERT … ON CONFLICT … DO UPDATE`` per batch (SQLite ≥ 3.24, PostgreSQL),
   safe when two workers add to the same row at once.
3. **Upkeep and rebuild**: ``on_case_event`` (from the ledger's ``event_recorded``
   signal, so an event is counted once, when it is appended; ``case_rebuild`` re-projects
   a case without sending it and re-counts nothing), ``on_alerts``, ``on_findings``,
   ``on_complaint_registered`` and ``on_complaint_decided`` (called where those are
   written), ``on_rating`` (when a portal rating is saved); ``rebuild(start, end)``
   deletes the facts of those days and recomputes them.

Attribution rules (the day is always the local date, Asia/Shanghai, of the moment named):

- ``apply`` → ``received`` (+ ``online`` for the online channel), day of ``occurred_at``.
- ``accept`` → ``accepted``; ``refuse`` → ``refused``.
- ``supplement_request`` → ``supplements``, and ``repeat_supplements`` when the case had
  one before (a second notice means the first was not a complete one-time notice).
- ``suspend`` → ``suspensions``.
- ``complete`` → ``completed``; against the promised due date from
  ``workflow.deadlines`` (stopped time and extensions included): ``early`` when completed
  on a day before the due date, ``on_time`` when not after it (so early cases are on time
  too, and ``on_time + late = completed``), ``late`` when after it. ``workdays_used`` is
  ``Deadlines.used``: the days the case's clock ran from acceptance (the day itself not
  counted) to completion, less the days stopped by supplements after acceptance and by
  special procedures, in the item's limit unit (working days but for the rare
  natural-day item), so it compares like with like against ``promised_days`` (the
  promised limit plus approved extensions). ``statutory_days`` is the item version's
  statutory limit (0 where the law sets none).
- Every case event is credited to the staff member who recorded it (the event's actor):
  the window operator who filed or accepted, the approver who completed, and so on; an
  application filed online by the applicant has staff 0. The window is that staff
  member's window (``Staff.window``), 0 if none. The ledger does not record the window,
  so the rebuild uses the staff member's window at rebuild time: after someone moves to
  another window, a rebuild credits their past events to the new one.
- Department and item are the case's; ``region_path`` is the department's region path.
- An alert counts as ``warnings``, ``yellow_cards`` or ``red_cards`` by level, on the day
  it was raised, for the alert's department (the one answering for the deadline), the
  case's item (0 for a complaint's alert), no staff member.
- An irregularity counts once, on the day of the event that made it true (the greatest of
  its ``event_seqs``; a detector may find it later, e.g. in a sweep), for its case's
  department and item, no staff member.
- An efficiency complaint counts in ``complaints`` on the day it was received, for the
  department complained about, the staff member complained about (and their window) and
  the case's item if it names one; in ``complaints_substantiated`` on the day the
  handling was decided (``decided_at``) when it was found substantiated.
- A rating (``yiwang.portal``'s ``Rating``) counts in ``ratings`` on the day it was given
  (``rated_at``), for the case's department and item, and in ``ratings_satisfied`` or
  ``ratings_poor`` as the scale in force then said (the rating stores both). It is
  credited to the staff member who ended the service rated (the actor of the case's
  ``complete`` event, or of its ``refuse`` event for a refusal; 0 if none was staff) and
  their window, so the window and staff scores carry satisfaction too. A rating is never
  changed or withdrawn: ``on_rating`` counts it once, when it is saved (the receiver of
  ``post_save`` below, inside the rating's transaction).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases.models import SUPERVISION_EVENTS, Case, CaseEvent, Channel, EventType
from yiwang.cases.workflow import EMPTY, CaseView, Template, TransitionError, apply_event, deadlines
from yiwang.catalog.models import ItemVersion
from yiwang.org.models import Department, Staff
from yiwang.portal.models.ratings import Rating
from yiwang.supervision.models import FACT_MEASURES, Alert, Complaint, DailyFact, Irregularity, Level

BATCH_ROWS = 500  # fact rows per INSERT
REBUILD_CASES = 500  # cases whose events are read and folded per query
REBUILD_ROWS = 2000  # alerts, findings or complaints read per query

LEVEL_MEASURE = {Level.WARNING: "warnings", Level.YELLOW: "yellow_cards", Level.RED: "red_cards"}
# The case events that end the service a rating judges, and so name who is credited.
SERVICE_END_EVENTS = (EventType.COMPLETE, EventType.REFUSE)


class Increment(NamedTuple):
    """What to add to one fact row."""

    day: dt.date
    department_id: int
    region_path: str
    item_id: int
    window_id: int
    staff_id: int
    measures: Mapping[str, int]

    @property
    def key(self) -> tuple[dt.date, int, int, int, int]:
        return (self.day, self.department_id, self.item_id, self.window_id, self.staff_id)


class StaffRef(NamedTuple):
    staff_id: int
    window_id: int  # 0: not at a window


class CaseLike(Protocol):
    @property
    def department_id(self) -> int: ...

    @property
    def item_id(self) -> int: ...

    @property
    def channel(self) -> str: ...


class EventLike(Protocol):
    type: str
    occurred_at: dt.datetime
    payload: Any
    actor_id: int | None


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


# --------------------------------------------------------------------------- attribution (pure)


def case_event_increments(
    *,
    case: CaseLike,
    event: EventLike,
    view: CaseView,
    template: Template,
    region_path: str,
    staff: StaffRef | None,
    statutory_days: int = 0,
) -> list[Increment]:
    """The increments of one case event; ``view`` is the case's folded view after it,
    ``staff`` the actor's staff record (None for the applicant or the system)."""
    t = event.type
    measures: dict[str, int] = {}
    if t == EventType.APPLY:
        measures["received"] = 1
        if case.channel == Channel.ONLINE:
            measures["online"] = 1
    elif t == EventType.ACCEPT:
        measures["accepted"] = 1
    elif t == EventType.REFUSE:
        measures["refused"] = 1
    elif t == EventType.SUPPLEMENT_REQUEST:
        measures["supplements"] = 1
        if view.supplement_requests > 1:
            measures["repeat_supplements"] = 1
    elif t == EventType.SUSPEND:
        measures["suspensions"] = 1
    elif t == EventType.COMPLETE:
        d = deadlines(view, template)
        completed_on = _day(event.occurred_at)
        measures["completed"] = 1
        if d.due_date is not None:
            if completed_on < d.due_date:
                measures["early"] = 1
            if completed_on <= d.due_date:
                measures["on_time"] = 1
            else:
                measures["late"] = 1
        measures["workdays_used"] = d.used or 0
        measures["promised_days"] = d.limit
        measures["statutory_days"] = statutory_days
    if not measures:
        return []
    return [
        Increment(
            day=_day(event.occurred_at),
            department_id=case.department_id,
            region_path=region_path,
            item_id=case.item_id,
            window_id=staff.window_id if staff else 0,
            staff_id=staff.staff_id if staff else 0,
            measures=measures,
        )
    ]


def alert_increments(alert: Alert, *, region_path: str, item_id: int) -> list[Increment]:
    """A warning or card, on the day it was raised, for the department answering for it."""
    measure = LEVEL_MEASURE.get(alert.level)  # type: ignore[call-overload]
    if measure is None:
        return []
    return [Increment(_day(alert.raised_at), alert.department_id, region_path, item_id, 0, 0, {measure: 1})]


def irregularity_increments(
    finding: Irregularity, *, region_path: str, item_id: int, happened_at: dt.datetime | None
) -> list[Increment]:
    """A finding, on the day of the event that made it true (``happened_at``: the moment
    of the greatest of its ``event_seqs``), else on the day it was detected."""
    return [
        Increment(
            _day(happened_at or finding.detected_at),
            finding.department_id,
            region_path,
            item_id,
            0,
            0,
            {"irregularities": 1},
        )
    ]


def complaint_received_increments(
    complaint: Complaint, *, region_path: str, item_id: int, staff: StaffRef | None
) -> list[Increment]:
    return [
        Increment(
            _day(complaint.received_at),
            complaint.department_id,
            region_path,
            item_id,
            staff.window_id if staff else 0,
            staff.staff_id if staff else 0,
            {"complaints": 1},
        )
    ]


def complaint_decided_increments(
    complaint: Complaint, *, region_path: str, item_id: int, staff: StaffRef | None
) -> list[Increment]:
    if complaint.decided_at is None or complaint.substantiated is not True:
        return []
    return [
        Increment(
            _day(complaint.decided_at),
            complaint.department_id,
            region_path,
            item_id,
            staff.window_id if staff else 0,
            staff.staff_id if staff else 0,
            {"complaints_substantiated": 1},
        )
    ]


def rating_increments(
    rating: Rating, *, region_path: str, item_id: int, staff: StaffRef | None
) -> list[Increment]:
    """A rating, on the day it was given, for the case's department and item and the staff
    member who ended the service (``staff``)."""
    measures = {"ratings": 1}
    if rating.is_satisfied:
        measures["ratings_satisfied"] = 1
    if rating.is_poor:
        measures["ratings_poor"] = 1
    return [
        Increment(
            _day(rating.rated_at),
            rating.department_id,
            region_path,
            item_id,
            staff.window_id if staff else 0,
            staff.staff_id if staff else 0,
            measures,
        )
    ]


# --------------------------------------------------------------------------- writing


def merge(increments: Iterable[Increment]) -> dict[tuple[dt.date, int, int, int, int], Increment]:
    """Increments of the same key added together (the first one's region path kept)."""
    merged: dict[tuple[dt.date, int, int, int, int], tuple[str, dict[str, int]]] = {}
    for inc in increments:
        _path, sums = merged.setdefault(inc.key, (inc.region_path, {}))
        for name, n in inc.measures.items():
            if name not in FACT_MEASURES:
                raise ValueError(f"unknown fact measure {name!r}")
            sums[name] = sums.get(name, 0) + n
    return {
        key: Increment(key[0], key[1], path, key[2], key[3], key[4], sums)
        for key, (path, sums) in merged.items()
    }


def _column(name: str) -> str:
    column: str | None = DailyFact._meta.get_field(name).column  # type: ignore[union-attr]
    return column or name  # every concrete field has a column


def _columns() -> tuple[list[str], list[str]]:
    keys = [_column(name) for name in ("day", "department", "item_id", "window_id", "staff_id")]
    return keys, [_column(name) for name in FACT_MEASURES]


def apply_increments(increments: Iterable[Increment]) -> int:
    """Add the increments to the fact table; returns the number of rows touched. Keys are
    written in sorted order so that concurrent writers lock rows in the same order."""
    merged = merge(increments)
    if not merged:
        return 0
    keys, measures = _columns()
    q = connection.ops.quote_name
    table = q(DailyFact._meta.db_table)
    path_col = _column("region_path")
    insert_cols = [keys[0], keys[1], path_col, *keys[2:], *measures]
    per_row = len(insert_cols)
    max_params = connection.features.max_query_params or 65535
    batch = max(1, min(BATCH_ROWS, max_params // per_row))
    row_sql = "(" + ", ".join(["%s"] * per_row) + ")"
    head = f"INSERT INTO {table} ({', '.join(q(c) for c in insert_cols)}) VALUES "  # noqa: S608
    tail = f" ON CONFLICT ({', '.join(q(c) for c in keys)}) DO UPDATE SET " + ", ".join(
        f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in measures
    )
    rows = [merged[key] for key in sorted(merged)]
    with connection.cursor() as cursor:
        for i in range(0, len(rows), batch):
            chunk = rows[i : i + batch]
            params: list[Any] = []
            for inc in chunk:
                params.extend(
                    (
                        connection.ops.adapt_datefield_value(inc.day),
                        inc.department_id,
                        inc.region_path,
                        inc.item_id,
                        inc.window_id,
                        inc.staff_id,
                    )
                )
                params.extend(inc.measures.get(name, 0) for name in FACT_MEASURES)
            cursor.execute(head + ", ".join([row_sql] * len(chunk)) + tail, params)
    return len(rows)


# --------------------------------------------------------------------------- context look-ups


def _paths(department_ids: Iterable[int]) -> dict[int, str]:
    ids = set(department_ids)
    if not ids:
        return {}
    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "region__path"))


def _staff_of_actor(event: CaseEvent) -> StaffRef | None:
    """The actor's staff record; the actor and its ``staff`` are usually cached already
    (the case service looked them up), so this costs no query."""
    if event.actor_id is None:
        return None
    staff = getattr(event.actor, "staff", None)
    return StaffRef(staff.pk, staff.window_id or 0) if staff is not None else None


def _staff_refs(staff_ids: Iterable[int]) -> dict[int, StaffRef]:
    ids = {s for s in staff_ids if s}
    return {
        pk: StaffRef(pk, window or 0)
        for pk, window in Staff.objects.filter(pk__in=ids).values_list("pk", "window_id")
    }


def _statutory(version_ids: Iterable[int]) -> dict[int, int]:
    return {
        pk: limit or 0
        for pk, limit in ItemVersion.objects.filter(pk__in=set(version_ids)).values_list(
            "pk", "statutory_limit"
        )
    }


def _moments(findings: Sequence[Irregularity]) -> dict[tuple[int, int], dt.datetime]:
    """When the event that made each finding true happened, by (case, seq)."""
    wanted = {(f.case_id, max(f.event_seqs)) for f in findings if f.event_seqs}
    if not wanted:
        return {}
    match = Q()
    for case_id, seq in wanted:
        match |= Q(case_id=case_id, seq=seq)
    return {
        (c, s): moment
        for c, s, moment in CaseEvent.objects.filter(match).values_list("case_id", "seq", "occurred_at")
    }


def _happened(finding: Irregularity, moments: Mapping[tuple[int, int], dt.datetime]) -> dt.datetime | None:
    return moments.get((finding.case_id, max(finding.event_seqs))) if finding.event_seqs else None


def _item_of_cases(case_ids: Iterable[int]) -> dict[int, int]:
    ids = {c for c in case_ids if c}
    return dict(Case.objects.filter(pk__in=ids).values_list("pk", "item_id")) if ids else {}


def _served_by(case_ids: Iterable[int]) -> dict[int, StaffRef]:
    """Per case, the staff member (and their window now) who recorded the event that
    ended its service; one query. Cases ended by no staff member are absent."""
    ids = {c for c in case_ids if c}
    if not ids:
        return {}
    return {
        case_id: StaffRef(staff_id, window_id or 0)
        for case_id, staff_id, window_id in CaseEvent.objects.filter(
            case_id__in=ids, type__in=SERVICE_END_EVENTS, actor__staff__isnull=False
        )
        .order_by("case_id", "seq")
        .values_list("case_id", "actor__staff__id", "actor__staff__window_id")
    }


# --------------------------------------------------------------------------- incremental upkeep


def on_case_event(
    *,
    case: Case,
    event: CaseEvent,
    view: CaseView,
    template: Template,
    events: Sequence[CaseEvent] | None = None,
) -> None:
    """Count a case event as it is appended (inside its transaction). ``events`` (the
    case's events, this one last) is accepted for the signal's sake; the view says all
    that is needed."""
    del events
    if event.type in SUPERVISION_EVENTS:
        return
    statutory = 0
    if event.type == EventType.COMPLETE:
        statutory = _statutory([case.item_version_id]).get(case.item_version_id, 0)
    increments = case_event_increments(
        case=case,
        event=event,
        view=view,
        template=template,
        region_path="",  # filled below only when something is counted
        staff=_staff_of_actor(event),
        statutory_days=statutory,
    )
    if increments:
        path = _paths([case.department_id]).get(case.department_id, "")
        apply_increments(inc._replace(region_path=path) for inc in increments)


def on_alerts(alerts: Sequence[Alert]) -> None:
    """Count the alerts just raised (by a sweep or a backfill)."""
    if not alerts:
        return
    case_field = Alert._meta.get_field("case")
    items: dict[int, int] = {}
    missing = []
    for alert in alerts:
        if alert.case_id is None:
            continue
        if case_field.is_cached(alert):
            items[alert.case_id] = alert.case.item_id  # type: ignore[union-attr]
        else:
            missing.append(alert.case_id)
    items.update(_item_of_cases(missing))
    paths = _paths(a.department_id for a in alerts)
    apply_increments(
        inc
        for a in alerts
        for inc in alert_increments(
            a, region_path=paths.get(a.department_id, ""), item_id=items.get(a.case_id or 0, 0)
        )
    )


def on_findings(findings: Sequence[Irregularity]) -> None:
    """Count the irregularities just recorded (their ``case`` is at hand)."""
    if not findings:
        return
    paths = _paths(f.department_id for f in findings)
    moments = _moments(findings)
    apply_increments(
        inc
        for f in findings
        for inc in irregularity_increments(
            f,
            region_path=paths.get(f.department_id, ""),
            item_id=f.case.item_id,
            happened_at=_happened(f, moments),
        )
    )


def _complaint_context(complaint: Complaint) -> tuple[str, int, StaffRef | None]:
    path = _paths([complaint.department_id]).get(complaint.department_id, "")
    item_id = complaint.case.item_id if complaint.case_id else 0  # type: ignore[union-attr]
    staff = complaint.staff
    return path, item_id, (StaffRef(staff.pk, staff.window_id or 0) if staff is not None else None)


def on_complaint_registered(complaint: Complaint) -> None:
    path, item_id, staff = _complaint_context(complaint)
    apply_increments(complaint_received_increments(complaint, region_path=path, item_id=item_id, staff=staff))


def on_complaint_decided(complaint: Complaint) -> None:
    """Count the decision just recorded (self-handled: the head's approval; transferred:
    the unit's reported result) when it found the complaint substantiated."""
    if complaint.substantiated is not True or complaint.decided_at is None:
        return
    path, item_id, staff = _complaint_context(complaint)
    apply_increments(complaint_decided_increments(complaint, region_path=path, item_id=item_id, staff=staff))


def on_complaint_reopened(complaint: Complaint) -> None:
    """Take back the substantiated count of a decision that a re-investigation sets
    aside. To be called by ``complaint_reinvestigate`` with the complaint as it was
    before (``substantiated`` and ``decided_at`` still those of the old decision): the
    rebuild counts only a complaint's latest decision."""
    if complaint.substantiated is not True or complaint.decided_at is None:
        return
    path, item_id, staff = _complaint_context(complaint)
    taken_back = [
        inc._replace(measures={k: -n for k, n in inc.measures.items()})
        for inc in complaint_decided_increments(complaint, region_path=path, item_id=item_id, staff=staff)
    ]
    apply_increments(taken_back)
    _drop_empty(taken_back)


def on_rating(rating: Rating) -> None:
    """Count a rating just given (inside its transaction)."""
    path = _paths([rating.department_id]).get(rating.department_id, "")
    case_field = Rating._meta.get_field("case")
    if case_field.is_cached(rating):
        item_id = rating.case.item_id
    else:
        item_id = _item_of_cases([rating.case_id]).get(rating.case_id, 0)
    staff = _served_by([rating.case_id]).get(rating.case_id)
    apply_increments(rating_increments(rating, region_path=path, item_id=item_id, staff=staff))


@receiver(post_save, sender=Rating, dispatch_uid="supervision.facts.rating_saved")
def _rating_saved(
    sender: type[Rating], instance: Rating, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw:
        on_rating(instance)


def _drop_empty(increments: Iterable[Increment]) -> None:
    """Remove the rows of these keys that a taking-back left at zero everywhere: the
    rebuild would not have written them."""
    empty = Q(**dict.fromkeys(FACT_MEASURES, 0))
    for inc in increments:
        DailyFact.objects.filter(
            empty,
            day=inc.day,
            department_id=inc.department_id,
            item_id=inc.item_id,
            window_id=inc.window_id,
            staff_id=inc.staff_id,
        ).delete()


# --------------------------------------------------------------------------- rebuild


@dataclass
class RebuildReport:
    start: dt.date
    end: dt.date
    cases: int = 0
    events: int = 0
    alerts: int = 0
    irregularities: int = 0
    complaints: int = 0
    ratings: int = 0
    rows_deleted: int = 0
    rows: int = 0
    seconds: float = 0.0
    skipped_events: list[str] = field(default_factory=list)  # "case#seq" the fold refused

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def check_period(start: dt.date, end: dt.date) -> None:
    from yiwang.supervision.services import SupervisionError, SupervisionErrorCode

    if end < start:
        raise SupervisionError(
            _("The period starts (%(start)s) after it ends (%(end)s).")
            % {"start": start.isoformat(), "end": end.isoformat()},
            SupervisionErrorCode.BAD_INPUT,
            "end",
        )
    today = timezone.localdate()
    if end > today:
        raise SupervisionError(
            _("The period ends on %(end)s, after today (%(today)s): there are no facts of the future yet.")
            % {"end": end.isoformat(), "today": today.isoformat()},
            SupervisionErrorCode.BAD_INPUT,
            "end",
        )


def _keyset(qs: Any, size: int) -> Iterator[list[Any]]:
    """Chunks of ``qs`` in primary-key order, each one query (no giant OFFSET)."""
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


class _CaseRow(NamedTuple):
    pk: int
    department_id: int
    item_id: int
    item_version_id: int
    channel: str


def _case_increments(
    start: dt.date, end: dt.date, paths: Mapping[int, str], report: RebuildReport
) -> Iterator[list[Increment]]:
    """Per chunk of cases: fold each case's events from the start and keep the increments
    of the period. Only cases submitted before its end and not closed before its start
    can have a counted event in it (every counted event lies between the two)."""
    from yiwang.cases.services import template_for

    start_at, end_at = _bounds(start, end)
    cases = Case.objects.filter(submitted_at__lt=end_at).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start_at)
    )
    last = 0
    statutory: dict[int, int] = {}
    while True:
        rows = [
            _CaseRow(*r)
            for r in cases.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "department_id", "item_id", "item_version_id", "channel")[:REBUILD_CASES]
        ]
        if not rows:
            return
        last = rows[-1].pk
        report.cases += len(rows)
        by_case: dict[int, list[CaseEvent]] = {}
        for event in (
            CaseEvent.objects.filter(case_id__in=[r.pk for r in rows])
            .order_by("case_id", "seq")
            .only("case_id", "seq", "type", "occurred_at", "payload", "actor_id")
        ):
            by_case.setdefault(event.case_id, []).append(event)
        actors = {e.actor_id for events in by_case.values() for e in events if e.actor_id is not None}
        staff = {
            user_id: StaffRef(pk, window or 0)
            for user_id, pk, window in Staff.objects.filter(user_id__in=actors).values_list(
                "user_id", "pk", "window_id"
            )
        }
        missing = {r.item_version_id for r in rows} - statutory.keys()
        statutory.update(_statutory(missing))
        out: list[Increment] = []
        for row in rows:
            template = template_for(row.item_version_id)
            view = EMPTY
            for event in by_case.get(row.pk, []):
                try:
                    view = apply_event(view, event, template)
                except TransitionError:
                    report.skipped_events.append(f"{row.pk}#{event.seq}")
                    continue
                if event.type in SUPERVISION_EVENTS or not start <= _day(event.occurred_at) <= end:
                    continue
                report.events += 1
                out.extend(
                    case_event_increments(
                        case=row,
                        event=event,
                        view=view,
                        template=template,
                        region_path=paths.get(row.department_id, ""),
                        staff=staff.get(event.actor_id) if event.actor_id is not None else None,
                        statutory_days=statutory.get(row.item_version_id, 0),
                    )
                )
        yield out


def rebuild(start: dt.date, end: dt.date) -> RebuildReport:
    """Delete the facts of the days ``start`` to ``end`` (inclusive) and recompute them
    from the ledger, the alerts, the findings, the complaints and the ratings, in one
    transaction."""
    check_period(start, end)
    started = time.perf_counter()
    report = RebuildReport(start=start, end=end)
    start_at, end_at = _bounds(start, end)

    def keep(increments: Iterable[Increment]) -> list[Increment]:
        return [inc for inc in increments if start <= inc.day <= end]

    with transaction.atomic():
        report.rows_deleted, _detail = DailyFact.objects.filter(day__gte=start, day__lte=end).delete()
        paths: dict[int, str] = dict(Department.objects.values_list("pk", "region__path"))

        for increments in _case_increments(start, end, paths, report):
            apply_increments(increments)

        alerts = Alert.objects.filter(raised_at__gte=start_at, raised_at__lt=end_at).only(
            "pk", "level", "raised_at", "department_id", "case_id"
        )
        for chunk in _keyset(alerts, REBUILD_ROWS):
            report.alerts += len(chunk)
            items = _item_of_cases(a.case_id for a in chunk)
            apply_increments(
                keep(
                    inc
                    for a in chunk
                    for inc in alert_increments(
                        a, region_path=paths.get(a.department_id, ""), item_id=items.get(a.case_id or 0, 0)
                    )
                )
            )

        # A finding is detected after the event that made it true, never before.
        findings = Irregularity.objects.filter(detected_at__gte=start_at).only(
            "pk", "detected_at", "department_id", "case_id", "event_seqs"
        )
        for chunk in _keyset(findings, REBUILD_ROWS):
            items = _item_of_cases(f.case_id for f in chunk)
            moments = _moments(chunk)
            increments = keep(
                inc
                for f in chunk
                for inc in irregularity_increments(
                    f,
                    region_path=paths.get(f.department_id, ""),
                    item_id=items.get(f.case_id, 0),
                    happened_at=_happened(f, moments),
                )
            )
            report.irregularities += len(increments)
            apply_increments(increments)

        complaints = Complaint.objects.filter(
            Q(received_at__gte=start_at, received_at__lt=end_at)
            | Q(decided_at__gte=start_at, decided_at__lt=end_at, substantiated=True)
        ).only("pk", "received_at", "decided_at", "substantiated", "department_id", "staff_id", "case_id")
        for chunk in _keyset(complaints, REBUILD_ROWS):
            report.complaints += len(chunk)
            items = _item_of_cases(c.case_id or 0 for c in chunk)
            staff_refs = _staff_refs(c.staff_id or 0 for c in chunk)
            counted: list[Increment] = []
            for c in chunk:
                context: dict[str, Any] = {
                    "region_path": paths.get(c.department_id, ""),
                    "item_id": items.get(c.case_id or 0, 0),
                    "staff": staff_refs.get(c.staff_id or 0),
                }
                counted += complaint_received_increments(c, **context)
                counted += complaint_decided_increments(c, **context)
            apply_increments(keep(counted))

        ratings = Rating.objects.filter(rated_at__gte=start_at, rated_at__lt=end_at).only(
            "pk", "rated_at", "department_id", "case_id", "is_satisfied", "is_poor"
        )
        for chunk in _keyset(ratings, REBUILD_ROWS):
            report.ratings += len(chunk)
            items = _item_of_cases(r.case_id for r in chunk)
            served = _served_by(r.case_id for r in chunk)
            apply_increments(
                keep(
                    inc
                    for r in chunk
                    for inc in rating_increments(
                        r,
                        region_path=paths.get(r.department_id, ""),
                        item_id=items.get(r.case_id, 0),
                        staff=served.get(r.case_id),
                    )
                )
            )

        report.rows = DailyFact.objects.filter(day__gte=start, day__lte=end).count()
    report.seconds = time.perf_counter() - started
    return report
