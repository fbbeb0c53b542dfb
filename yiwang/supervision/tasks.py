"""Background entry points of supervision (listed in ``yiwang.core.periodic``)."""

from __future__ import annotations

from celery import shared_task

from yiwang.supervision import services


@shared_task(name="yiwang.supervision.tasks.sweep")
def sweep() -> dict[str, int]:
    """Raise the warnings and cards due now. Safe on any number of workers at once."""
    report = services.sweep()
    return {"watches": report.watches, "alerts": report.alerts, "notices": report.notices}


@shared_task(name="yiwang.supervision.tasks.issue_notices")
def issue_notices() -> int:
    """Render the PDFs of the notices the sweep numbered and record them in the ledger."""
    return services.issue_pending_notices()


@shared_task(name="yiwang.supervision.tasks.rewatch")
def rewatch(
    rule_set_id: int | None = None,
    region_id: int | None = None,
    department_id: int | None = None,
    item_id: int | None = None,
) -> int:
    """Recompute the watches of the open cases a rule change covers."""
    from yiwang.catalog.models import Item
    from yiwang.org.models import Department, Region

    return services.rewatch_scope(
        rule_set_id=rule_set_id,
        region=Region.objects.get(pk=region_id) if region_id else None,
        department=Department.objects.get(pk=department_id) if department_id else None,
        item=Item.objects.get(pk=item_id) if item_id else None,
    )
