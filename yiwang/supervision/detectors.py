"""Irregularity detectors (异常监察): fee, procedure and record-keeping violations read
from a case's events.

Everything here is a pure function of ``CaseFacts`` (the case's events, its item's
workflow template, standard fee, extension cap and separation-of-duties rules) and the
detector parameters: nothing is written and nothing is queried, apart from the
working-day calendar the deadlines use. The events are replayed through the cases
state machine (``yiwang.cases.workflow.apply_event``) exactly as the services would
have applied them; an event the state machine refuses is reported as out of order and
the replay goes on from the view before it, so that cases imported raw from a
department's own system are judged by the same rules as cases handled here.

Every finding is made true by one event, the greatest of its ``event_seqs``, and
depends on nothing after it: running ``detect`` on each new event with
``only_last=True`` therefore collects, over a case's life, exactly the findings a full
run over the finished case returns, with the same keys.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Protocol, cast

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, npgettext, pgettext, pgettext_lazy

from yiwang.cases import workflow
from yiwang.cases.models import TERMINAL_STATES, CaseState, Decision, EventType
from yiwang.cases.workflow import (
    ACCEPTANCE_LIMIT_WORKDAYS,
    EMPTY,
    CaseView,
    Template,
    TransitionError,
    apply_event,
    deadlines,
    local_date,
)
from yiwang.org.models import Role


class DetectorCode(models.TextChoices):
    FEE_MISMATCH = "fee_mismatch", pgettext_lazy("irregularity", "fee differs from the standard")
    STEP_OUT_OF_ORDER = "step_out_of_order", pgettext_lazy("irregularity", "step skipped or out of order")
    SAME_PERSON = "same_person", pgettext_lazy("irregularity", "incompatible duties held by one person")
    BACKFILLED = "backfilled", pgettext_lazy("irregularity", "recorded after the fact")
    OFF_SYSTEM = "off_system", pgettext_lazy("irregularity", "handled outside the system")
    REPEATED_SUPPLEMENT = "repeated_supplement", pgettext_lazy("irregularity", "repeated supplement notice")
    NO_REASON = "no_reason", pgettext_lazy("irregularity", "reason or legal basis missing")
    LATE_ACCEPTANCE = "late_acceptance", pgettext_lazy("irregularity", "late acceptance decision")
    LATE_COMPLETION = "late_completion", pgettext_lazy("irregularity", "completed after the due date")
    EXTENSION_OVER_CAP = "extension_over_cap", pgettext_lazy("irregularity", "extension beyond the cap")


class Severity(models.TextChoices):
    LOW = "low", pgettext_lazy("severity", "low")
    MEDIUM = "medium", pgettext_lazy("severity", "medium")
    HIGH = "high", pgettext_lazy("severity", "high")


class EventLike(Protocol):
    """A ``yiwang.cases.models.CaseEvent`` or anything read like one."""

    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def occurred_at(self) -> dt.datetime: ...
    @property
    def recorded_at(self) -> dt.datetime: ...
    @property
    def payload(self) -> Any: ...


@dataclass(frozen=True)
class CaseFacts:
    """What the detectors read of one case."""

    events: Sequence[EventLike]  # in seq order
    template: Template
    fee_standard: Decimal | None  # the item's standard fee total in yuan; None: the item lists no fee
    extension_cap: int
    separation: Sequence[tuple[str, str]]  # (earlier, later) event types one person may not both record


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    explanation: str
    event_seqs: tuple[int, ...]
    key: str  # tells two findings of one code on one case apart; the same on every run


_BASE = {"enabled": True}
DEFAULT_PARAMS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        str(code): MappingProxyType({name: getattr(value, "value", value) for name, value in values.items()})
        for code, values in {
            DetectorCode.FEE_MISMATCH: {**_BASE, "severity": Severity.HIGH},
            DetectorCode.STEP_OUT_OF_ORDER: {**_BASE, "severity": Severity.HIGH},
            DetectorCode.SAME_PERSON: {**_BASE, "severity": Severity.HIGH},
            # an event entered more than ``hours`` after it happened
            DetectorCode.BACKFILLED: {**_BASE, "severity": Severity.HIGH, "hours": 24},
            # a case entered at a late step; or its events entered within ``minutes`` of one
            # another while dated at least ``spread_hours`` apart; or accepted and decided
            # within ``minutes`` when its workflow has at least ``min_steps`` steps
            DetectorCode.OFF_SYSTEM: {
                **_BASE,
                "severity": Severity.HIGH,
                "minutes": 10,
                "min_steps": 2,
                "spread_hours": 24,
            },
            DetectorCode.REPEATED_SUPPLEMENT: {**_BASE, "severity": Severity.MEDIUM},
            DetectorCode.NO_REASON: {**_BASE, "severity": Severity.MEDIUM},
            DetectorCode.LATE_ACCEPTANCE: {**_BASE, "severity": Severity.MEDIUM},
            DetectorCode.LATE_COMPLETION: {**_BASE, "severity": Severity.MEDIUM},
            DetectorCode.EXTENSION_OVER_CAP: {**_BASE, "severity": Severity.HIGH},
        }.items()
    }
)


class ParamsError(ValueError):
    """Detector parameters that name an unknown detector or setting, or a bad value."""

    def __init__(self, code: str, name: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message


def merge_params(params: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """``DEFAULT_PARAMS`` overridden by ``params``, checked; raises ``ParamsError``."""
    merged = {code: dict(values) for code, values in DEFAULT_PARAMS.items()}
    for code, overrides in (params or {}).items():
        if code not in merged:
            raise ParamsError(code, None, _("There is no detector “%(code)s”.") % {"code": code})
        for name, value in overrides.items():
            if name not in merged[code]:
                raise ParamsError(
                    code,
                    name,
                    _("The detector “%(code)s” has no setting “%(name)s”.") % {"code": code, "name": name},
                )
            if name == "enabled":
                ok = isinstance(value, bool)
            elif name == "severity":
                ok = value in Severity.values
            else:
                ok = (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and math.isfinite(value)
                    and value >= 0
                )
            if not ok:
                raise ParamsError(
                    code,
                    name,
                    _("The setting “%(name)s” of the detector “%(code)s” cannot be %(value)s.")
                    % {"code": code, "name": name, "value": repr(value)},
                )
            merged[code][name] = value
    return merged


def detect(
    facts: CaseFacts,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    only_last: bool = False,
) -> list[Finding]:
    """The irregularities of a case, ordered by the event that makes each true.

    With ``only_last``, only those the last event makes true (whose ``event_seqs``
    include its seq): what is new when that event has just been recorded.
    """
    settings = merge_params(params)
    events = tuple(facts.events)
    if not events:
        return []
    replay = _replay(events, facts.template)
    order = list(DetectorCode.values)
    findings: list[Finding] = []
    for code, detector in _DETECTORS.items():
        p = settings[code]
        if not p["enabled"]:
            continue
        for key, seqs, explanation in detector(facts, replay, p):
            findings.append(Finding(str(code), str(p["severity"]), explanation, seqs, key))
    findings.sort(key=lambda f: (max(f.event_seqs), order.index(f.code), f.key))
    if only_last:
        last = events[-1].seq
        findings = [f for f in findings if last in f.event_seqs]
    return findings


# --------------------------------------------------------------------------- replay


@dataclass
class _Opening:
    """The application a case entered at a later step never recorded: assumed at its
    first event, so that the rest of the case can still be replayed."""

    occurred_at: dt.datetime
    type: str = EventType.APPLY
    payload: Any = None
    actor_id: int | None = None


@dataclass(frozen=True)
class _Step:
    event: EventLike
    before: CaseView
    after: CaseView | None  # None: the state machine refused the event
    error: TransitionError | None
    backwards: bool  # dated before the case's previous event


def _replay(events: Sequence[EventLike], template: Template) -> tuple[_Step, ...]:
    view = EMPTY
    if events[0].type != EventType.APPLY:
        view = apply_event(EMPTY, _Opening(events[0].occurred_at), template)
    steps: list[_Step] = []
    for event in events:
        backwards = view.last_event_at is not None and event.occurred_at < view.last_event_at
        try:
            after = apply_event(view, cast(workflow.EventLike, event), template)
        except TransitionError as exc:
            steps.append(_Step(event, view, None, exc, backwards))
            continue
        steps.append(_Step(event, view, after, None, backwards))
        view = after
    return tuple(steps)


# --------------------------------------------------------------------------- wording


def _day(moment: dt.datetime) -> str:
    return local_date(moment).isoformat()


def _moment(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _event(event: EventLike) -> str:
    return _label(EventType, event.type)


def _role(role: str) -> str:
    if role == "applicant":
        return pgettext("actor role", "applicant")
    if role == "parallel":
        return pgettext("actor role", "lead case of the parallel approval")
    return _label(Role, role) if role else ""


def _who(event: EventLike) -> str:
    name = (event.actor_name or "").strip()
    role = _role(event.role)
    if name and role:
        return pgettext("actor", "%(name)s (%(role)s)") % {"name": name, "role": role}
    return name or role or _("someone unnamed")


def _state(state: str) -> str:
    return _label(CaseState, state) if state else pgettext("case state", "not yet filed")


def _list(names: Iterable[str]) -> str:
    return pgettext("list separator", ", ").join(f"“{name}”" for name in names)


def _yuan(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def _base(event: EventLike) -> dict[str, Any]:
    return {"seq": event.seq, "event": _event(event), "date": _day(event.occurred_at), "actor": _who(event)}


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


# --------------------------------------------------------------------------- detectors

_Found = Iterator[tuple[str, tuple[int, ...], str]]  # key, event seqs, explanation


def _fee_mismatch(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    for step in replay:
        event = step.event
        if event.type != EventType.COMPLETE:
            continue
        charged = _amount((event.payload or {}).get("fee_charged"))
        if charged is None:
            continue
        standard = facts.fee_standard if facts.fee_standard is not None else Decimal(0)
        if charged == standard:
            continue
        args = {**_base(event), "charged": _yuan(charged), "standard": _yuan(standard)}
        if facts.fee_standard is None:
            text = _(
                "The completion #%(seq)d on %(date)s by %(actor)s charged ¥%(charged)s, "
                "but the item lists no fee."
            )
        elif charged > standard:
            text = _(
                "The completion #%(seq)d on %(date)s by %(actor)s charged ¥%(charged)s, "
                "more than the item's standard fee of ¥%(standard)s."
            )
        else:
            text = _(
                "The completion #%(seq)d on %(date)s by %(actor)s charged ¥%(charged)s, "
                "less than the item's standard fee of ¥%(standard)s."
            )
        yield str(event.seq), (event.seq,), text % args


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _step_out_of_order(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    template = facts.template
    for step in replay:
        event, previous = step.event, step.before.last_event_at
        if step.error is not None:
            text = _refused(step.event, step.before, step.error, template)
        elif step.backwards and previous is not None:
            text = _(
                "“%(event)s” #%(seq)d by %(actor)s is dated %(moment)s, before the case's previous "
                "event (%(previous)s): the steps were recorded out of order."
            ) % {
                **_base(event),
                "moment": _moment(event.occurred_at),
                "previous": _moment(previous),
            }
        else:
            continue
        yield str(event.seq), (event.seq,), text


def _refused(event: EventLike, view: CaseView, error: TransitionError, template: Template) -> str:
    """Why the workflow does not allow ``event`` in the case as ``view`` shows it."""
    args = {**_base(event), "state": _state(view.state)}
    if view.state in TERMINAL_STATES and view.closed_at is not None:
        return _(
            "“%(event)s” #%(seq)d was recorded on %(date)s by %(actor)s after the case had closed "
            "as “%(state)s” on %(closed)s."
        ) % {**args, "closed": _day(view.closed_at)}
    if error.code == "steps_outstanding" and view.step_index is not None:
        skipped = template.middle[view.step_index : len(template.middle) - 1]
        return _(
            "The decision #%(seq)d on %(date)s by %(actor)s was taken while the case was at step "
            "%(step)d of %(steps)d: the steps %(skipped)s were never completed."
        ) % {
            **args,
            "step": view.step_index + 1,
            "steps": len(template.middle),
            "skipped": _list(s.name for s in skipped),
        }
    if error.code == "decide_instead":
        return (
            _(
                "Step #%(seq)d on %(date)s by %(actor)s was recorded after every step of the item's "
                "workflow had been done: the decision should have come next."
            )
            % args
        )
    if event.type == EventType.COMPLETE and view.state in (CaseState.IN_PROGRESS, CaseState.SUSPENDED):
        return _("The case was completed (#%(seq)d, %(date)s, %(actor)s) without a recorded decision.") % args
    if error.code == "illegal_in_state":
        return (
            _(
                "“%(event)s” #%(seq)d was recorded on %(date)s by %(actor)s while the case was "
                "“%(state)s”, which the item's workflow does not allow."
            )
            % args
        )
    return _("“%(event)s” #%(seq)d on %(date)s by %(actor)s does not follow the workflow: %(reason)s") % {
        **args,
        "reason": error.message,
    }


def _identity(event: EventLike) -> tuple[str, Any] | None:
    """Who recorded ``event``: the account, or for an imported event without one, the name."""
    if event.actor_id is not None:
        return ("account", event.actor_id)
    name = (event.actor_name or "").strip()
    return ("name", name) if name else None


def _same_person(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    events = [step.event for step in replay]
    pairs = list(dict.fromkeys((str(a), str(b)) for a, b in facts.separation))
    for index, event in enumerate(events):
        who = _identity(event)
        if who is None:
            continue
        for earlier, later in pairs:
            if event.type != later:
                continue
            first = next((e for e in events[:index] if e.type == earlier and _identity(e) == who), None)
            if first is None:
                continue
            text = _(
                "%(actor)s recorded both “%(earlier)s” (#%(first)d, %(first_date)s) and “%(event)s” "
                "(#%(seq)d, %(date)s) on this case: these duties must be held by different people."
            ) % {
                **_base(event),
                "earlier": _event(first),
                "first": first.seq,
                "first_date": _day(first.occurred_at),
            }
            yield f"{event.seq}:{earlier}", (first.seq, event.seq), text


def _backfilled(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    limit = dt.timedelta(hours=p["hours"])
    for step in replay:
        event = step.event
        lag = event.recorded_at - event.occurred_at
        if lag <= limit:
            continue
        text = _(
            "“%(event)s” #%(seq)d by %(actor)s is dated %(occurred)s but was entered into the system "
            "only on %(recorded)s, %(lag)s later."
        ) % {
            **_base(event),
            "occurred": _moment(event.occurred_at),
            "recorded": _moment(event.recorded_at),
            "lag": _duration(lag),
        }
        yield str(event.seq), (event.seq,), text


def _duration(span: dt.timedelta) -> str:
    """``span`` in whole days from two days up, else in hours, else in minutes (at least 1)."""
    minutes = max(1, math.ceil(span.total_seconds() / 60))
    hours, days = minutes // 60, minutes // (24 * 60)
    if days >= 2:
        return _days(days)
    if hours >= 1:
        return npgettext("duration", "%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return npgettext("duration", "%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _days(n: int) -> str:
    return npgettext("duration", "%(n)d day", "%(n)d days", n) % {"n": n}


def _off_system(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    events = [step.event for step in replay]
    first = events[0]
    if first.type != EventType.APPLY:
        text = _(
            "The case's record begins with “%(event)s” #%(seq)d on %(date)s by %(actor)s: its "
            "application was never recorded, so the case was handled outside the system before "
            "being entered."
        ) % _base(first)
        yield "no_apply", (first.seq,), text
    else:
        yield from _entered_in_one_sitting(events, p)
    yield from _too_fast(replay, facts.template, p)


def _entered_in_one_sitting(events: Sequence[EventLike], p: Mapping[str, Any]) -> _Found:
    """Application, acceptance and at least one later event entered within ``minutes`` of
    one another while dated at least ``spread_hours`` apart."""
    window = dt.timedelta(minutes=p["minutes"])
    spread = dt.timedelta(hours=p["spread_hours"])
    first = events[0]
    entered = [first.recorded_at, first.recorded_at]  # earliest, latest
    dated = [first.occurred_at, first.occurred_at]
    accepted = False
    for index, event in enumerate(events):
        entered = [min(entered[0], event.recorded_at), max(entered[1], event.recorded_at)]
        dated = [min(dated[0], event.occurred_at), max(dated[1], event.occurred_at)]
        if entered[1] - entered[0] > window:
            return
        if accepted and dated[1] - dated[0] >= spread:
            text = _(
                "Events #%(first)d to #%(last)d, dated from %(start)s to %(end)s, were all entered "
                "into the system on %(entered)s within %(within)s: the case was handled outside the "
                "system and entered afterwards."
            ) % {
                "first": first.seq,
                "last": event.seq,
                "start": _day(dated[0]),
                "end": _day(dated[1]),
                "entered": _day(entered[0]),
                "within": _duration(entered[1] - entered[0]),
            }
            yield "batch", tuple(e.seq for e in events[: index + 1]), text
            return
        accepted = accepted or event.type == EventType.ACCEPT


def _too_fast(replay: Sequence[_Step], template: Template, p: Mapping[str, Any]) -> _Found:
    """Accepted and lawfully decided (or completed) within ``minutes`` though the
    workflow has at least ``min_steps`` steps. Only events the workflow took count: a
    decision that skipped the steps is out of order, not fast."""
    if len(template.middle) < p["min_steps"]:
        return
    events = [step.event for step in replay if step.after is not None]
    start = next((i for i, e in enumerate(events) if e.type == EventType.ACCEPT), None)
    if start is None:
        return
    ends = (
        i for i in range(start + 1, len(events)) if events[i].type in (EventType.DECIDE, EventType.COMPLETE)
    )
    end = next(ends, None)
    if end is None:
        return
    accept, last = events[start], events[end]
    took = last.occurred_at - accept.occurred_at
    if not dt.timedelta(0) <= took <= dt.timedelta(minutes=p["minutes"]):
        return
    steps = len(template.middle)
    text = ngettext(
        "The %(steps)d step of the workflow, from acceptance (#%(accept)d, %(start)s) to "
        "“%(event)s” (#%(seq)d, %(end)s), was done within %(within)s: the case cannot have "
        "been handled inside the system.",
        "The %(steps)d steps of the workflow, from acceptance (#%(accept)d, %(start)s) to "
        "“%(event)s” (#%(seq)d, %(end)s), were all done within %(within)s: the case cannot have "
        "been handled inside the system.",
        steps,
    ) % {
        **_base(last),
        "steps": steps,
        "accept": accept.seq,
        "start": _moment(accept.occurred_at),
        "end": _moment(last.occurred_at),
        "within": _duration(took),
    }
    passed = (e.seq for e in events[start:end] if e.type in (EventType.ACCEPT, EventType.STEP))
    seqs = (*passed, last.seq)
    yield "fast", seqs, text


def _repeated_supplement(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    requests = [step.event for step in replay if step.event.type == EventType.SUPPLEMENT_REQUEST]
    if not requests:
        return
    first = requests[0]
    for number, event in enumerate(requests[1:], start=2):
        text = _(
            "Supplement notice no. %(n)d (#%(seq)d, %(date)s, %(actor)s) came after the one-time "
            "notice of %(first_date)s (#%(first)d): everything missing must be named at once."
        ) % {**_base(event), "n": number, "first": first.seq, "first_date": _day(first.occurred_at)}
        yield str(event.seq), (first.seq, event.seq), text


def _no_reason(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    for step in replay:
        event = step.event
        payload = event.payload or {}
        if event.type == EventType.REFUSE:
            messages = (
                _("The refusal to accept #%(seq)d on %(date)s by %(actor)s states no reason."),
                _("The refusal to accept #%(seq)d on %(date)s by %(actor)s cites no legal basis."),
                _(
                    "The refusal to accept #%(seq)d on %(date)s by %(actor)s states no reason "
                    "and cites no legal basis."
                ),
            )
        elif event.type == EventType.DECIDE and payload.get("decision") == Decision.DENIED:
            messages = (
                _("The denial #%(seq)d on %(date)s by %(actor)s states no reason."),
                _("The denial #%(seq)d on %(date)s by %(actor)s cites no legal basis."),
                _("The denial #%(seq)d on %(date)s by %(actor)s states no reason and cites no legal basis."),
            )
        else:
            continue
        no_reason, no_basis = _blank(payload.get("reason")), _blank(payload.get("legal_basis"))
        if not (no_reason or no_basis):
            continue
        text = messages[2] if no_reason and no_basis else messages[0] if no_reason else messages[1]
        yield str(event.seq), (event.seq,), text % _base(event)


def _late_acceptance(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    opening = replay[0].event
    restart: EventLike | None = None
    for step in replay:
        event, before = step.event, step.before
        if step.after is None:
            continue
        if event.type == EventType.SUPPLEMENT_RECEIVE:
            stop = before.open_stop
            if stop is not None and stop.before_acceptance:
                restart = event
            continue
        if event.type not in (EventType.ACCEPT, EventType.REFUSE, EventType.TRANSFER):
            continue
        if before.submitted_at is None:
            continue
        due = deadlines(before, facts.template).acceptance_due
        if due is None or local_date(event.occurred_at) <= due:
            continue
        args = {**_base(event), "due": due.isoformat(), "days": ACCEPTANCE_LIMIT_WORKDAYS}
        if restart is not None:
            text = _(
                "The acceptance decision “%(event)s” #%(seq)d was recorded on %(date)s by %(actor)s, "
                "after it was due on %(due)s: %(days)d working days from the supplement received on "
                "%(restart)s."
            ) % {**args, "restart": _day(restart.occurred_at)}
            seqs: tuple[int, ...] = (opening.seq, restart.seq, event.seq)
        else:
            text = _(
                "The acceptance decision “%(event)s” #%(seq)d was recorded on %(date)s by %(actor)s, "
                "after it was due on %(due)s: %(days)d working days from the application of "
                "%(submitted)s."
            ) % {**args, "submitted": _day(before.submitted_at)}
            seqs = (opening.seq, event.seq)
        yield str(event.seq), tuple(sorted(set(seqs))), text


def _late_completion(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    accept: EventLike | None = None
    extensions: list[int] = []
    for step in replay:
        event, after = step.event, step.after
        if after is None:
            continue
        if event.type == EventType.ACCEPT and accept is None:
            accept = event
        elif event.type == EventType.EXTEND:
            extensions.append(event.seq)
        if event.type != EventType.COMPLETE or after.accepted_at is None:
            continue
        due = deadlines(after, facts.template).due_date
        if due is None or local_date(event.occurred_at) <= due:
            continue
        args = {
            **_base(event),
            "accepted": _day(after.accepted_at),
            "due": due.isoformat(),
            "days": _days(after.extension_days),
        }
        if after.extension_days:
            text = _(
                "The case accepted on %(accepted)s was completed on %(date)s (#%(seq)d, %(actor)s), "
                "after its due date of %(due)s, even with the %(days)s of extension approved."
            )
        else:
            text = _(
                "The case accepted on %(accepted)s was completed on %(date)s (#%(seq)d, %(actor)s), "
                "after its due date of %(due)s; no extension was approved."
            )
        seqs = ((accept.seq,) if accept is not None else ()) + (*extensions, event.seq)
        yield str(event.seq), seqs, text % args


def _extension_over_cap(facts: CaseFacts, replay: Sequence[_Step], p: Mapping[str, Any]) -> _Found:
    extensions: list[int] = []
    for step in replay:
        event, after = step.event, step.after
        if event.type != EventType.EXTEND or after is None:
            continue
        extensions.append(event.seq)
        if after.extension_days <= facts.extension_cap:
            continue
        text = _(
            "The extension of %(days)s (#%(seq)d, %(date)s, %(actor)s) brings this case's "
            "extensions to %(total)s, more than the %(cap)s allowed for the item."
        ) % {
            **_base(event),
            "days": _days(after.extension_days - step.before.extension_days),
            "total": _days(after.extension_days),
            "cap": _days(facts.extension_cap),
        }
        yield str(event.seq), tuple(extensions), text


_DETECTORS: Mapping[str, Callable[[CaseFacts, Sequence[_Step], Mapping[str, Any]], _Found]] = {
    DetectorCode.FEE_MISMATCH: _fee_mismatch,
    DetectorCode.STEP_OUT_OF_ORDER: _step_out_of_order,
    DetectorCode.SAME_PERSON: _same_person,
    DetectorCode.BACKFILLED: _backfilled,
    DetectorCode.OFF_SYSTEM: _off_system,
    DetectorCode.REPEATED_SUPPLEMENT: _repeated_supplement,
    DetectorCode.NO_REASON: _no_reason,
    DetectorCode.LATE_ACCEPTANCE: _late_acceptance,
    DetectorCode.LATE_COMPLETION: _late_completion,
    DetectorCode.EXTENSION_OVER_CAP: _extension_over_cap,
}
