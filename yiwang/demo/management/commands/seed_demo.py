"""``manage.py seed_demo``: load the demo data and print the demo logins. Safe to run again."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.cases.models import CaseState
from yiwang.demo.cases import DEMO_CASES, CaseSeedResult
from yiwang.demo.data import DEMO_PASSWORD
from yiwang.demo.seed import DemoLogin, SeedResult, row_counts, seed_demo
from yiwang.org.models import Role

# Accounts of the case-handling staff named as examples under the login table.
STAFF_EXAMPLES = ("hs_window", "hs_market_handler", "transport_approver")


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


def case_lines(result: CaseSeedResult) -> list[str]:
    """What the demo cases part did, for the command's output."""
    if not result.created:
        return [_("The %(n)d demo cases were already there; none was added.") % {"n": result.existing}]
    states = "、".join(
        f"{CaseState(state).label} {n}" for state, n in sorted(result.states.items(), key=lambda kv: -kv[1])
    )
    return [
        _(
            "%(n)d demo cases filed and handled through the case services in %(seconds).1f s "
            "(%(events)d ledger events, %(files)d files): %(states)s."
        )
        % {
            "n": result.created,
            "seconds": result.seconds,
            "events": result.events,
            "files": result.files,
            "states": states,
        }
    ]


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the demo data (Handan city with its districts, departments, service centers, staff accounts, "
        "service items and a few hundred cases). Running it again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=DEMO_CASES,
            help=_("How many demo cases there should be (default %(default)s; 0 for none)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cases"] < 0:
            raise CommandError(_("The number of demo cases cannot be negative."))
        before = row_counts()
        try:
            result: SeedResult = seed_demo(cases=options["cases"])
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
        if result.cases is not None:
            for line in case_lines(result.cases):
                self.stdout.write(line)
        if result.ratings:
            self.stdout.write(
                _(
                    "%(n)d demo cases rated online by their applicants, who have verified accounts "
                    "(demo-citizen-…, same password); satisfaction is shown on /performance/."
                )
                % {"n": result.ratings}
            )
        if result.alerts:
            self.stdout.write(
                _("%(n)d warnings and cards raised on the demo cases (see /supervision/).")
                % {"n": result.alerts}
            )
        self.stdout.write("")
        self.stdout.write(
            _("Demo logins (the password of every account is %(password)s; sign in at /admin/):")
            % {"password": DEMO_PASSWORD}
        )
        for line in login_table(result.logins):
            self.stdout.write(f"  {line}")
        self.stdout.write(
            _(
                "Citizen logins on the public site (/account/login/, same password): zhangsan (张三, "
                "verified individual), congtai (丛台食品, verified enterprise), lisi (李四, not yet verified)."
            )
        )
        if result.cases is not None:
            self.stdout.write(
                _(
                    "The demo cases of other departments are handled by %(n)d more staff accounts with the "
                    "same password, named after their department and role (e.g. %(examples)s)."
                )
                % {"n": len(result.cases.staff_usernames), "examples": ", ".join(STAFF_EXAMPLES)}
            )
