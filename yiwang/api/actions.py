"""The actions on a case the API offers: for each, its input serializer, the one service
it calls, and the roles that may take it (the same rules as ``yiwang.cases.services``,
used to tell a caller which actions are open to them now)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from yiwang.api import serializers as s
from yiwang.cases import services
from yiwang.cases.models import Case, CaseState, EventType
from yiwang.cases.services import APPLICANT_ROLE, Upload
from yiwang.cases.workflow import CaseView, Template
from yiwang.org.models import Role

User = AbstractBaseUser | AnonymousUser
Perform = Callable[[Case, User, Mapping[str, Any], Sequence[Upload]], Case]
Roles = Callable[[CaseView, Template], list[str]]

__all__ = ["ACTIONS", "APPLICANT_ROLE", "ActionSpec"]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    event_type: str
    input: type[serializers.Serializer]
    perform: Perform
    roles: Roles
    summary: Promise
    description: Promise
    takes_files: bool = False


def _accept_roles(view: CaseView, template: Template) -> list[str]:
    return [template.accept_role]


def _step_roles(view: CaseView, template: Template) -> list[str]:
    if view.step_index is not None and template.middle:
        return [template.middle[view.step_index].role]
    return [template.decide_role]


def _supplement_request_roles(view: CaseView, template: Template) -> list[str]:
    return _accept_roles(view, template) if view.state == CaseState.SUBMITTED else _step_roles(view, template)


def _applicant_or_window(view: CaseView, template: Template) -> list[str]:
    return [APPLICANT_ROLE, template.accept_role]


_SPECS = (
    ActionSpec(
        name="accept",
        event_type=EventType.ACCEPT,
        input=s.AcceptInputSerializer,
        perform=lambda case, user, d, files: services.case_accept(case=case, user=user, note=d["note"]),
        roles=_accept_roles,
        summary=_("Accept the application"),
        description=_("The case starts its steps and its time limit starts to run."),
    ),
    ActionSpec(
        name="refuse",
        event_type=EventType.REFUSE,
        input=s.RefuseInputSerializer,
        perform=lambda case, user, d, files: services.case_refuse(
            case=case, user=user, reason=d["reason"], legal_basis=d["legal_basis"]
        ),
        roles=_accept_roles,
        summary=_("Refuse the application"),
        description=_("Not accepted, in writing, with the reason and the legal basis."),
    ),
    ActionSpec(
        name="transfer",
        event_type=EventType.TRANSFER,
        input=s.TransferInputSerializer,
        perform=lambda case, user, d, files: services.case_transfer(
            case=case, user=user, to_department=d["to_department"], reason=d["reason"]
        ),
        roles=_accept_roles,
        summary=_("Transfer to the competent department"),
        description=_("The matter belongs to another department; the applicant is told which."),
    ),
    ActionSpec(
        name="supplement-request",
        event_type=EventType.SUPPLEMENT_REQUEST,
        input=s.SupplementRequestInputSerializer,
        perform=lambda case, user, d, files: services.case_request_supplement(
            case=case, user=user, items=d["items"]
        ),
        roles=_supplement_request_roles,
        summary=_("Request a supplement (one-time notice)"),
        description=_(
            "One notice naming every missing or defective material, each with what is wrong. "
            "The clock stops until the applicant supplies them."
        ),
    ),
    ActionSpec(
        name="supplement-receive",
        event_type=EventType.SUPPLEMENT_RECEIVE,
        input=s.SupplementReceiveInputSerializer,
        perform=lambda case, user, d, files: services.case_receive_supplement(
            case=case, user=user, uploads=files, note=d["note"]
        ),
        roles=_applicant_or_window,
        summary=_("Record the applicant's supplement"),
        description=_(
            "By the applicant online or at the window. Multipart: files in fields material_<id> "
            "(a material of the item) or other."
        ),
        takes_files=True,
    ),
    ActionSpec(
        name="pass-step",
        event_type=EventType.STEP,
        input=s.PassStepInputSerializer,
        perform=lambda case, user, d, files: services.case_pass_step(
            case=case, user=user, opinion=d["opinion"]
        ),
        roles=_step_roles,
        summary=_("Finish the current step"),
        description=_("Handling, review …: record the step's opinion and pass the case to the next step."),
    ),
    ActionSpec(
        name="return",
        event_type=EventType.RETURN,
        input=s.ReturnInputSerializer,
        perform=lambda case, user, d, files: services.case_return(
            case=case, user=user, to_step=d["to_step"], reason=d["reason"]
        ),
        roles=_step_roles,
        summary=_("Return to an earlier step"),
        description=_("Send the case back to an earlier step, with the reason."),
    ),
    ActionSpec(
        name="decide",
        event_type=EventType.DECIDE,
        input=s.DecideInputSerializer,
        perform=lambda case, user, d, files: services.case_decide(
            case=case, user=user, decision=d["decision"], reason=d["reason"], legal_basis=d["legal_basis"]
        ),
        roles=lambda view, template: [template.decide_role],
        summary=_("Decide"),
        description=_("Approve or deny. A denial states its reason and legal basis."),
    ),
    ActionSpec(
        name="complete",
        event_type=EventType.COMPLETE,
        input=s.CompleteInputSerializer,
        perform=lambda case, user, d, files: services.case_complete(
            case=case,
            user=user,
            fee_charged=d["fee_charged"],
            result_number=d["result_number"],
            result_valid_until=d["result_valid_until"],
        ),
        roles=lambda view, template: [template.complete_role],
        summary=_("Complete"),
        description=_("With the fee charged and the number of the document issued."),
    ),
    ActionSpec(
        name="deliver",
        event_type=EventType.DELIVER,
        input=s.DeliverInputSerializer,
        perform=lambda case, user, d, files: services.case_deliver(
            case=case, user=user, method=d["method"], note=d["note"]
        ),
        roles=lambda view, template: [template.deliver_role, Role.WINDOW_OPERATOR],
        summary=_("Deliver the result"),
        description=_("At the window, by post or electronically."),
    ),
    ActionSpec(
        name="suspend",
        event_type=EventType.SUSPEND,
        input=s.SuspendInputSerializer,
        perform=lambda case, user, d, files: services.case_suspend(
            case=case, user=user, kind=d["kind"], reason=d["reason"], expected_days=d["expected_days"]
        ),
        roles=_step_roles,
        summary=_("Start a special procedure"),
        description=_(
            "Hearing, site inspection, expert review, testing or public notice: "
            "the clock stops until it ends."
        ),
    ),
    ActionSpec(
        name="resume",
        event_type=EventType.RESUME,
        input=s.ResumeInputSerializer,
        perform=lambda case, user, d, files: services.case_resume(case=case, user=user, result=d["result"]),
        roles=_step_roles,
        summary=_("End the special procedure"),
        description=_("Record its result; the clock runs again."),
    ),
    ActionSpec(
        name="extend",
        event_type=EventType.EXTEND,
        input=s.ExtendInputSerializer,
        perform=lambda case, user, d, files: services.case_extend(
            case=case, user=user, days=d["days"], reason=d["reason"]
        ),
        roles=lambda view, template: [Role.APPROVER, Role.LEADER],
        summary=_("Extend the time limit"),
        description=_("Approved by the head, with the reason; capped by the item's type."),
    ),
    ActionSpec(
        name="withdraw",
        event_type=EventType.WITHDRAW,
        input=s.WithdrawInputSerializer,
        perform=lambda case, user, d, files: services.case_withdraw(case=case, user=user, reason=d["reason"]),
        roles=_applicant_or_window,
        summary=_("Withdraw the application"),
        description=_("By the applicant (online, or in writing at the window) before the decision."),
    ),
)

ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in _SPECS}
