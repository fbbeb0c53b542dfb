"""``manage.py verify_ledger``: check every case's hash chain; exit 1 naming each case
whose events were altered, removed, reordered or inserted."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yiwang.cases.ledger import verify_events
from yiwang.cases.models import Case, CaseEvent


class Command(BaseCommand):
    help = "Verify the tamper-evident case ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", action="append", default=[], help="only these case numbers")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        cases = Case.objects.order_by("pk")
        if options["case"]:
            cases = cases.filter(number__in=options["case"])
        bad: list[str] = []
        checked = 0
        last_pk = 0
        while True:
            batch = list(cases.filter(pk__gt=last_pk)[: options["batch"]])
            if not batch:
                break
            last_pk = batch[-1].pk
            events_by_case: dict[int, list[CaseEvent]] = {c.pk: [] for c in batch}
            for event in CaseEvent.objects.filter(case_id__in=events_by_case).order_by(
                "case_id", "seq", "pk"
            ):
                events_by_case[event.case_id].append(event)
            for case in batch:
                problems = verify_events(case, events_by_case[case.pk])
                checked += 1
                if problems:
                    bad.append(case.number)
                    for problem in problems:
                        self.stderr.write(f"TAMPERED {problem}")
        if bad:
            self.stderr.write(f"{len(bad)} of {checked} cases failed verification: {', '.join(bad)}")
            sys.exit(1)
        self.stdout.write(f"ledger verified: {checked} cases, every chain intact")
