"""Parallel approval (并联审批).

An item whose version names partner items (``catalog.ParallelPartner``) is handled
jointly: when a case of it (the lead) is accepted at the comprehensive window, one branch
case per partner is filed and accepted at the same moment (一窗受理), against the
partner's version in force, in the partner's department, for the same applicant and form.
Each branch then runs its own steps with its own department's staff and its own deadline
(its item's promised limit); the lead's due date is the joint deadline (行政许可法 §26:
45 working days for joint handling, +15 with the head's approval).

The lead is decided only once every branch has decided, approved or denied; its decision
event records each branch's. A branch is never withdrawn on its own: withdrawing the lead
withdraws its open branches.

Events a lead records on its branches carry the role ``parallel`` and the lead's number:
the acting user is the one who acted on the lead (the window operator who accepted it,
the applicant who withdrew it), whatever their scope over the partner departments.
``yiwang.cases.services`` calls in here from ``case_accept``, ``case_decide`` and
``case_withdraw``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases.models import Case, CaseFile, CaseState, Decision, EventType
from yiwang.cases.services import (
    PARALLEL_ROLE,
    CaseError,
    CaseErrorCode,
    Upload,
    User,
    _append,
    _check_time,
    _lock,
    case_file,
    template_of,
)
from yiwang.cases.workflow import fold
from yiwang.catalog.models import ItemVersion, Material
from yiwang.org.models import Department

# A branch still open to withdrawal along with its lead: not yet decided, not closed.
WITHDRAWABLE_STATES = (
    CaseState.SUBMITTED,
    CaseState.SUPPLEMENT,
    CaseState.IN_PROGRESS,
    CaseState.SUSPENDED,
)


class Branch(NamedTuple):
    """One partner department's part of a joint approval."""

    case: Case
    department: Department
    state: str
    due_date: dt.date | None
    decision: str


@dataclass(frozen=True)
class JointStatus:
    """A lead case and its branches, as the staff pages, the API and the applicant's
    progress page show them."""

    lead: Case
    branches: list[Branch]
    all_decided: bool
    joint_due: dt.date | None

    @property
    def denied(self) -> list[Branch]:
        return [b for b in self.branches if b.decision == Decision.DENIED]

    @property
    def pending(self) -> list[Branch]:
        return [b for b in self.branches if not b.decision]


def joint_status(lead: Case) -> JointStatus:
    """The joint approval a case belongs to (given a branch, that of its lead); one query
    for a lead."""
    if lead.parent_id is not None:
        lead = Case.objects.select_related("department").get(pk=lead.parent_id)
    branches = [
        Branch(case=c, department=c.department, state=c.state, due_date=c.due_date, decision=c.decision)
        for c in Case.objects.filter(parent_id=lead.pk).select_related("department").order_by("number")
    ]
    return JointStatus(
        lead=lead,
        branches=branches,
        all_decided=all(b.decision for b in branches),
        joint_due=lead.due_date,
    )


# --------------------------------------------------------------------------- acceptance


def spawn_branches(*, case: Case, user: User | None, at: dt.datetime | None) -> list[Case]:
    """File and accept, at ``at``, a branch for each partner item of an accepted lead.

    Called by ``case_accept`` inside its transaction: a partner with no version in force
    refuses the whole acceptance (``version_not_in_force``) and nothing is recorded.
    The applicant's files are handed on to each branch, under the partner's material of
    the same name where there is one.
    """
    lead = case
    if lead.parent_id is not None:
        raise CaseError(
            _("Case %(number)s is itself a branch of a parallel approval.") % {"number": lead.number},
            CaseErrorCode.BAD_INPUT,
        )
    if lead.accepted_at is None:
        raise CaseError(
            _("Case %(number)s must be accepted before its parallel approval starts.")
            % {"number": lead.number},
            CaseErrorCode.ILLEGAL_IN_STATE,
        )
    at = at or timezone.now()
    partners = list(lead.item_version.partners.select_related("partner"))
    already = set(Case.objects.filter(parent_id=lead.pk).values_list("item_id", flat=True))
    in_force = {
        v.item_id: v
        for v in ItemVersion.objects.in_force(timezone.localdate(at))
        .filter(item_id__in=[p.partner_id for p in partners])
        .select_related("item__region")
    }
    missing = [p.partner.code for p in partners if p.partner_id not in in_force]
    if missing:
        raise CaseError(
            _(
                "Case %(number)s cannot be accepted for parallel approval: partner item %(codes)s has no version in force."
            )
            % {"number": lead.number, "codes": "、".join(missing)},
            CaseErrorCode.VERSION_NOT_IN_FORCE,
        )
    lead_files = list(CaseFile.objects.filter(case_id=lead.pk).select_related("material").order_by("pk"))
    branches = []
    for partner in partners:
        if partner.partner_id in already:
            continue
        version = in_force[partner.partner_id]
        opened: list[UploadedFile] = []
        try:
            uploads = _handed_on(lead_files, version, opened)
            branch = case_file(
                version=version,
                channel=lead.channel,
                applicant_kind=lead.applicant_kind,
                applicant_name=lead.applicant_name,
                applicant_id_number=lead.applicant_id_number,
                applicant_mobile=lead.applicant_mobile,
                form_data=lead.form_data,
                uploads=uploads,
                user=user,
                applicant_user=lead.applicant_user,
                at=at,
                on_behalf_of_lead=lead,
            )
        finally:
            for f in opened:
                f.close()
        branches.append(
            _record(branch, event_type=EventType.ACCEPT, user=user, at=at, payload={"lead": lead.number})
        )
    return branches


