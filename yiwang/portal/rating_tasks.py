"""Background entry point of the ratings (to be listed in ``yiwang.core.periodic``)."""

from __future__ import annotations

from celery import shared_task

from yiwang.portal import ratings


@shared_task(name="yiwang.portal.rating_tasks.tell_overdue_followups")
def tell_overdue_followups() -> int:
    """Tell the departments and their supervisors, once each, of the poor-rating
    follow-ups left unanswered past their due date. Safe on any number of workers."""
    return ratings.tell_overdue()
