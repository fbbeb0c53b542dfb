"""Rebuild the daily facts of a period from the ledger, the alerts, the findings and the
complaints (they are otherwise kept as things happen).

manage.py facts --rebuild --from 2025-01-01 --to 2025-12-31
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.supervision import facts
from yiwang.supervision.services import SupervisionError


def _date(value: str | None, option: str) -> dt.date:
    if not value:
        raise CommandError(f"--rebuild needs {option} (a date such as 2025-01-01).")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} “{value}” is not a date such as 2025-01-01.") from None


class Command(BaseCommand):
    help = "Rebuild the daily performance facts of a period (first to last day, inclusive) from the ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="delete and recompute the facts of the period"
        )
        parser.add_argument("--from", dest="start", help="first day, e.g. 2025-01-01")
        parser.add_argument("--to", dest="end", help="last day, e.g. 2025-12-31")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["rebuild"]:
            raise CommandError("Say what to do: --rebuild --from DAY --to DAY.")
        start = _date(options["start"], "--from")
        end = _date(options["end"], "--to")
        try:
            report = facts.rebuild(start, end)
        except SupervisionError as exc:
            raise CommandError(exc.text) from None
        self.stdout.write(
            f"Facts of {report.start} to {report.end} rebuilt in {report.seconds:.2f} s: "
            f"{report.rows_deleted} rows deleted, {report.rows} rows written; "
            f"{report.events} case events of {report.cases} cases "
            f"({report.events_per_second:.0f} events/s), {report.alerts} alerts, "
            f"{report.irregularities} irregularities, {report.complaints} complaints."
        )
        if report.skipped_events:
            self.stderr.write(
                f"{len(report.skipped_events)} events the case's state did not allow were skipped: "
                + ", ".join(report.skipped_events[:20])
            )
