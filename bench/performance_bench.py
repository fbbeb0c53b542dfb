"""Benchmark of the performance reports over a province's daily facts.

Loads ``--facts`` rows (default 10,000,000) of ``DailyFact`` for one province: 11 cities,
``--counties`` counties under them, ``--departments`` departments per county, over the
working days of ``--years`` years (default 4) ending with the month reported, each row one day of
one department, item, window and staff member, with plausible figures. Then times, with
warm caches (median of 5, the first run reported too):

1. the monthly report of a city: every department's score under the default 100-point
   scheme with its indicator breakdown and rank (``scoring.scores``);
2. the same for the whole province;
3. the leader's dashboard of a city (``reports.dashboard``): month-to-date figures, the
   twelve-month trend, the ranking's top and bottom, cards and complaints;
4. the quarterly and the annual ranking of a city.

The facts are generated inside the database (``generate_series`` on PostgreSQL, a
recursive CTE on SQLite), as a year of upkeep would have left them; what is timed goes
through the same functions the pages call. Run
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/performance_bench.py``;
without DATABASE_URL it runs on a throw-away SQLite file (use ``--facts 200000`` there).
Prints figures; not a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases_bench import describe_database, throwaway_database

REPORT_MONTH = (2026, 10)
CITIES = 11


def build_org(counties: int, per_county: int) -> tuple[Any, list[Any], list[int]]:
    """A province, its cities and counties, and the departments (bulk-created)."""
    from yiwang.org.models import Department, Region, RegionLevel

    province = Region.objects.create(
        code="130000000000", name="河北省", level=RegionLevel.PROVINCE, path="13"
    )
    cities = []
    for c in range(CITIES):
        code = f"13{c + 1:02d}"
        cities.append(
            Region.objects.create(
                code=code.ljust(12, "0"),
                name=f"第{c + 1}市",
                level=RegionLevel.CITY,
                path=code,
                parent=province,
            )
        )
    county_rows = []
    for k in range(counties):
        city = cities[k % CITIES]
        code = f"{city.path}{k // CITIES + 1:02d}"
        county_rows.append(
            Region(
                code=code.ljust(12, "0"),
                name=f"第{k + 1}县",
                level=RegionLevel.COUNTY,
                path=code,
                parent=city,
            )
        )
    Region.objects.bulk_create(county_rows, batch_size=1000)
    county_rows = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("path"))
    from yiwang.core.identifiers import build_uscc

    departments = [
        Department(
            name=f"{county.name}第{d + 1}局",
            short_name=f"{county.name}{d + 1}局",
            uscc=build_uscc("1", "1", county.code[:6], f"{i * per_county + d:08d}0"),
            region=county,
        )
        for i, county in enumerate(county_rows)
        for d in range(per_county)
    ]
    Department.objects.bulk_create(departments, batch_size=2000)
    ids = list(Department.objects.order_by("pk").values_list("pk", flat=True))
    return province, cities, ids


def workdays(years: int) -> list[dt.date]:
    from yiwang.core import calendar

    end = dt.date(REPORT_MONTH[0], REPORT_MONTH[1], 28)
    start = dt.date(end.year - years, end.month, 1)
    days, day = [], start
    while day <= end:
        if calendar.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def load_facts(total: int, days: list[dt.date]) -> float:
    """``total`` fact rows spread evenly over ``days`` and the departments, in SQL."""
    from django.db import connection

    from yiwang.supervision.models import DailyFact

    table = DailyFact._meta.db_table
    per_day = max(1, total // len(days))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_dept")
        cursor.execute(
            "CREATE TABLE bench_dept AS SELECT d.id AS department_id, r.path AS region_path,"
            " ROW_NUMBER() OVER (ORDER BY d.id) - 1 AS n FROM org_department d JOIN org_region r ON r.id = d.region_id"
        )
        cursor.execute("SELECT COUNT(*) FROM bench_dept")
        departments = cursor.fetchone()[0]
        rows_per_department = max(1, round(per_day / departments))
        cursor.execute("DROP TABLE IF EXISTS bench_day")
        cursor.execute("CREATE TABLE bench_day (day date, n integer)")
        cursor.executemany(
            "INSERT INTO bench_day (day, n) VALUES (%s, %s)", [(d.isoformat(), i) for i, d in enumerate(days)]
        )
        series = (
            f"generate_series(0, {rows_per_department - 1})"
            if connection.vendor == "postgresql"
            else "(WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s"  # noqa: S608
            f" WHERE k < {rows_per_department - 1}) SELECT k FROM s)"
        )
        k = "k" if connection.vendor != "postgresql" else "s.k"
        source = f"{series} AS s(k)" if connection.vendor == "postgresql" else f"{series} AS s"
        # Figures vary with the department, day and row; each row is one staff member's day.
        h = f"((b.n * 7919 + dd.n * 104729 + {k} * 1299709) % 1000)"
        # Built from the model's own table name and whole numbers: nothing from outside.
        cursor.execute(
            f"""
            INSERT INTO {table} (day, department_id, region_path, item_id, window_id, staff_id,
                received, online, accepted, refused, completed, on_time, early, late,
                workdays_used, promised_days, statutory_days, supplements, repeat_supplements,
                suspensions, ratings, ratings_satisfied, ratings_poor, complaints,
                complaints_substantiated, warnings, yellow_cards, red_cards, irregularities)
            SELECT dd.day, b.department_id, b.region_path,
                1 + ({k} % 40), 1 + (b.n % 500), 1 + b.n * 8 + {k},
                3 + {h} % 5, 1 + {h} % 4, 3 + {h} % 4, {h} % 2, 2 + {h} % 4,
                2 + {h} % 3, {h} % 3, CASE WHEN {h} % 17 = 0 THEN 1 ELSE 0 END,
                8 + {h} % 20, 20 + {h} % 10, 40 + {h} % 20, {h} % 3, CASE WHEN {h} % 11 = 0 THEN 1 ELSE 0 END,
                CASE WHEN {h} % 29 = 0 THEN 1 ELSE 0 END, 1 + {h} % 3, 1 + {h} % 2, CASE WHEN {h} % 19 = 0 THEN 1 ELSE 0 END,
                CASE WHEN {h} % 97 = 0 THEN 1 ELSE 0 END, CASE WHEN {h} % 193 = 0 THEN 1 ELSE 0 END,
                CASE WHEN {h} % 23 = 0 THEN 1 ELSE 0 END, CASE WHEN {h} % 41 = 0 THEN 1 ELSE 0 END,
                CASE WHEN {h} % 211 = 0 THEN 1 ELSE 0 END, CASE WHEN {h} % 53 = 0 THEN 1 ELSE 0 END
            FROM bench_day dd CROSS JOIN bench_dept b CROSS JOIN {source}
            """  # noqa: S608
        )
        cursor.execute("DROP TABLE bench_dept")
        cursor.execute("DROP TABLE bench_day")
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {table}")  # autocommit: VACUUM runs outside a transaction
    return time.perf_counter() - started


def timed(label: str, run: Callable[[], Any], repeat: int = 5) -> Any:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    print(
        f"{label}: median {statistics.median(times) * 1000:.0f} ms of {repeat}"
        f" (first {times[0] * 1000:.0f} ms, min {min(times) * 1000:.0f} ms)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=10_000_000, help="fact rows (default 10,000,000)")
    parser.add_argument("--counties", type=int, default=170, help="counties (default 170)")
    parser.add_argument("--departments", type=int, default=30, help="departments per county (default 30)")
    parser.add_argument("--years", type=int, default=4, help="years of facts (default 4)")
    args = parser.parse_args()
    with throwaway_database() as where:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from yiwang.supervision import reports, scoring
        from yiwang.supervision.models import DailyFact

        print(f"database: {where} ({describe_database()})")
        print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        province, cities, departments = build_org(args.counties, args.departments)
        days = workdays(args.years)
        seconds = load_facts(args.facts, days)
        rows = DailyFact.objects.count()
        print(
            f"loaded {rows:,} fact rows ({len(departments):,} departments, {len(days)} working days) "
            f"in {seconds:.0f} s"
        )
        city = cities[0]
        month = scoring.Period.month(*REPORT_MONTH)
        scores = timed(
            f"monthly report of {city.name} ({month.label})",
            lambda: scoring.scores(region=city, period=month, by="department"),
        )
        print(f"  {len(scores)} departments scored; best {scores[0].total}, worst {scores[-1].total}")
        scores = timed(
            f"monthly report of the province ({month.label})",
            lambda: scoring.scores(region=province, period=month, by="department"),
        )
        print(f"  {len(scores)} departments scored")
        at = dt.datetime(REPORT_MONTH[0], REPORT_MONTH[1], 28, 10, 0).astimezone()
        timed(f"leader's dashboard of {city.name}", lambda: reports.dashboard(region=city, at=at))
        today = at.date()
        timed("  of which the twelve-month trend", lambda: reports.trend(city, today))
        timed("  of which the counties' figures", lambda: reports.areas(city, today.replace(day=1), today))
        timed("  of which the month's figures", lambda: reports.figures(city, today.replace(day=1), today))
        quarter = scoring.Period.quarter(REPORT_MONTH[0], (REPORT_MONTH[1] - 1) // 3 + 1)
        timed(
            f"quarterly ranking of {city.name} ({quarter.label})",
            lambda: scoring.scores(region=city, period=quarter, by="department"),
        )
        year = scoring.Period.year(REPORT_MONTH[0] - 1)
        timed(
            f"annual ranking of {city.name} ({year.label})",
            lambda: scoring.scores(region=city, period=year, by="department"),
        )


if __name__ == "__main__":
    main()
