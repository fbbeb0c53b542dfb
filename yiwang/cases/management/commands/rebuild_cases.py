"""``manage.py rebuild_cases``: recompute every case row from its events."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from yiwang.cases.models import Case
from yiwang.cases.services import case_rebuild


class Command(BaseCommand):
    help = "Rebuild the case projection from the event ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", action="append", default=[], help="only these case numbers")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = Case.objects.select_related("item_version").order_by("pk")
        if options["case"]:
            cases = cases.filter(number__in=options["case"])
        changed = total = 0
        for case in cases.iterator(chunk_size=500):
            with transaction.atomic():
                changed += case_rebuild(case=case)
            total += 1
        self.stdout.write(f"rebuilt {total} cases; {changed} differed from their events and were corrected")
