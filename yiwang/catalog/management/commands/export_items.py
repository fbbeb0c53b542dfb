"""``manage.py export_items FILE [--region CODE]``: write service items to an Excel workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yiwang.catalog.excel import export_workbook
from yiwang.org.models import Region


class Command(BaseCommand):
    help = (
        "Export the latest published version of every item, with its materials, fees, workflow "
        "steps and FAQ, as an Excel workbook that import_items reads back unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the .xlsx workbook to write")
        parser.add_argument(
            "--region", metavar="CODE", help="only items of this region and the regions below it"
        )

    def handle(self, *args: Any, file: str, region: str | None, **options: Any) -> None:
        scope = None
        if region:
            scope = Region.objects.filter(code=region).first()
            if scope is None:
                raise CommandError(_("No region has the code %(code)s.") % {"code": region})
        path = Path(file)
        if not path.parent.is_dir():
            raise CommandError(_("No such directory: %(path)s") % {"path": path.parent})
        result = export_workbook(path, region=scope)
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(items)d items and %(entries)d catalog entries to %(path)s.")
                % {"items": result.items, "entries": result.entries, "path": path}
            )
        )
