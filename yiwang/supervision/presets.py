"""The two time-limit ladders shipped with Yiwang, from the seeds.

* ``room`` (seed 004 part 1, 电子监察室): a yellow card one working day after the promised
  limit passes, with an inquiry notice (效能问询通知书); a red card three working days after
  the yellow card, with an accountability notice (效能问责通知书). The same for the
  5-working-day acceptance decision.
* ``three-stage`` (seed 003): a warning when the limit approaches (2 working days or 20 %
  of it remain), a yellow card when it is reached (on the due date), a red card when it is
  exceeded (the first working day after). Steps get the same with one day's warning.

Both also watch the time limits of efficiency complaints (seed 004 part 1): telling the
complainant of the acceptance (3 working days), the handling (7, extended at most to 15;
15 when transferred) and the feedback (10). ``room`` gives a yellow card one working day
after such a limit and a red card three working days later; ``three-stage`` warns two
working days before, a yellow card on the day, a red card the day after.
"""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.supervision.rules import StageRule


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    stages: tuple[StageRule, ...]


COMPLAINT_TARGET_VALUES = ("complaint_ack", "complaint_handling", "complaint_feedback")

ROOM = "room"
THREE_STAGE = "three-stage"

PRESETS: dict[str, Preset] = {
    ROOM: Preset(
        name="电子监察室红黄牌（黄牌超时1个工作日，红牌再过3个工作日）",
        description=(
            "超过承诺时限1个工作日的发出黄牌并发出效能问询通知书；"
            "发出黄牌后3个工作日仍未办结的发出红牌并发出效能问责通知书。受理时限同样适用。"
        ),
        stages=(
            StageRule("case", "yellow", "overdue", 1, None, "inquiry"),
            StageRule("case", "red", "after_previous", 3, None, "accountability"),
            StageRule("acceptance", "yellow", "overdue", 1, None, "inquiry"),
            StageRule("acceptance", "red", "after_previous", 3, None, "accountability"),
            *(
                rung
                for target in COMPLAINT_TARGET_VALUES
                for rung in (
                    StageRule(target, "yellow", "overdue", 1, None, ""),
                    StageRule(target, "red", "after_previous", 3, None, ""),
                )
            ),
        ),
    ),
    THREE_STAGE: Preset(
        name="预警、黄牌、红牌三段式（临近、到达、超过时限）",
        description=(
            "临近时限（剩余2个工作日或20%时限，受理和环节剩余2个工作日）预警，到达时限（到期当日）黄牌，超过时限红牌；"
            "受理和各环节同样监察。"
        ),
        stages=(
            StageRule("case", "warning", "remaining", 2, 20, ""),
            StageRule("case", "yellow", "overdue", 0, None, "inquiry"),
            StageRule("case", "red", "overdue", 1, None, "accountability"),
            StageRule("acceptance", "warning", "remaining", 2, None, ""),
            StageRule("acceptance", "yellow", "overdue", 0, None, ""),
            StageRule("acceptance", "red", "overdue", 1, None, "urging"),
            StageRule("step", "warning", "remaining", 2, None, ""),
            StageRule("step", "yellow", "overdue", 0, None, ""),
            StageRule("step", "red", "overdue", 1, None, ""),
            *(
                rung
                for target in COMPLAINT_TARGET_VALUES
                for rung in (
                    StageRule(target, "warning", "remaining", 2, None, ""),
                    StageRule(target, "yellow", "overdue", 0, None, ""),
                    StageRule(target, "red", "overdue", 1, None, ""),
                )
            ),
        ),
    ),
}

DEFAULT_GLOBAL = ROOM
