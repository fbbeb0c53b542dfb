"""Time-limit ladders as pure functions: when does each warning and card fire?

A case exposes up to three *subjects*, each a deadline that runs while the case is in a
given state: the acceptance decision (5 working days from submission), the current step
(its own limit from the day it started) and the case itself (the promised limit from
acceptance, with extensions and stopped time). A stopped clock (supplement, special
procedure) exposes no subject: nothing can fire until it runs again.

Each stage of a ladder fires on a day, at the start of that day (00:00 local time):

* ``remaining N`` (optionally ``or P %``): on the working day from which N working days,
  that day included, remain to the due date: N = 1 is the due date itself; with a
  percentage, the earlier of the two;
* ``overdue N``: on the N-th working day after the due date; N = 0 is the due date;
* ``after_previous N``: N working days after the day the previous level fired.

Nothing here touches the database, so the sweep, the event hook and the what-if replay
all compute the same moments.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases.models import CaseState
from yiwang.cases.workflow import CaseView, Template, deadlines, local_date
from yiwang.core import calendar
from yiwang.supervision.models import LEVEL_ORDER, Anchor, Level, Target

ACCEPTANCE_LIMIT = 5
# Ladders are checked for every limit up to this many days (a year: longer than any
# promised limit with its extension), so a percentage rung can never overtake another.
MAX_LIMIT_CHECKED = 366


@dataclass(frozen=True)
class StageRule:
    target: str
    level: str
    anchor: str
    workdays: int
    percent: int | None = None
    notice_kind: str = ""


@dataclass(frozen=True)
class Ladder:
    version_id: int
    stages: tuple[StageRule, ...]

    def for_target(self, target: str) -> list[StageRule]:
        return sorted(
            (s for s in self.stages if s.target == target), key=lambda s: LEVEL_ORDER[Level(s.level)]
        )


@dataclass(frozen=True)
class Subject:
    target: str
    key: str
    name: str
    due: dt.date
    limit: int
    unit: str = calendar.WORKING_DAYS  # the unit of ``limit`` (an item may count natural days)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "key": self.key,
            "name": self.name,
            "due": self.due.isoformat(),
            "limit": self.limit,
            "unit": self.unit,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subject:
        return cls(
            data["target"],
            data["key"],
            data.get("name", ""),
            dt.date.fromisoformat(data["due"]),
            int(data["limit"]),
            data.get("unit", calendar.WORKING_DAYS),
        )


@dataclass(frozen=True)
class Firing:
    subject: Subject
    level: str
    day: dt.date
    moment: dt.datetime
    notice_kind: str


def start_of(day: dt.date) -> dt.datetime:
    """00:00 of ``day`` in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _remaining_day(due: dt.date, n: int) -> dt.date:
    return due if n <= 1 else calendar.add_workdays(due, -(n - 1))


def fire_day(stage: StageRule, subject: Subject, previous: dt.date | None) -> dt.date | None:
    if stage.anchor == Anchor.REMAINING:
        day = _remaining_day(subject.due, stage.workdays)
        if stage.percent:
            share = math.ceil(subject.limit * stage.percent / 100)  # in the limit's own unit
            if subject.unit == calendar.WORKING_DAYS:
                by_share = _remaining_day(subject.due, share)
            else:
                by_share = subject.due - dt.timedelta(days=max(share, 1) - 1)
            day = min(day, by_share)  # whichever comes first
        return day
    if stage.anchor == Anchor.OVERDUE:
        return subject.due if stage.workdays == 0 else calendar.add_workdays(subject.due, stage.workdays)
    if stage.anchor == Anchor.AFTER_PREVIOUS:
        return None if previous is None else calendar.add_workdays(previous, stage.workdays)
    return None


def schedule(subject: Subject, ladder: Ladder) -> list[Firing]:
    """Every level of the ladder for this subject, in level order."""
    firings: list[Firing] = []
    previous: dt.date | None = None
    for stage in ladder.for_target(subject.target):
        day = fire_day(stage, subject, previous)
        if day is None:
            continue
        firings.append(Firing(subject, stage.level, day, start_of(day), stage.notice_kind))
        previous = day
    return firings


def firings_of(subjects: Iterable[Subject], ladder: Ladder) -> list[Firing]:
    return [f for s in subjects for f in schedule(s, ladder)]


def split_due(
    firings: Iterable[Firing], at: dt.datetime, raised: set[tuple[str, str]]
) -> tuple[list[Firing], dt.datetime | None]:
    """The firings due at ``at`` not yet raised, and the next moment one can fire after that."""
    due: list[Firing] = []
    nxt: dt.datetime | None = None
    for f in firings:
        if (f.subject.key, f.level) in raised:
            continue
        if f.moment <= at:
            due.append(f)
        elif nxt is None or f.moment < nxt:
            nxt = f.moment
    return due, nxt


def next_moment(firings: Iterable[Firing], raised: set[tuple[str, str]]) -> dt.datetime | None:
    moments = [f.moment for f in firings if (f.subject.key, f.level) not in raised]
    return min(moments) if moments else None


