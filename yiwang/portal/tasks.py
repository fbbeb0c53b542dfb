"""Background entry points of the portal (listed in ``yiwang.core.periodic``)."""

from __future__ import annotations

from celery import shared_task

from yiwang.portal import consultations


@shared_task(name="yiwang.portal.tasks.consultation_reminders")
def consultation_reminders() -> dict[str, int]:
    """Tell departments, once each, of the consultations whose answer is overdue. Safe on
    any number of workers at once."""
    report = consultations.tell_overdue()
    return {"consultations": report.consultations, "messages": report.messages}
