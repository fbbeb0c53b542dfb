"""Background entry points of the core app (listed in ``yiwang.core.periodic``)."""

from __future__ import annotations

import logging

from celery import shared_task

from yiwang.core import calendar, notify

logger = logging.getLogger(__name__)


@shared_task(name="yiwang.core.tasks.check_calendar_coverage")
def check_calendar_coverage() -> list[int]:
    """Log a warning for each watched year (this one; from November also the next) whose
    holiday schedule is unknown, and return those years. Read-only, safe to run anywhere
    and any number of times."""
    missing = calendar.uncovered_years(calendar.watched_years())
    for year in missing:
        logger.warning(
            "calendar: the holiday schedule of %d is not entered; working days fall back to Monday-Friday",
            year,
        )
    return missing


@shared_task(name="yiwang.core.tasks.deliver_notifications")
def deliver_notifications() -> dict[str, int]:
    """Send the due emails and SMS of the outbox (``yiwang.core.notify``). Claims its rows
    first, so any number of workers may run it at once."""
    report = notify.deliver_pending()
    return {
        "sent": report.sent,
        "retrying": report.retrying,
        "given_up": report.failed,
        "released": report.released,
    }
