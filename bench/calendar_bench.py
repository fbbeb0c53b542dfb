"""Benchmark of the working-day calendar: 1,000,000 ``add_workdays`` calls.

Run ``.venv/bin/python bench/calendar_bench.py`` (``make bench`` migrates first). It sets
Django up itself with the project's settings (SQLite in ``var/`` unless DATABASE_URL says
otherwise); without a migrated database the calendar still works from chinesecalendar.
Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
(ROOT / "var").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from yiwang.core import calendar  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    first = dt.date(2020, 1, 1).toordinal()
    last = dt.date(2030, 12, 31).toordinal()
    starts = [dt.date.fromordinal(rng.randint(first, last)) for _ in range(args.calls)]
    lengths = [rng.randint(0, 60) for _ in range(args.calls)]

    t0 = time.perf_counter()
    calendar.is_workday(dt.date(2026, 1, 1))  # builds the tables
    build = time.perf_counter() - t0

    add_workdays = calendar.add_workdays
    t0, c0 = time.perf_counter(), time.process_time()
    ends = [add_workdays(s, n) for s, n in zip(starts, lengths, strict=True)]
    add_time, add_cpu = time.perf_counter() - t0, time.process_time() - c0

    workdays_between = calendar.workdays_between
    t0 = time.perf_counter()
    counts = [workdays_between(s, e) for s, e in zip(starts, ends, strict=True)]
    between_time = time.perf_counter() - t0

    if counts != lengths:  # the inverse property, over the whole sample
        raise SystemExit("workdays_between(start, add_workdays(start, n)) != n for some call")

    t0 = time.perf_counter()
    for s, n in zip(starts[:100_000], lengths[:100_000], strict=True):
        calendar.due_date(s, n, calendar.NATURAL_DAYS)
    natural_time = time.perf_counter() - t0

    print(f"tables built (first call):      {build * 1000:8.1f} ms")
    print(
        f"add_workdays:     {args.calls:>9,} calls in {add_time:6.3f} s "
        f"= {args.calls / add_time:>12,.0f} calls/s (starts 2020-2030, n 0..60; CPU {add_cpu:.3f} s)"
    )
    print(
        f"workdays_between: {args.calls:>9,} calls in {between_time:6.3f} s "
        f"= {args.calls / between_time:>12,.0f} calls/s (inverse property held for every call)"
    )
    print(
        f"natural due_date: {100_000:>9,} calls in {natural_time:6.3f} s "
        f"= {100_000 / natural_time:>12,.0f} calls/s"
    )


if __name__ == "__main__":
    main()
