"""Background entry points of payments (to be listed in ``yiwang.core.periodic``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from yiwang.payments import selectors, services
from yiwang.payments.gateways import configured_gateway

logger = logging.getLogger("yiwang.payments")


@shared_task(name="yiwang.payments.tasks.expire_overdue")
def expire_overdue() -> int:
    """Cancel the orders not paid by their due date (hourly is plenty)."""
    return services.expire_overdue()


def reconcile_day(day: dt.date) -> selectors.DaySummary:
    """The day's payments against the gateway's statement (when it offers one)."""
    summary = selectors.day_summary(day, configured_gateway().statement(day))
    if summary.refunds_due or summary.gateway_only or summary.site_only:
        logger.warning(
            "payments reconciliation %s: refunds due %s, only at the gateway %s, only here %s",
            day,
            summary.refunds_due,
            summary.gateway_only,
            summary.site_only,
        )
    return summary


@shared_task(name="yiwang.payments.tasks.reconcile")
def reconcile(day: str | None = None) -> dict[str, Any]:
    """Reconcile a day (default: yesterday, local time); run once a day after midnight."""
    on = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    summary = dataclasses.asdict(reconcile_day(on))
    summary["day"] = on.isoformat()
    summary["paid_total"] = str(summary["paid_total"])
    return summary
