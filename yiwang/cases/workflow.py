"""The case state machine and its deadlines, as pure functions of events and the calendar.

``apply_event`` folds one event into a ``CaseView``; folding all of a case's events from
``EMPTY`` gives the projection stored on the ``Case`` row, so the row can always be
rebuilt and audited. ``deadlines`` derives every date a citizen or supervisor sees from a
view, the item's template and the working-day calendar. Nothing here touches the
database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases.models import SUPERVISION_EVENTS, CaseState, Decision, EventType
from yiwang.core import calendar

ACCEPTANCE_LIMIT_WORKDAYS = 5  # 行政许可法 §32: the acceptance decision, from receipt
SUPPLEMENT = "supplement"  # the stop kind of a supplement request (suspensions use SuspensionKind)

MIDDLE_KINDS = ("handle", "review", "decide")


class TransitionError(Exception):
    """An action that is not legal in the case's current state."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class EventLike(Protocol):
    type: str
    occurred_at: dt.datetime
    payload: Any
    actor_id: int | None


@dataclass(frozen=True)
class Step:
    name: str
    kind: str
    role: str
    limit: int


@dataclass(frozen=True)
class Template:
    """What the state machine needs to know of an item version (immutable once published)."""

    promised_limit: int
    unit: str
    item_type: str
    parallel_approval: bool
    accept_role: str
    middle: tuple[Step, ...]
    complete_role: str
    deliver_role: str
    decide_role: str

    @classmethod
    def from_version(cls, version: Any) -> Template:
        steps = list(version.steps.all())
        middle = tuple(Step(s.name, s.kind, s.role, s.limit) for s in steps if s.kind in MIDDLE_KINDS)

        def role_of(kind: str, default: str) -> str:
            return next((s.role for s in steps if s.kind == kind), default)

        decide_role = middle[-1].role if middle else role_of("decide", "approver")
        return cls(
            promised_limit=version.promised_limit,
            unit=version.limit_unit,
            item_type=version.item_type,
            parallel_approval=version.parallel_approval,
            accept_role=role_of("accept", "window_operator"),
            middle=middle,
            complete_role=role_of("complete", decide_role),
            deliver_role=role_of("deliver", "window_operator"),
            decide_role=decide_role,
        )


@dataclass(frozen=True)
class Stop:
    """A period when a clock does not run: a supplement or a special procedure."""

    kind: str
    start: dt.date
    end: dt.date | None
    before_acceptance: bool
    step_index: int | None = None


@dataclass(frozen=True)
class CaseView:
    state: str = ""
    step_index: int | None = None
    decision: str = ""
    submitted_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    last_event_at: dt.datetime | None = None
    step_started_on: dt.date | None = None
    resumed_state: str = ""  # where a supplement or suspension returns to
    acceptance_restart_on: dt.date | None = None
    extension_days: int = 0
    supplement_requests: int = 0
    stops: tuple[Stop, ...] = ()
    actors: Mapping[str, frozenset[int]] = field(default_factory=dict)

    @property
    def open_stop(self) -> Stop | None:
        return self.stops[-1] if self.stops and self.stops[-1].end is None else None


EMPTY = CaseView()


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def _require(view: CaseView, states: Iterable[str], action: str) -> None:
    allowed = tuple(states)
    if view.state not in allowed:
        raise TransitionError(
            "illegal_in_state",
            _("“%(action)s” is not possible while the case is “%(state)s”.")
            % {"action": action, "state": view.state or "new"},
        )


def _close_stop(stops: tuple[Stop, ...], on: dt.date) -> tuple[Stop, ...]:
    last = stops[-1]
    return (*stops[:-1], dataclasses.replace(last, end=on))


