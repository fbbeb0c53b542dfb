"""The registry of periodic background work.

The same list drives Celery beat in production (see ``yiwang/celery.py``) and the
in-process runner used by ``make run`` (``manage.py serve``), so embedded mode and a
scaled-out deployment run exactly the same task functions on the same schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class PeriodicTask:
    task_name: str
    every_seconds: float

    def task(self) -> Any:
        """The Celery task object; importing its module registers it with the app."""
        module, _, func = self.task_name.rpartition(".")
        return getattr(import_module(module), func)


PERIODIC_TASKS: list[PeriodicTask] = [
    PeriodicTask("yiwang.core.tasks.check_calendar_coverage", every_seconds=6 * 3600),
    PeriodicTask("yiwang.core.tasks.deliver_notifications", every_seconds=60),
    PeriodicTask("yiwang.supervision.tasks.sweep", every_seconds=60),
    PeriodicTask("yiwang.supervision.tasks.issue_notices", every_seconds=60),
    PeriodicTask("yiwang.hall.tasks.send_reminders", every_seconds=900),
    PeriodicTask("yiwang.licenses.tasks.expire_licenses", every_seconds=6 * 3600),
    PeriodicTask("yiwang.portal.tasks.consultation_reminders", every_seconds=3600),
    PeriodicTask("yiwang.payments.tasks.expire_overdue", every_seconds=3600),
    PeriodicTask("yiwang.payments.tasks.reconcile", every_seconds=24 * 3600),
    PeriodicTask("yiwang.portal.rating_tasks.tell_overdue_followups", every_seconds=3600),
]
