"""Supervision listens to the case ledger: every recorded event refreshes the case's watch
(its deadlines and the next moment a rule can fire) and runs the irregularity detectors
on what that event makes true."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from yiwang.cases.models import SUPERVISION_EVENTS, Case, CaseEvent
from yiwang.cases.signals import event_recorded
from yiwang.cases.workflow import CaseView, Template
from yiwang.supervision import facts as daily_facts


@receiver(event_recorded, sender=Case, dispatch_uid="supervision.on_event")
def on_event(
    *,
    case: Case,
    event: CaseEvent,
    view: CaseView,
    template: Template,
    events: list[CaseEvent] | None = None,
    **kwargs: Any,
) -> None:
    if event.type in SUPERVISION_EVENTS:
        return
    from yiwang.supervision.services import detect_case, refresh_watch, rules_stamp

    stamp = rules_stamp()  # one look at the rule tables serves both
    refresh_watch(case=case, view=view, template=template, event=event, stamp=stamp)
    detect_case(case=case, only_last=True, events=events, stamp=stamp)
    daily_facts.on_case_event(case=case, event=event, view=view, template=template, events=events)