def apply_event(view: CaseView, event: EventLike, template: Template) -> CaseView:
    """The view after ``event``; raises ``TransitionError`` if the event is not legal."""
    t = event.type
    if t in SUPERVISION_EVENTS:
        return view  # supervision's own records leave the case's state and clocks alone
    at = event.occurred_at
    on = local_date(at)
    p: Mapping[str, Any] = event.payload or {}
    changes: dict[str, Any] = {"last_event_at": at}
    if event.actor_id is not None:
        actors = dict(view.actors)
        actors[t] = actors.get(t, frozenset()) | {event.actor_id}
        changes["actors"] = actors

    if t == EventType.APPLY:
        _require(view, ("",), t)
        changes.update(state=CaseState.SUBMITTED, submitted_at=at)
    elif t == EventType.ACCEPT:
        _require(view, (CaseState.SUBMITTED,), t)
        changes.update(
            state=CaseState.IN_PROGRESS,
            accepted_at=at,
            step_index=0 if template.middle else None,
            step_started_on=on,
        )
    elif t == EventType.REFUSE:
        _require(view, (CaseState.SUBMITTED,), t)
        changes.update(state=CaseState.REFUSED, closed_at=at)
    elif t == EventType.TRANSFER:
        _require(view, (CaseState.SUBMITTED,), t)
        changes.update(state=CaseState.TRANSFERRED, closed_at=at)
    elif t == EventType.SUPPLEMENT_REQUEST:
        _require(view, (CaseState.SUBMITTED, CaseState.IN_PROGRESS), t)
        stop = Stop(
            SUPPLEMENT, on, None, before_acceptance=view.accepted_at is None, step_index=view.step_index
        )
        changes.update(
            state=CaseState.SUPPLEMENT,
            resumed_state=view.state,
            stops=(*view.stops, stop),
            supplement_requests=view.supplement_requests + 1,
        )
    elif t == EventType.SUPPLEMENT_RECEIVE:
        _require(view, (CaseState.SUPPLEMENT,), t)
        stop = view.open_stop
        changes.update(state=view.resumed_state, resumed_state="", stops=_close_stop(view.stops, on))
        if stop is not None and stop.before_acceptance:
            changes["acceptance_restart_on"] = on
    elif t == EventType.STEP:
        _require(view, (CaseState.IN_PROGRESS,), t)
        if view.step_index is None or view.step_index >= len(template.middle) - 1:
            raise TransitionError("decide_instead", _("this is the last step: record the decision instead"))
        changes.update(step_index=view.step_index + 1, step_started_on=on)
    elif t == EventType.RETURN:
        _require(view, (CaseState.IN_PROGRESS,), t)
        target = p.get("to_step")
        if not isinstance(target, int) or view.step_index is None or not 0 <= target < view.step_index:
            raise TransitionError("bad_return_step", _("a case can only be returned to an earlier step"))
        changes.update(step_index=target, step_started_on=on)
    elif t == EventType.DECIDE:
        _require(view, (CaseState.IN_PROGRESS,), t)
        if view.step_index is not None and view.step_index < len(template.middle) - 1:
            raise TransitionError(
                "steps_outstanding",
                _("the case is at step %(step)d of %(steps)d; it cannot be decided yet")
                % {"step": view.step_index + 1, "steps": len(template.middle)},
            )
        if p.get("decision") not in (Decision.APPROVED, Decision.DENIED):
            raise TransitionError("bad_decision", _("a decision is either approved or denied"))
        changes.update(state=CaseState.DECIDED, decision=p["decision"], decided_at=at, step_index=None)
    elif t == EventType.COMPLETE:
        _require(view, (CaseState.DECIDED,), t)
        changes.update(state=CaseState.COMPLETED, completed_at=at)
    elif t == EventType.DELIVER:
        _require(view, (CaseState.COMPLETED,), t)
        changes.update(state=CaseState.DELIVERED, delivered_at=at, closed_at=at)
    elif t == EventType.SUSPEND:
        _require(view, (CaseState.IN_PROGRESS,), t)
        stop = Stop(str(p.get("kind", "")), on, None, before_acceptance=False, step_index=view.step_index)
        changes.update(state=CaseState.SUSPENDED, resumed_state=view.state, stops=(*view.stops, stop))
    elif t == EventType.RESUME:
        _require(view, (CaseState.SUSPENDED,), t)
        changes.update(state=view.resumed_state, resumed_state="", stops=_close_stop(view.stops, on))
    elif t == EventType.EXTEND:
        _require(view, (CaseState.IN_PROGRESS, CaseState.SUSPENDED), t)
        days = p.get("days")
        if not isinstance(days, int) or days <= 0:
            raise TransitionError("bad_extension", _("an extension is a positive number of days"))
        changes["extension_days"] = view.extension_days + days
    elif t == EventType.WITHDRAW:
        _require(
            view,
            (CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.IN_PROGRESS, CaseState.SUSPENDED),
            t,
        )
        stops = _close_stop(view.stops, on) if view.open_stop else view.stops
        changes.update(state=CaseState.WITHDRAWN, closed_at=at, stops=stops)
    else:
        raise TransitionError("unknown_event", _("unknown event type %(type)r") % {"type": t})
    return dataclasses.replace(view, **changes)


