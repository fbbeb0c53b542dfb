"""Benchmark of the supervision sweep over a large number of open cases.

Loads ``--open`` open cases (default 1,000,000) with their watches, ``--due`` of them
(default 10,000) past their promised limit by the sweep's moment, under the supervision
room's ladder (yellow card one working day after the limit, with an inquiry notice).
Then times:

1. a sweep with nothing due (the moment before the first card);
2. the sweep that raises the ``--due`` yellow cards, numbers their notices and writes the
   messages to the handler's department head and supervisor (inbox, email and SMS outbox);
3. the same sweep again (nothing left to raise).

The cases and watches are bulk-loaded as rows (filing a million cases through the
services would take hours and is what ``cases_bench.py`` measures); everything timed goes
through ``yiwang.supervision.services.sweep``. Run
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/supervision_bench.py``;
without DATABASE_URL it runs on a throw-away SQLite file. Prints figures; not a timed test.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases_bench import describe_database, fixtures, throwaway_database

SWEEP_AT = dt.datetime(2026, 6, 1, 9, 0)  # a Monday
NOTHING_DUE_AT = dt.datetime(2026, 5, 31, 12, 0)


def load(open_cases: int, due: int, f: dict, batch: int = 10_000) -> float:
    from django.db import transaction
    from django.utils import timezone

    from yiwang.cases.models import Case, CaseState, Channel
    from yiwang.core import calendar
    from yiwang.supervision import services
    from yiwang.supervision.models import RuleSet, Watch
    from yiwang.supervision.rules import start_of

    version = f["version"]
    item = version.item
    dept = item.department
    region = item.region
    rule_version = services.ladder_of_rule_set("room").version_id
    services.ruleset_assign(rule_set=RuleSet.objects.get(code="room"))
    late_due = dt.date(2026, 5, 29)
    accepted_on = dt.date(2026, 5, 15)
    future = [dt.date(2026, 6, 1) + dt.timedelta(days=d) for d in range(92)]
    future = [d for d in future if calendar.is_workday(d)]
    submitted = timezone.make_aware(dt.datetime(2026, 5, 14, 10, 0))
    accepted = timezone.make_aware(dt.datetime(2026, 5, 15, 10, 0))
    t0 = time.perf_counter()
    made = 0
    while made < open_cases:
        n = min(batch, open_cases - made)
        rows = []
        watches = []
        for i in range(made, made + n):
            is_due = i < due
            due_date = late_due if is_due else future[i % len(future)]
            rows.append(
                Case(
                    number=f"130402-20260514-{i:07d}",
                    query_token=secrets.token_urlsafe(32),
                    item_version=version,
                    item=item,
                    department=dept,
                    region=region,
                    channel=Channel.WINDOW,
                    applicant_kind="individual",
                    applicant_name="张晓梅",
                    applicant_id_number="130402197001010011",
                    state=CaseState.IN_PROGRESS,
                    step_index=0,
                    submitted_at=submitted,
                    accepted_at=accepted,
                    acceptance_due=accepted_on,
                    due_date=due_date,
                )
            )
        with transaction.atomic():
            cases = Case.objects.bulk_create(rows)
            for case in cases:
                yellow_day = calendar.add_workdays(case.due_date, 1)
                watches.append(
                    Watch(
                        case=case,
                        rule_version_id=rule_version,
                        subjects=[
                            {
                                "target": "case",
                                "key": "case",
                                "name": "",
                                "due": case.due_date.isoformat(),
                                "limit": 10,
                            }
                        ],
                        next_at=start_of(yellow_day),
                    )
                )
            Watch.objects.bulk_create(watches)
        made += n
        if made % 100_000 == 0:
            print(f"  loaded {made:,} open cases, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return time.perf_counter() - t0


def timed_sweep(moment: dt.datetime) -> tuple[float, float, object]:
    from django.utils import timezone

    from yiwang.supervision import services

    t0, c0 = time.perf_counter(), time.process_time()
    report = services.sweep(timezone.make_aware(moment))
    return time.perf_counter() - t0, time.process_time() - c0, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000, help="open cases (default 1,000,000)")
    parser.add_argument("--due", type=int, default=10_000, help="of which due at the sweep (default 10,000)")
    parser.add_argument(
        "--profile", action="store_true", help="profile the sweep with cards and print hot spots"
    )
    args = parser.parse_args()
    with throwaway_database() as where:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from yiwang.org.factories import StaffFactory, UserFactory, grant
        from yiwang.org.models import Role

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        call_command("migrate", verbosity=0)
        f = fixtures()
        dept = f["version"].item.department
        for username, name, role in (
            ("head", "钱局长", Role.LEADER),
            ("supervisor", "王监察", Role.SUPERVISOR),
        ):
            staff = StaffFactory(
                user=UserFactory(username=username, email=f"{username}@example.gov.cn"),
                name=name,
                department=dept,
                mobile="13800000000",
            )
            grant(staff, role, department=dept)
        print(f"database: {where} ({describe_database()})")
        print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        seconds = load(args.open, args.due, f)
        print(f"loaded {args.open:,} open cases with their watches in {seconds:.0f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        times = []
        for _ in range(5):
            wall, cpu, report = timed_sweep(NOTHING_DUE_AT)
            times.append(wall)
        print(
            f"sweep with nothing due: median {statistics.median(times) * 1000:.1f} ms of 5 "
            f"(min {min(times) * 1000:.1f} ms); {report.watches} watches read"
        )
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        wall, cpu, report = timed_sweep(SWEEP_AT)
        if profiler:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            print(out.getvalue())
        print(f"sweep with {args.due:,} due: {wall:.2f} s wall, {cpu:.2f} s CPU — {report}")
        wall, cpu, report = timed_sweep(SWEEP_AT)
        print(f"the same sweep again: {wall * 1000:.1f} ms, {report.alerts} alerts raised")


if __name__ == "__main__":
    main()
