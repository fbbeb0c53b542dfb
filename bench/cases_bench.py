"""Benchmark of the case services: file and carry 10,000 cases to delivery, then verify the ledger.

Each case is filed at a window, accepted, passed through 承办 and 审核, decided, completed
(办结) and delivered (送达): seven events, every one through ``yiwang.cases.services``
(locking, role and scope checks, the hash chain, the projection). Then
``manage.py verify_ledger`` checks every chain.

Run ``.venv/bin/python bench/cases_bench.py [--cases N]``. It never touches the project's
database: on SQLite (DATABASE_URL unset or sqlite://) it migrates a fresh database in a
temporary directory; when DATABASE_URL points at PostgreSQL it creates a throw-away
database ``yiwang_bench_<pid>`` on that server and drops it at the end. Prints figures;
it is not a timed test. The machine may be shared: CPU time is shown beside wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Point DATABASE_URL at a database of our own for the run; remove it afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(url).scheme
    if scheme.startswith("postgres"):
        import psycopg

        name = f"yiwang_bench_{os.getpid()}"
        parts = urlsplit(url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        try:
            yield f"PostgreSQL database {name} on {parts.hostname}:{parts.port or 5432}"
        finally:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    if url and scheme != "sqlite":
        raise SystemExit(f"DATABASE_URL must be sqlite:// or postgres://, not {scheme}://")
    directory = Path(tempfile.mkdtemp(prefix="yiwang_bench_"))
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(directory / "media")
    try:
        yield f"SQLite database {directory / 'bench.sqlite3'}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def fixtures() -> dict[str, Any]:
    """The minimum to file cases: a county, its market bureau, four staff, one licensing item."""
    from yiwang.catalog.factories import published_item
    from yiwang.catalog.models import StepKind
    from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant, region
    from yiwang.org.models import Department, RegionLevel, Role, Staff

    province = region("130000", "河北省", RegionLevel.PROVINCE)
    city = region("130400", "邯郸市", RegionLevel.CITY, province)
    county = region("130402", "邯山区", RegionLevel.COUNTY, city)
    dept: Department = DepartmentFactory(  # type: ignore[assignment]
        name="邯山区市场监督管理局", short_name="邯山区市场监管局", region=county
    )
    version = published_item(
        code="BENCH-SPJY-001",
        name="食品经营许可",
        department=dept,
        statutory_limit=20,
        promised_limit=10,
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        steps=(
            {"name": "受理", "kind": StepKind.ACCEPT, "role": Role.WINDOW_OPERATOR, "limit": 1},
            {"name": "承办", "kind": StepKind.HANDLE, "role": Role.HANDLER, "limit": 3},
            {"name": "审核", "kind": StepKind.REVIEW, "role": Role.REVIEWER, "limit": 2},
            {"name": "决定", "kind": StepKind.DECIDE, "role": Role.APPROVER, "limit": 2},
            {"name": "办结", "kind": StepKind.COMPLETE, "role": Role.HANDLER, "limit": 1},
            {"name": "送达", "kind": StepKind.DELIVER, "role": Role.WINDOW_OPERATOR, "limit": 1},
        ),
        materials=({"name": "食品经营许可申请书"},),
        effective_from=dt.date(2024, 1, 1),
    )
    users = {}
    for username, name, role, scope in (
        ("window", "王窗口", Role.WINDOW_OPERATOR, {"region": county}),
        ("handler", "李承办", Role.HANDLER, {"department": dept}),
        ("reviewer", "张审核", Role.REVIEWER, {"department": dept}),
        ("approver", "赵批准", Role.APPROVER, {"department": dept}),
    ):
        staff: Staff = StaffFactory(user=UserFactory(username=username), name=name, department=dept)  # type: ignore[assignment]
        grant(staff, role, **scope)
        users[username] = staff.user
    return {"version": version, **users}


def describe_database() -> str:
    import sqlite3

    from django.db import connection

    if connection.vendor == "postgresql":
        version: int = getattr(connection, "pg_version", 0)  # e.g. 150008
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return f"SQLite {sqlite3.sqlite_version}"


def run_cases(count: int, f: dict[str, Any], progress: bool, first: int = 0) -> tuple[int, float, float]:
    """File and complete ``count`` cases; return (events, wall seconds, CPU seconds)."""
    from yiwang.cases import services
    from yiwang.cases.models import CaseEvent, Channel
    from yiwang.core.identifiers import build_resident_id

    version, window, handler, reviewer, approver = (
        f["version"],
        f["window"],
        f["handler"],
        f["reviewer"],
        f["approver"],
    )
    events_before = CaseEvent.objects.count()
    born = dt.date(1970, 1, 1)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(first, first + count):
        case = services.case_file(
            version=version,
            channel=Channel.WINDOW,
            applicant_kind="individual",
            applicant_name="张晓梅",
            applicant_id_number=build_resident_id("130402", born + dt.timedelta(days=i % 9000), i % 1000),
            applicant_mobile=f"138{i:08d}",
            form_data={"经营场所": f"邯郸市邯山区渚河路{i % 400 + 1}号"},
            user=window,
            idempotency_key=f"bench-{i}",
        )
        services.case_accept(case=case, user=window)
        services.case_pass_step(case=case, user=handler, opinion="材料齐全，符合法定条件，拟同意。")
        services.case_pass_step(case=case, user=reviewer, opinion="同意承办意见。")
        services.case_decide(case=case, user=approver, decision="approved")
        services.case_complete(case=case, user=handler, fee_charged=0, result_number=f"JY1130402{i:07d}")
        services.case_deliver(case=case, user=window, method="electronic")
        done = i + 1 - first
        if progress and done % 1000 == 0:
            elapsed = time.perf_counter() - t0
            print(f"  {done:>6,} cases, {elapsed:7.1f} s, {done / elapsed:6.1f} cases/s", file=sys.stderr)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return CaseEvent.objects.count() - events_before, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="how many cases (default 10000)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="afterwards, profile N more cases with cProfile and print the hot spots",
    )
    args = parser.parse_args()

    with throwaway_database() as where:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        # Argon2 is slow on purpose; the four staff accounts need no strong hash here.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_time = time.perf_counter() - t0
        f = fixtures()
        print(f"database: {where} ({describe_database()})")
        print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"migrated in {migrate_time:.1f} s")

        events, wall, cpu = run_cases(args.cases, f, progress=not args.quiet)
        print(
            f"filed and delivered {args.cases:,} cases ({events:,} events) in {wall:.1f} s: "
            f"{args.cases / wall:,.1f} cases/s, {events / wall:,.0f} events/s"
        )
        # On a shared machine the process's own CPU time says more than the wall clock
        # (on PostgreSQL the server's work is not in it).
        print(
            f"  this process's CPU time {cpu:.1f} s: {args.cases / cpu:,.1f} cases and "
            f"{events / cpu:,.0f} events per CPU second"
        )

        out, err = io.StringIO(), io.StringIO()
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            call_command("verify_ledger", stdout=out, stderr=err)
            verdict = out.getvalue().strip()
        except SystemExit:
            verdict = "FAILED: " + err.getvalue().strip().splitlines()[-1]
        verify_wall, verify_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"verify_ledger over {args.cases:,} cases / {events:,} events: {verify_wall:.1f} s "
            f"(CPU {verify_cpu:.1f} s), {events / verify_wall:,.0f} events/s — {verdict}"
        )

        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run_cases(args.profile, f, progress=False, first=args.cases)
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stdout)
            print(f"\nprofile of {args.profile} more cases (cumulative time, project code and the ORM):")
            stats.sort_stats("cumulative").print_stats(r"yiwang/|django/db/models/(query|sql/compiler)", 30)
        if connection.vendor == "postgresql":
            connection.close()


if __name__ == "__main__":
    main()
