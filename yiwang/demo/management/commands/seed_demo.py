"""``manage.py seed_demo``: load the demo data and print the demo logins. Safe to run again."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.demo.data import DEMO_PASSWORD
from yiwang.demo.seed import DemoLogin, SeedResult, row_counts, seed_demo
from yiwang.org.models import Role


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _role_label(login: DemoLogin) -> str:
    if not login.roles:
        return _("superuser")
    return "、".join(str(Role(role).label) for role in login.roles)


def login_table(logins: tuple[DemoLogin, ...]) -> list[str]:
    """The demo logins as aligned text lines: username, role, scope."""
    rows = [(_("Username"), _("Role"), _("Scope"))]
    rows += [(login.username, _role_label(login), login.scope or _("everything")) for login in logins]
    widths = [max(_width(row[i]) for row in rows) for i in range(2)]
    return [f"{_pad(u, widths[0])}  {_pad(r, widths[1])}  {s}".rstrip() for u, r, s in rows]


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the demo data (Handan city with its districts, departments, service centers, staff accounts "
        "and service items). Running it again adds nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        before = row_counts()
        try:
            result: SeedResult = seed_demo()
        except (IntegrityError, ValidationError) as exc:
            raise CommandError(
                _("The demo data could not be loaded and nothing was changed: %(error)s") % {"error": exc}
            ) from exc
        added = sum(row_counts().values()) - sum(before.values())
        if added:
            self.stdout.write(self.style.SUCCESS(_("Demo data loaded: %(n)d rows added.") % {"n": added}))
        else:
            self.stdout.write(_("The demo data was already loaded; nothing was added."))
        self.stdout.write(_("%(n)d demo service items.") % {"n": len(result.item_codes)})
        self.stdout.write("")
        self.stdout.write(
            _("Demo logins (the password of every account is %(password)s; sign in at /admin/):")
            % {"password": DEMO_PASSWORD}
        )
        for line in login_table(result.logins):
            self.stdout.write(f"  {line}")
