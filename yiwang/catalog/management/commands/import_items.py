"""``manage.py import_items FILE [--dry-run]``: load service items from an Excel workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.catalog.excel import import_workbook


class Command(BaseCommand):
    help = (
        "Import service items from an Excel workbook laid out as export_items writes it "
        "(see yiwang/catalog/excel.py). Everything is checked first; on any problem all of them "
        "are listed, nothing is imported and the command exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the .xlsx workbook")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count the changes, then roll them back"
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=0,
            metavar="N",
            help="print a progress line every N rows or items (default: every 10%%)",
        )

    def handle(self, *args: Any, file: str, dry_run: bool, progress_every: int, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        self._every = max(progress_every, 0)
        self._last: dict[str, int] = {}
        self.stdout.write(_("Reading %(path)s …") % {"path": path})
        result = import_workbook(path, dry_run=dry_run, progress=self._progress)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                ngettext(
                    "The import failed with %(n)d problem; nothing was imported.",
                    "The import failed with %(n)d problems; nothing was imported.",
                    len(result.problems),
                )
                % {"n": len(result.problems)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(rows)d rows checked, %(items)d items: %(created)d items created, "
                    "%(published)d new versions published, %(unchanged)d unchanged; "
                    "catalog entries: %(entries_created)d created, %(entries_updated)d updated."
                )
                % {
                    "rows": result.rows,
                    "items": result.items,
                    "created": result.items_created,
                    "published": result.versions_published,
                    "unchanged": result.unchanged,
                    "entries_created": result.entries_created,
                    "entries_updated": result.entries_updated,
                }
            )
        )
        if dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was saved.")))

    def _progress(self, stage: str, done: int, total: int) -> None:
        if total <= 0 or done <= 0:
            return
        step = self._every or max(1, total // 10)
        if done != total and done - self._last.get(stage, 0) < step:
            return
        self._last[stage] = done
        values = {"done": done, "total": total, "percent": done * 100 // total}
        if stage == "validate":
            self.stdout.write(_("Checked %(done)d of %(total)d rows (%(percent)d%%)") % values)
        else:
            self.stdout.write(_("Wrote %(done)d of %(total)d changed items (%(percent)d%%)") % values)
