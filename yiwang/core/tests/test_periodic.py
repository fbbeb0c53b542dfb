import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yiwang.core.management.commands.serve import run_periodic_forever
from yiwang.core.periodic import PERIODIC_TASKS


def test_every_periodic_task_resolves_to_a_registered_celery_task() -> None:
    from yiwang.celery import app

    for job in PERIODIC_TASKS:
        assert job.task().name == job.task_name
        assert job.task_name in app.tasks


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)
def test_in_process_runner_runs_the_calendar_check(caplog: pytest.LogCaptureFixture) -> None:
    """In November 2026 next year's holidays are not yet in the calendar: the background
    check run by `make run` reports 2027."""
    stop = threading.Event()
    thread = threading.Thread(target=run_periodic_forever, args=(stop, 0.05), daemon=True)
    with caplog.at_level("INFO"):
        thread.start()
        stop.wait(0.5)
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert "failed" not in caplog.text
    assert "holiday schedule of 2027 is not entered" in caplog.text