def _handed_on(files: Sequence[CaseFile], version: ItemVersion, opened: list[UploadedFile]) -> list[Upload]:
    """The lead's stored files as uploads to a branch (opened files are added to ``opened``)."""
    by_name: Mapping[str, Material] = {m.name: m for m in version.materials.all()}
    uploads = []
    for stored in files:
        stored.file.open("rb")
        upload = UploadedFile(
            file=stored.file, name=stored.name, content_type=stored.content_type, size=stored.size
        )
        opened.append(upload)
        material = by_name.get(stored.material.name) if stored.material is not None else None
        uploads.append(Upload(upload, material))
    return uploads


# --------------------------------------------------------------------------- decision


def require_branches_decided(*, case: Case) -> dict[str, Any]:
    """Refuse to decide a lead while a branch is still deciding (``branches_pending``,
    naming those departments). Otherwise the branches' decisions, for the lead's decision
    event (empty for a case that is not a lead)."""
    if case.parent_id is not None:
        return {}
    branches = list(Case.objects.filter(parent_id=case.pk).select_related("department").order_by("number"))
    if not branches:
        return {}
    pending = [b for b in branches if not b.decision]
    if pending:
        departments = "、".join(dict.fromkeys(b.department.name for b in pending))
        raise CaseError(
            _(
                "Case %(number)s is approved in parallel and can be decided once every partner department has decided; still deciding: %(departments)s."
            )
            % {"number": case.number, "departments": departments},
            CaseErrorCode.BRANCHES_PENDING,
        )
    return {
        "branches": [
            {"case": b.number, "department": b.department.name, "decision": b.decision} for b in branches
        ]
    }


# --------------------------------------------------------------------------- withdrawal


def withdraw_branches(*, case: Case, user: User | None, reason: str, at: dt.datetime | None) -> list[Case]:
    """After ``case`` was withdrawn: withdraw its open branches at the same moment.

    A branch itself cannot be withdrawn on its own (``illegal_in_state``); called from
    ``case_withdraw`` inside its transaction, the error undoes the withdrawal. Branches
    already decided keep their decision.
    """
    if case.parent_id is not None:
        lead_number = Case.objects.filter(pk=case.parent_id).values_list("number", flat=True).first()
        raise CaseError(
            _(
                "Case %(number)s is part of the parallel approval %(lead)s and cannot be withdrawn on its own; withdraw case %(lead)s instead."
            )
            % {"number": case.number, "lead": lead_number},
            CaseErrorCode.ILLEGAL_IN_STATE,
        )
    at = at or timezone.now()
    open_branches = Case.objects.filter(parent_id=case.pk, state__in=WITHDRAWABLE_STATES).order_by("number")
    return [
        _record(
            branch,
            event_type=EventType.WITHDRAW,
            user=user,
            at=at,
            payload={"reason": reason.strip(), "lead": case.number},
        )
        for branch in open_branches
    ]


# --------------------------------------------------------------------------- ledger


def _record(
    branch: Case, *, event_type: str, user: User | None, at: dt.datetime, payload: Mapping[str, Any]
) -> Case:
    """Append an event the lead records on a branch: the lead's user, in the ``parallel``
    role, through the same ledger path as every other event."""
    locked = _lock(branch)
    template = template_of(locked)
    view = fold(locked.events.order_by("seq"), template)
    _check_time(view.last_event_at, at)
    _append(
        case=locked,
        view=view,
        template=template,
        event_type=event_type,
        user=user,
        role=PARALLEL_ROLE,
        at=at,
        payload=payload,
    )
    return locked
