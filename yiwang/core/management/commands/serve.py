"""``manage.py serve``: the development server plus the periodic background work.

In embedded mode (no REDIS_URL) the periodic tasks of ``yiwang.core.periodic`` run in a
thread of the serving process, so ``make run`` needs nothing but Python. With REDIS_URL
set, Celery beat and workers do that work and this command only serves pages.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.commands.runserver import Command as RunserverCommand

from yiwang.core.periodic import PERIODIC_TASKS

logger = logging.getLogger("yiwang.periodic")


def run_periodic_forever(stop: threading.Event, tick_seconds: float = 5.0) -> None:
    """Run each registered periodic task at start and then every ``every_seconds``."""
    next_run = {job.task_name: 0.0 for job in PERIODIC_TASKS}
    while not stop.is_set():
        now = time.monotonic()
        for job in PERIODIC_TASKS:
            if now >= next_run[job.task_name]:
                next_run[job.task_name] = now + job.every_seconds
                try:
                    job.task().apply()
                except Exception:
                    logger.exception("periodic task %s failed", job.task_name)
        stop.wait(tick_seconds)


class Command(RunserverCommand):
    help = "Serve the site; in embedded mode also run the periodic background work in-process."

    def inner_run(self, *args: Any, **options: Any) -> None:
        # inner_run executes in the process that serves requests (the autoreloader's child),
        # so the background thread starts exactly once per serving process.
        if not settings.REDIS_URL:
            stop = threading.Event()
            thread = threading.Thread(target=run_periodic_forever, args=(stop,), name="periodic", daemon=True)
            thread.start()
            self.stdout.write(f"Background work: running in-process ({len(PERIODIC_TASKS)} periodic tasks).")
        else:
            self.stdout.write("Background work: Celery (start `celery -A yiwang worker -B`).")
        super().inner_run(*args, **options)
