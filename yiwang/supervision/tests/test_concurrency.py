"""Two sweeps at the same moment on two workers raise each alert once (PostgreSQL, where
workers really run in parallel; SQLite serialises writers by itself)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from yiwang.cases import services as cases
from yiwang.cases.tests.conftest import at
from yiwang.supervision import services
from yiwang.supervision.models import Alert, Notice, RuleSet, Watch
from yiwang.supervision.presets import ROOM
from yiwang.supervision.tests.test_sweep import file_case

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_raise_each_alert_once(food_licence, window_user):
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    for _ in range(40):
        case = file_case(food_licence, window_user)
        cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    assert Watch.objects.filter(next_at__isnull=False).count() == 40

    moment = at("2025-10-27", "09:00")
    barrier = threading.Barrier(2)
    reports: list[services.SweepReport] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            reports.append(services.sweep(moment, batch=7, notify=False))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    # Yellow and red for each of the 40 cases, once, shared between the two workers.
    assert Alert.objects.count() == 80
    assert sum(r.alerts for r in reports) == 80
    assert Notice.objects.count() == 80
    assert sorted(Notice.objects.values_list("serial", flat=True).filter(kind="inquiry")) == list(
        range(1, 41)
    )
