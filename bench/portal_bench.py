"""Benchmark of the citizen portal's pages on the demo data.

Seeds the demo (``seed_demo``) into a throw-away database unless ``DATABASE_URL`` points
at one already seeded, then requests each page ``--runs`` times through Django's test
client as the demo citizen 张三 (``zhangsan``) or anonymously, and prints for each the
median and the slowest time and the number of SQL queries:

- the guide page of 食品经营许可 (with its online services and published answers),
- my cases, one case's timeline, messages, my account,
- the booking page of an item that takes appointments,
- a consultation question page, the rating page of a completed case.

Run ``.venv/bin/python bench/portal_bench.py`` (SQLite) or with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/yiwang_bench``. Prints figures; not a
timed test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases_bench import describe_database, throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with throwaway_database() as where:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        call_command("migrate", verbosity=0)
        from django.contrib.auth import get_user_model

        from yiwang.cases.models import Case, CaseState
        from yiwang.catalog.models import ItemVersion
        from yiwang.demo.seed import seed_demo
        from yiwang.portal.models import Consultation

        started = time.perf_counter()
        seed_demo()
        print(f"{where}, {describe_database()}: demo seeded in {time.perf_counter() - started:.1f} s")
        citizen = Client(HTTP_HOST="127.0.0.1")
        citizen.force_login(get_user_model().objects.get(username="zhangsan"))
        visitor = Client(HTTP_HOST="127.0.0.1")
        food = (
            ItemVersion.objects.filter(status="published", name="食品经营许可").select_related("item").first()
        )
        booking = (
            ItemVersion.objects.filter(status="published", appointment=True).select_related("item").first()
        )
        mine = Case.objects.filter(applicant_user__username="zhangsan").order_by("-submitted_at")
        completed = mine.filter(state__in=[CaseState.COMPLETED, CaseState.DELIVERED]).first()
        question = Consultation.objects.exclude(answer="").first()
        pages: list[tuple[str, Client, str]] = [
            ("guide page", visitor, f"/items/{food.item.code}/" if food else ""),
            ("my cases", citizen, "/my/cases/"),
            ("one case's timeline", citizen, f"/my/cases/{mine.first().number}/" if mine.exists() else ""),
            ("messages", citizen, "/my/messages/"),
            ("my account", citizen, "/account/"),
            ("booking page", citizen, f"/book/items/{booking.item.code}/" if booking else ""),
            ("consultation", visitor, f"/consult/q/{question.query_token}/" if question else ""),
            ("rating page", citizen, f"/rate/{completed.number}/" if completed else ""),
        ]
        print(f"{'page':<22}{'median ms':>10}{'max ms':>9}{'queries':>9}  status")
        for name, client, url in pages:
            if not url:
                print(f"{name:<22}  (not in the demo)")
                continue
            times = []
            status = 0
            connection.queries_log.clear()  # full after seeding: a full log would count nothing
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            for _ in range(args.runs):
                t = time.perf_counter()
                status = client.get(url).status_code
                times.append((time.perf_counter() - t) * 1000)
            print(
                f"{name:<22}{statistics.median(times):>10.1f}{max(times):>9.1f}"
                f"{len(queries.captured_queries):>9}  {status}"
            )


if __name__ == "__main__":
    main()
