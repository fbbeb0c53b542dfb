"""Background entry points of the service hall (listed in ``yiwang.core.periodic``)."""

from __future__ import annotations

from celery import shared_task

from yiwang.hall import services


@shared_task(name="yiwang.hall.tasks.send_reminders")
def send_reminders() -> int:
    """Remind citizens of their confirmed appointments on the next working day, once each.
    Safe to run twice and on any number of workers at once; sends only 08:00–21:00."""
    return services.send_reminders()
