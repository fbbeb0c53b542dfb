"""Run the supervision sweep as of a moment, or replay a rule set over past cases.

manage.py supervise                                  # sweep now
manage.py supervise --at 2025-10-10T09:00            # sweep as of that moment
manage.py supervise --replay --from 2025-07-01 --to 2025-09-30 --rules three-stage
manage.py supervise --rewatch                        # recompute every open case's watch
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from yiwang.supervision import services
from yiwang.supervision.models import Level, Target


def _moment(value: str, *, end_of_day: bool = False) -> dt.datetime:
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
        else:
            moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date (2025-10-10) or a moment (2025-10-10T09:00).") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Raise the warnings and cards due as of a moment, or replay a rule set over past cases (what-if)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="the moment of the sweep (default: now), e.g. 2025-10-10T09:00")
        parser.add_argument(
            "--replay", action="store_true", help="report what a rule set would have raised; writes nothing"
        )
        parser.add_argument("--from", dest="start", help="start of the replay (date or moment)")
        parser.add_argument("--to", dest="end", help="end of the replay (date or moment)")
        parser.add_argument("--rules", help="code of the rule set to replay, e.g. room or three-stage")
        parser.add_argument("--rewatch", action="store_true", help="recompute the watch of every open case")
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="record the alerts each case's rules raised between --from and --to, at their moments",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["replay"]:
                self._replay(options)
            elif options["backfill"]:
                if not (options["start"] and options["end"]):
                    raise CommandError("--backfill needs --from and --to.")
                n = services.backfill(
                    start=_moment(options["start"]), end=_moment(options["end"], end_of_day=True)
                )
                self.stdout.write(f"{n} alerts recorded at the moments they fell due; nobody was notified.")
            elif options["rewatch"]:
                n = services.rewatch_scope()
                self.stdout.write(f"{n} open cases re-watched.")
            else:
                at = _moment(options["at"]) if options["at"] else None
                if at is not None and at > timezone.now():
                    raise CommandError("A sweep cannot run as of a moment in the future.")
                report = services.sweep(at)
                self.stdout.write(str(report))
        except services.SupervisionError as exc:
            raise CommandError(exc.text) from None

    def _replay(self, options: dict[str, Any]) -> None:
        if not (options["start"] and options["end"] and options["rules"]):
            raise CommandError("--replay needs --from, --to and --rules.")
        start = _moment(options["start"])
        end = _moment(options["end"], end_of_day=True)
        hits = services.replay(rule_set=options["rules"], start=start, end=end)
        counts: dict[str, int] = {}
        for hit in hits:
            counts[hit.level] = counts.get(hit.level, 0) + 1
            self.stdout.write(
                f"{timezone.localtime(hit.moment):%Y-%m-%d %H:%M}  {Level(hit.level).label}  {hit.case_number}  "
                f"{hit.department}  {Target(hit.target).label}  due {hit.due.isoformat()}"
            )
        summary = ", ".join(f"{Level(k).label} {v}" for k, v in sorted(counts.items())) or "nothing"
        cases = len({h.case_number for h in hits})
        self.stdout.write(
            f"Rule set {options['rules']} from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}: "
            f"{summary} on {cases} cases (nothing was written)."
        )