# --------------------------------------------------------------------------- subjects of a case


RUNNING_CASE_STATES = (CaseState.IN_PROGRESS, CaseState.DECIDED)


def subjects_of(view: CaseView, template: Template, step_seq: int | None) -> list[Subject]:
    """The deadlines running in ``view``; none while the clock is stopped or once the case
    is completed or closed."""
    if view.open_stop is not None or view.state not in (CaseState.SUBMITTED, *RUNNING_CASE_STATES):
        return []
    d = deadlines(view, template)
    if view.state == CaseState.SUBMITTED:
        if d.acceptance_due is None or view.submitted_at is None:
            return []
        base = view.acceptance_restart_on or local_date(view.submitted_at)
        return [
            Subject(
                Target.ACCEPTANCE, f"acceptance:{base.isoformat()}", "", d.acceptance_due, ACCEPTANCE_LIMIT
            )
        ]
    subjects: list[Subject] = []
    if d.due_date is not None:
        subjects.append(Subject(Target.CASE, "case", "", d.due_date, d.limit, template.unit))
    if view.state == CaseState.IN_PROGRESS and d.step_due_date is not None and view.step_index is not None:
        step = template.middle[view.step_index]
        key = f"step:{view.step_index}:{step_seq or 0}"
        subjects.append(Subject(Target.STEP, key, step.name, d.step_due_date, step.limit, template.unit))
    return subjects


STEP_STARTING_EVENTS = ("accept", "step", "return")


# --------------------------------------------------------------------------- validation


def position(stage: StageRule, limit: int, previous: int | None) -> int | None:
    """Where ``stage`` fires, in working days relative to the due date (negative: before)."""
    if stage.anchor == Anchor.REMAINING:
        n = stage.workdays
        if stage.percent:
            n = max(n, math.ceil(limit * stage.percent / 100))
        return -(max(n, 1) - 1)
    if stage.anchor == Anchor.OVERDUE:
        return stage.workdays
    if stage.anchor == Anchor.AFTER_PREVIOUS:
        return None if previous is None else previous + stage.workdays
    return None


def ladder_errors(stages: Sequence[StageRule]) -> list[str]:
    """Every reason ``stages`` is not a usable ladder (empty when it is)."""
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for s in stages:
        label = (
            f"{Target(s.target).label} · {Level(s.level).label}"
            if s.target in Target.values and s.level in Level.values
            else ""
        )
        if s.target not in Target.values or s.level not in Level.values or s.anchor not in Anchor.values:
            errors.append(_("Unknown deadline, level or anchor in a stage."))
            continue
        if (s.target, s.level) in seen:
            errors.append(_("%(stage)s is defined twice.") % {"stage": label})
        seen.add((s.target, s.level))
        if s.workdays is None or s.workdays < 0:
            errors.append(_("%(stage)s: the number of working days cannot be negative.") % {"stage": label})
        if s.percent is not None and (s.percent <= 0 or s.percent > 100):
            errors.append(
                _("%(stage)s: the share of the limit must be between 1 and 100 %%.") % {"stage": label}
            )
        if s.percent is not None and s.anchor != Anchor.REMAINING:
            errors.append(_("%(stage)s: a share of the limit only goes with “remaining”.") % {"stage": label})
        if s.anchor == Anchor.REMAINING and s.workdays == 0 and not s.percent:
            errors.append(
                _("%(stage)s: “0 working days remaining” never comes; use “overdue 0” for the due date.")
                % {"stage": label}
            )
        if s.anchor == Anchor.AFTER_PREVIOUS and s.workdays == 0:
            errors.append(
                _("%(stage)s: it must come at least one working day after the previous stage.")
                % {"stage": label}
            )
    if errors:
        return errors
    ladder = Ladder(0, tuple(stages))
    for target in Target.values:
        rungs = ladder.for_target(target)
        if not rungs:
            continue
        if rungs[0].anchor == Anchor.AFTER_PREVIOUS:
            errors.append(
                _("%(stage)s: the first stage of a ladder cannot be “after the previous stage”.")
                % {"stage": f"{Target(target).label} · {Level(rungs[0].level).label}"}
            )
            continue
        for limit in range(1, MAX_LIMIT_CHECKED + 1):
            previous: int | None = None
            prev_level = ""
            broken = False
            for s in rungs:
                pos = position(s, limit, previous)
                if previous is not None and pos is not None and pos <= previous:
                    errors.append(
                        _(
                            "%(target)s: the %(later)s would fire no later than the %(earlier)s (for a %(limit)d-day limit); stages must come in the order warning, yellow card, red card."
                        )
                        % {
                            "target": Target(target).label,
                            "later": Level(s.level).label,
                            "earlier": Level(prev_level).label,
                            "limit": limit,
                        }
                    )
                    broken = True
                    break
                previous, prev_level = pos, s.level
            if broken:
                break
    return errors
