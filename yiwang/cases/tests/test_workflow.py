"""The state machine and deadlines as pure functions (no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from yiwang.cases.models import CaseState
from yiwang.cases.tests.conftest import at
from yiwang.cases.workflow import Step, Template, TransitionError, apply_event, deadlines, fold


@dataclass
class Ev:
    type: str
    occurred_at: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None


def template(promised: int = 10, unit: str = "working", steps: int = 2) -> Template:
    middle = tuple(Step(f"s{i}", "review", "reviewer", 2) for i in range(steps))
    return Template(
        promised_limit=promised,
        unit=unit,
        item_type="01",
        parallel_approval=False,
        accept_role="window_operator",
        middle=middle,
        complete_role="approver",
        deliver_role="window_operator",
        decide_role="approver",
    )


def test_natural_day_limit_ending_in_a_holiday_moves_to_the_next_working_day() -> None:
    # 15 natural days from 2025-09-23 end on 8 October, inside the National Day holiday
    view = fold([Ev("apply", at("2025-09-22")), Ev("accept", at("2025-09-23"))], template(15, "natural"))
    assert deadlines(view, template(15, "natural")).due_date == dt.date(2025, 10, 9)


def test_an_immediate_case_is_decided_straight_after_acceptance() -> None:
    t = template(promised=0, steps=0)
    view = fold(
        [
            Ev("apply", at("2026-02-02")),
            Ev("accept", at("2026-02-02", "09:10")),
            Ev("decide", at("2026-02-02", "09:20"), {"decision": "approved"}),
        ],
        t,
    )
    assert view.state == CaseState.DECIDED
    assert deadlines(view, t).due_date == dt.date(2026, 2, 2)


def test_acceptance_is_due_five_working_days_after_submission_across_spring_festival() -> None:
    # 2026: 15–23 February off, 14 and 28 February worked
    view = fold([Ev("apply", at("2026-02-12"))], template())
    # 13 Feb, 14 Feb (Saturday worked), then 24, 25, 26 Feb
    assert deadlines(view, template()).acceptance_due == dt.date(2026, 2, 26)


def test_a_late_case_reports_negative_days_left() -> None:
    t = template(promised=3)
    view = fold([Ev("apply", at("2025-06-02")), Ev("accept", at("2025-06-02", "10:00"))], t)
    d = deadlines(view, t, at=dt.date(2025, 6, 10))
    assert d.due_date == dt.date(2025, 6, 5)
    assert (d.used, d.left) == (6, -3)


@pytest.mark.parametrize(
    ("events", "illegal"),
    [
        ([], Ev("accept", at("2025-06-02"))),
        ([Ev("apply", at("2025-06-02"))], Ev("step", at("2025-06-02"))),
        ([Ev("apply", at("2025-06-02"))], Ev("resume", at("2025-06-02"))),
        ([Ev("apply", at("2025-06-02")), Ev("refuse", at("2025-06-02"))], Ev("accept", at("2025-06-03"))),
        ([Ev("apply", at("2025-06-02")), Ev("accept", at("2025-06-02"))], Ev("complete", at("2025-06-03"))),
        (
            [Ev("apply", at("2025-06-02")), Ev("accept", at("2025-06-02"))],
            Ev("extend", at("2025-06-03"), {"days": 0}),
        ),
    ],
)
def test_illegal_transitions_raise(events: list[Ev], illegal: Ev) -> None:
    t = template()
    view = fold(events, t)
    with pytest.raises(TransitionError):
        apply_event(view, illegal, t)
