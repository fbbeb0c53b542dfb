"""Background work of the e-license library (scheduled in ``yiwang.core.periodic``)."""

from __future__ import annotations

from celery import shared_task

from yiwang.licenses.services import expire_licenses as _expire


@shared_task(name="yiwang.licenses.tasks.expire_licenses")
def expire_licenses() -> int:
    """Daily, just after midnight: licenses past their end date become expired."""
    return _expire()
