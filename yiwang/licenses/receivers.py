"""The e-license library listens to the case ledger: completing an approved case whose
item issues a license or certificate issues its e-license, in the same transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from yiwang.cases.models import Case, CaseEvent, EventType
from yiwang.cases.signals import event_recorded


@receiver(event_recorded, sender=Case, dispatch_uid="licenses.on_event")
def on_event(*, case: Case, event: CaseEvent, **kwargs: Any) -> None:
    if event.type != EventType.COMPLETE:
        return
    from yiwang.licenses.services import license_issue_for_case

    license_issue_for_case(case=case, event=event)