def fold(events: Iterable[EventLike], template: Template) -> CaseView:
    view = EMPTY
    for event in events:
        view = apply_event(view, event, template)
    return view


# --------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class Deadlines:
    acceptance_due: dt.date | None
    due_date: dt.date | None  # the case's deadline (None before acceptance and for closed-unaccepted cases)
    limit: int  # promised limit plus extensions, in ``unit``
    unit: str
    used: int | None  # days of the limit used so far (or at closing)
    left: int | None  # negative when late
    step_due_date: dt.date | None
    clock_stopped: bool
    stopped_days: int


def _stopped(stops: Iterable[Stop], unit: str, until: dt.date, since: dt.date | None = None) -> int:
    total = 0
    for stop in stops:
        start = stop.start if since is None else max(stop.start, since)
        end = min(stop.end or until, until)
        if end > start:
            total += calendar.days_between(start, end, unit)
    return total


def deadlines(view: CaseView, template: Template, at: dt.date | None = None) -> Deadlines:
    """Every date of a case as of day ``at`` (default: the day of its last event).

    Acceptance is due 5 working days after submission, or after the applicant's
    supplement when one was requested before acceptance. The case's own limit runs from
    acceptance (the day itself never counts); days stopped by supplements after
    acceptance and by special procedures are added, as are approved extensions. While
    a clock is stopped the due date is the one it would be if it restarted on ``at``.
    """
    if at is None:
        at = local_date(view.last_event_at) if view.last_event_at else timezone.localdate()
    unit = template.unit
    limit = template.promised_limit + view.extension_days
    acceptance_due = None
    if view.submitted_at is not None:
        base = view.acceptance_restart_on or local_date(view.submitted_at)
        acceptance_due = calendar.add_workdays(base, ACCEPTANCE_LIMIT_WORKDAYS)
    if view.accepted_at is None:
        return Deadlines(
            acceptance_due=acceptance_due,
            due_date=None,
            limit=limit,
            unit=unit,
            used=None,
            left=None,
            step_due_date=None,
            clock_stopped=view.open_stop is not None,
            stopped_days=0,
        )
    accepted_on = local_date(view.accepted_at)
    finished = view.completed_at or view.closed_at  # the limit is for completion (办结)
    end = local_date(finished) if finished else at
    after_acceptance = [s for s in view.stops if not s.before_acceptance]
    stopped_to_date = _stopped(after_acceptance, unit, end)
    due = calendar.due_date(accepted_on, limit + stopped_to_date, unit)
    used = max(calendar.days_between(accepted_on, end, unit) - stopped_to_date, 0)
    step_due = None
    if (
        view.step_index is not None
        and view.step_started_on is not None
        and view.state
        in (
            CaseState.IN_PROGRESS,
            CaseState.SUSPENDED,
            CaseState.SUPPLEMENT,
        )
    ):
        step = template.middle[view.step_index]
        step_stopped = _stopped(after_acceptance, unit, at, since=view.step_started_on)
        step_due = calendar.due_date(view.step_started_on, step.limit + step_stopped, unit)
    return Deadlines(
        acceptance_due=acceptance_due,
        due_date=due,
        limit=limit,
        unit=unit,
        used=used,
        left=limit - used,
        step_due_date=step_due,
        clock_stopped=view.open_stop is not None,
        stopped_days=stopped_to_date,
    )
