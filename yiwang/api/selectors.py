"""Reads behind the API: which cases a caller sees, list filters, and a case's state as
the caller sees it now (deadlines, and the actions legal for them).

Scope comes from ``yiwang.org.permissions`` alone, as for the pages: staff see the cases
their role assignments cover; an applicant also sees the cases filed from their own
account. Everything else is "not found", never "forbidden", so nothing leaks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.api.actions import ACTIONS, APPLICANT_ROLE
from yiwang.cases.models import Case, CaseEvent, CaseState
from yiwang.cases.services import Upload, extension_cap
from yiwang.cases.workflow import CaseView, Deadlines, Template, TransitionError, apply_event, deadlines, fold
from yiwang.org.models import Role
from yiwang.org.permissions import can_act, visible

User = AbstractBaseUser | AnonymousUser

_LIST_RELATED = ("item", "item_version", "department", "region")
# States whose clock runs towards a date that can pass: acceptance, then completion.
_AWAITING_ACCEPTANCE = (CaseState.SUBMITTED,)
_RUNNING = (CaseState.IN_PROGRESS, CaseState.DECIDED)


def cases_for(user: User | None) -> QuerySet[Case]:
    """The cases ``user`` may see: in their scope, or filed from their own account."""
    base = Case.objects.all()
    scoped = visible(user, base)
    if user is not None and user.is_authenticated:
        return scoped | base.filter(applicant_user_id=user.pk)
    return scoped


def overdue_q(today: dt.date) -> Q:
    """Open cases whose running clock has passed its date: acceptance not decided by
    ``acceptance_due``, or not completed by ``due_date``. Cases whose clock is stopped
    (supplement, special procedure) are not overdue while it is stopped."""
    return Q(state__in=_AWAITING_ACCEPTANCE, acceptance_due__lt=today) | Q(
        state__in=_RUNNING, due_date__lt=today
    )


def is_overdue(case: Case, today: dt.date) -> bool:
    """``overdue_q`` for one loaded case (kept beside it so the two never disagree)."""
    if case.state in _AWAITING_ACCEPTANCE:
        return case.acceptance_due is not None and case.acceptance_due < today
    if case.state in _RUNNING:
        return case.due_date is not None and case.due_date < today
    return False


def filter_cases(
    queryset: QuerySet[Case],
    *,
    today: dt.date,
    states: Collection[str] = (),
    department: int | None = None,
    item: str | None = None,
    due_before: dt.date | None = None,
    overdue: bool | None = None,
) -> QuerySet[Case]:
    """Narrow a case queryset by the list filters; rows come with what a list shows."""
    if states:
        queryset = queryset.filter(state__in=list(states))
    if department is not None:
        queryset = queryset.filter(department_id=department)
    if item:
        queryset = queryset.filter(item__code=item)
    if due_before is not None:
        queryset = queryset.filter(due_date__lt=due_before)
    if overdue is True:
        queryset = queryset.filter(overdue_q(today))
    elif overdue is False:
        queryset = queryset.exclude(overdue_q(today))
    return queryset.select_related(*_LIST_RELATED).order_by("-number")


def case_for(user: User | None, number: str) -> Case | None:
    """One case by number, if ``user`` may see it."""
    return cases_for(user).filter(number=number).select_related(*_LIST_RELATED, "parent").first()


def same_filing(case: Case, data: Mapping[str, Any], uploads: Sequence[Upload]) -> bool:
    """Is a repeated filing (same Idempotency-Key) the request that created ``case``?

    The service already compares the item version and the applicant's ID number; the rest
    of the request must match too, files by content."""
    if (
        case.item.code != data["item"]
        or case.applicant_kind != data["applicant_kind"]
        or case.applicant_name != data["applicant_name"].strip()
        or case.applicant_mobile != data["applicant_mobile"].strip()
        or case.form_data != data["form_data"]
    ):
        return False
    first = case.events.filter(seq=1).values_list("payload", flat=True).first() or {}
    filed = sorted((f.get("material"), f.get("sha256")) for f in first.get("files", []))
    return filed == sorted((u.material.pk if u.material else None, _sha256(u.file)) for u in uploads)


def _sha256(file: UploadedFile) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("department").order_by("seq")


@dataclass
class _Probe:
    """A stand-in event to ask the state machine whether an action is legal now."""

    type: str
    occurred_at: dt.datetime
    payload: Mapping[str, Any]
    actor_id: int | None


# Payloads that make an otherwise legal event pass the state machine's own checks.
_PROBE_PAYLOADS: dict[str, dict[str, Any]] = {
    "return": {"to_step": 0},
    "decide": {"decision": "approved"},
    "extend": {"days": 1},
    "suspend": {"kind": "hearing"},
}


def _may_act_as(user: User | None, case: Case, role: str) -> bool:
    if role == APPLICANT_ROLE:
        return user is not None and user.is_authenticated and case.applicant_user_id == user.pk
    return can_act(user, case, Role(role))


def _separated(view: CaseView, user: User | None, event_type: str) -> bool:
    """Would separation of duties stop ``user`` from recording ``event_type``?"""
    if user is None or not user.is_authenticated:
        return False
    rules = getattr(settings, "CASE_SEPARATION_OF_DUTIES", [("accept", "decide")])
    return any(later == event_type and user.pk in view.actors.get(earlier, ()) for earlier, later in rules)


def _branches_pending(case: Case) -> bool:
    """A lead of a parallel approval is decided only once every branch has decided."""
    return case.parent_id is None and Case.objects.filter(parent_id=case.pk, decision="").exists()


def legal_actions(
    *, case: Case, view: CaseView, template: Template, user: User | None, at: dt.datetime
) -> list[str]:
    """The API actions ``user`` may take on ``case`` now, in ``ACTIONS`` order.

    Mirrors the checks of ``yiwang.cases.services``: the state machine must accept the
    event, the user must hold one of the roles the action needs for the case's region and
    department, separation of duties must not stop them, and an extension must leave room
    under the cap.
    """
    legal = []
    for spec in ACTIONS.values():
        probe = _Probe(spec.event_type, at, _PROBE_PAYLOADS.get(spec.name, {}), getattr(user, "pk", None))
        try:
            apply_event(view, probe, template)
        except TransitionError:
            continue
        if not any(_may_act_as(user, case, role) for role in spec.roles(view, template)):
            continue
        if _separated(view, user, spec.event_type):
            continue
        if spec.name == "extend" and case.extension_days >= extension_cap(case.item_version):
            continue
        if spec.name == "decide" and _branches_pending(case):
            continue
        legal.append(spec.name)
    return legal


@dataclass(frozen=True)
class CaseSnapshot:
    """A case as its detail page shows it: the row, its folded events, its deadlines as of
    today and the actions the caller may take now."""

    case: Case
    template: Template
    view: CaseView
    deadlines: Deadlines
    actions: list[str]

    @property
    def step_name(self) -> str:
        if self.view.step_index is None or not self.template.middle:
            return ""
        return self.template.middle[self.view.step_index].name


def case_snapshot(*, case: Case, user: User | None, now: dt.datetime | None = None) -> CaseSnapshot:
    now = now or timezone.now()
    template = Template.from_version(case.item_version)
    view = fold(case.events.order_by("seq"), template)
    return CaseSnapshot(
        case=case,
        template=template,
        view=view,
        deadlines=deadlines(view, template, at=timezone.localdate(now)),
        actions=legal_actions(case=case, view=view, template=template, user=user, at=now),
    )
