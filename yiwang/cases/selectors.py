"""Reads of cases for the staff workbench: my queue, done, search, one case with the
actions its viewer may take now.

Who must act on an open case depends on its state and, while it is being handled, on
the role of its current workflow step. The queue works that out in SQL (one query for
the page, whatever the number of cases), from the same step roles as
``workflow.Template``; the case page works it out from the folded events, trying each
action on the view exactly as the services will.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    F,
    Max,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import OuterRef as Outer
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from yiwang.cases.models import (
    Case,
    CaseEvent,
    CaseFile,
    CaseState,
    Channel,
    Decision,
    DeliveryMethod,
    EventType,
    SuspensionKind,
)
from yiwang.cases.parallel import JointStatus, joint_status
from yiwang.cases.services import APPLICANT_ROLE, extension_cap
from yiwang.cases.workflow import (
    MIDDLE_KINDS,
    CaseView,
    Deadlines,
    Template,
    TransitionError,
    apply_event,
    deadlines,
    fold,
)
from yiwang.catalog.models import ItemVersion, StepKind, WorkflowStep
from yiwang.core import calendar
from yiwang.org.models import Department, Role
from yiwang.org.permissions import can_act, scope_of, visible

OPEN_STATES: tuple[str, ...] = (
    CaseState.SUBMITTED,
    CaseState.SUPPLEMENT,
    CaseState.IN_PROGRESS,
    CaseState.SUSPENDED,
    CaseState.DECIDED,
    CaseState.COMPLETED,
)
PAUSED_STATES = frozenset({CaseState.SUPPLEMENT, CaseState.SUSPENDED})
HANDLING_STATES = (CaseState.IN_PROGRESS, CaseState.SUSPENDED)
# The roles that move cases along (the others only watch them).
WORK_ROLES: tuple[Role, ...] = (
    Role.WINDOW_OPERATOR,
    Role.HANDLER,
    Role.REVIEWER,
    Role.APPROVER,
    Role.LEADER,
)
SOON_WORKDAYS = 2  # amber when the deadline is at most this many working days away

_DEFAULT_ACCEPT_ROLE = Role.WINDOW_OPERATOR.value
_DEFAULT_DECIDE_ROLE = Role.APPROVER.value


# --------------------------------------------------------------------------- who acts now, in SQL


def _steps() -> QuerySet[WorkflowStep]:
    return WorkflowStep.objects.filter(version=Outer("item_version")).order_by("order", "pk")


def _role_of(kind: str) -> Subquery:
    """The role of the version's first step of ``kind`` (``Template.from_version.role_of``)."""
    return Subquery(_steps().filter(kind=kind).values("role")[:1])


def _middle_role(index: int) -> Subquery:
    return Subquery(_steps().filter(kind__in=MIDDLE_KINDS).values("role")[index : index + 1])


def waiting_role(depth: int) -> SqlCase:
    """SQL for the role whose step a case awaiting a supplement will return to: the case
    waits (paused) in that queue too, besides the acceptance role's, which receives the
    materials."""
    return SqlCase(
        *[When(state=CaseState.SUPPLEMENT, step_index=i, then=_middle_role(i)) for i in range(depth)],
        default=Value(""),
        output_field=CharField(),
    )


def _middle_name(index: int) -> Subquery:
    return Subquery(_steps().filter(kind__in=MIDDLE_KINDS).values("name")[index : index + 1])


def current_step_name(depth: int) -> SqlCase:
    """SQL for the name of the step a case is at (empty before acceptance and after the decision)."""
    return SqlCase(
        *[
            When(state__in=[*HANDLING_STATES, CaseState.SUPPLEMENT], step_index=i, then=_middle_name(i))
            for i in range(depth)
        ],
        default=Value(""),
        output_field=CharField(),
    )


def _decide_role() -> Coalesce:
    last_middle = Subquery(
        WorkflowStep.objects.filter(version=Outer("item_version"), kind__in=MIDDLE_KINDS)
        .order_by("-order", "-pk")
        .values("role")[:1]
    )
    return Coalesce(last_middle, Value(_DEFAULT_DECIDE_ROLE))


def _deepest_workflow(case_ids: QuerySet[Case]) -> int:
    """The largest number of middle steps among the versions of the given cases."""
    found = (
        WorkflowStep.objects.filter(
            kind__in=MIDDLE_KINDS, version__in=case_ids.values("item_version").order_by()
        )
        .values("version")
        .annotate(n=Count("pk"))
        .aggregate(deepest=Max("n"))["deepest"]
    )
    return int(found or 0)


def needed_role(depth: int) -> SqlCase:
    """SQL for the role that must act next on a case (empty for closed cases): the
    acceptance role while it awaits acceptance or a supplement, the current step's role
    while it is handled or suspended, then the completion and delivery roles."""
    return SqlCase(
        When(
            state__in=[CaseState.SUBMITTED, CaseState.SUPPLEMENT],
            then=Coalesce(_role_of(StepKind.ACCEPT), Value(_DEFAULT_ACCEPT_ROLE)),
        ),
        When(state__in=HANDLING_STATES, step_index__isnull=True, then=_decide_role()),
        *[When(state__in=HANDLING_STATES, step_index=i, then=_middle_role(i)) for i in range(depth)],
        When(state=CaseState.DECIDED, then=Coalesce(_role_of(StepKind.COMPLETE), _decide_role())),
        When(
            state=CaseState.COMPLETED,
            then=Coalesce(_role_of(StepKind.DELIVER), Value(_DEFAULT_ACCEPT_ROLE)),
        ),
        default=Value(""),
        output_field=CharField(),
    )


def _with_lists(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related("item_version", "department", "region")


def _user_roles(user: Any) -> list[Role]:
    scope = scope_of(user)
    if scope.is_superuser:
        return list(WORK_ROLES)
    return [role for role in WORK_ROLES if role in scope.roles]


def queue(user: Any) -> QuerySet[Case]:
    """待办: open cases waiting for an action in a role the user holds, inside that role's
    scope, the most urgent first (by the case's due date, or the acceptance due date
    before acceptance). Cases paused for a supplement stay in the queue of the step that
    asked for it."""
    roles = _user_roles(user)
    if not roles:
        return Case.objects.none()
    open_cases = Case.objects.filter(state__in=OPEN_STATES)
    in_scope = visible(user, open_cases, roles=roles)
    depth = _deepest_workflow(in_scope)
    base = open_cases.annotate(
        needed_role=needed_role(depth), waiting_role=waiting_role(depth), step_name=current_step_name(depth)
    )
    parts = []
    for role in roles:
        wanted = Q(needed_role=role.value) | Q(waiting_role=role.value)
        if role == Role.WINDOW_OPERATOR:
            wanted |= Q(state=CaseState.COMPLETED)  # any window may hand out a result
        parts.append(visible(user, base.filter(wanted), roles=[role]))
    combined: QuerySet[Case] = reduce(or_, parts)
    return _with_lists(combined.annotate(deadline=Coalesce("due_date", "acceptance_due"))).order_by(
        F("deadline").asc(nulls_last=True), "number"
    )


def done(user: Any) -> QuerySet[Case]:
    """已办: cases on which the user recorded an event, the latest first."""
    mine = CaseEvent.objects.filter(actor_id=user.pk)
    last = mine.filter(case=Outer("pk")).order_by("-seq")
    queryset = visible(user, Case.objects.filter(pk__in=mine.values("case_id"))).annotate(
        my_last_at=Subquery(last.values("occurred_at")[:1]),
        my_last_type=Subquery(last.values("type")[:1]),
    )
    return _with_lists(queryset.order_by("-my_last_at", "-number"))


@dataclass(frozen=True)
class CaseQuery:
    """A case search. The ID number is searched exactly and never travels in a URL."""

    number: str = ""
    applicant_name: str = ""
    applicant_id_number: str = ""
    item: str = ""
    state: str = ""
    department_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not any(
            (self.number, self.applicant_name, self.applicant_id_number, self.item, self.state)
        ) and (self.department_id is None)


def search(user: Any, query: CaseQuery) -> QuerySet[Case]:
    """Cases in the user's scope (any role) matching every given criterion."""
    queryset = visible(user, Case.objects.all())
    if query.number:
        queryset = queryset.filter(number__startswith=query.number.strip())
    if query.applicant_name:
        queryset = queryset.filter(applicant_name__icontains=query.applicant_name.strip())
    if query.applicant_id_number:
        queryset = queryset.filter(applicant_id_number=query.applicant_id_number.strip().upper())
    if query.item:
        text = query.item.strip()
        queryset = queryset.filter(Q(item_version__name__icontains=text) | Q(item__code=text))
    if query.state:
        queryset = queryset.filter(state=query.state)
    if query.department_id is not None:
        queryset = queryset.filter(department_id=query.department_id)
    return _with_lists(queryset).order_by("-submitted_at", "-number")


def intake_versions(user: Any, on: dt.date | None = None) -> QuerySet[ItemVersion]:
    """The item versions in force that the user's windows take applications for."""
    in_force = ItemVersion.objects.in_force(on or timezone.localdate())
    return (
        visible(user, in_force, roles=[Role.WINDOW_OPERATOR])
        .select_related("item__department")
        .order_by("item__department__name", "name")
    )


def search_departments(user: Any) -> QuerySet[Department]:
    """The departments a case search may be narrowed to: those of the user's scope."""
    return visible(user, Department.objects.filter(is_active=True)).order_by("region__path", "name")


# --------------------------------------------------------------------------- urgency


def deadline_of(case: Case) -> dt.date | None:
    """The date that matters now: the case's due date, or acceptance due before acceptance."""
    return case.due_date or case.acceptance_due


def urgency(case: Case, today: dt.date | None = None) -> str:
    """``paused`` (supplement or special procedure), ``overdue``, ``soon`` (within
    ``SOON_WORKDAYS`` working days), ``normal``, or ``closed``."""
    if not case.is_open:
        return "closed"
    if case.state in PAUSED_STATES:
        return "paused"
    due = deadline_of(case)
    if due is None:
        return "normal"
    today = today or timezone.localdate()
    if due < today:
        return "overdue"
    try:
        left = calendar.workdays_between(today, due)
    except NotImplementedError:  # a year the calendar does not cover yet
        left = (due - today).days
    return "soon" if left <= SOON_WORKDAYS else "normal"


# --------------------------------------------------------------------------- one case


def case_for(user: Any, number: str) -> Case | None:
    """The case with this number if the user may see it (any role in scope), else None."""
    return (
        visible(user, Case.objects.all())
        .select_related("item_version", "item", "department", "region", "parent")
        .filter(number=number)
        .first()
    )


@dataclass
class _Probe:
    """A would-be event, to ask the state machine whether an action is legal now."""

    type: str
    payload: dict[str, Any]
    occurred_at: dt.datetime = field(default_factory=timezone.now)
    actor_id: int | None = None


RoleRule = Callable[[CaseView, Template], Sequence[str]]


def _step_roles(view: CaseView, template: Template) -> list[str]:
    if view.step_index is not None and template.middle:
        return [template.middle[view.step_index].role]
    return [template.decide_role]


@dataclass(frozen=True)
class ActionRule:
    """An action of the case page: the event it records, a payload that makes the state
    machine judge it, and the roles that may take it (as in ``services``)."""

    name: str
    event_type: str
    probe: dict[str, Any]
    roles: RoleRule
    label: Any = ""
    grave: bool = False  # ends or refuses the application: shown apart, in red


# In the order the case page offers them: the main line first, then the detours, then
# the actions that end an application.
ACTION_RULES: tuple[ActionRule, ...] = (
    ActionRule("accept", EventType.ACCEPT, {}, lambda v, t: [t.accept_role], label=gettext_lazy("Accept")),
    ActionRule("pass_step", EventType.STEP, {}, _step_roles, label=gettext_lazy("Pass to the next step")),
    ActionRule(
        "decide",
        EventType.DECIDE,
        {"decision": "approved"},
        lambda v, t: [t.decide_role],
        label=gettext_lazy("Decide"),
    ),
    ActionRule(
        "complete", EventType.COMPLETE, {}, lambda v, t: [t.complete_role], label=gettext_lazy("Complete")
    ),
    ActionRule(
        "deliver",
        EventType.DELIVER,
        {},
        lambda v, t: [t.deliver_role, Role.WINDOW_OPERATOR.value],
        label=gettext_lazy("Deliver the result"),
    ),
    ActionRule("resume", EventType.RESUME, {}, _step_roles, label=gettext_lazy("End the special procedure")),
    ActionRule(
        "receive_supplement",
        EventType.SUPPLEMENT_RECEIVE,
        {},
        lambda v, t: [t.accept_role],
        label=gettext_lazy("Receive the supplement"),
    ),
    ActionRule(
        "supplement",
        EventType.SUPPLEMENT_REQUEST,
        {},
        lambda v, t: [t.accept_role] if v.state == CaseState.SUBMITTED else _step_roles(v, t),
        label=gettext_lazy("One-time supplement notice"),
    ),
    ActionRule(
        "return",
        EventType.RETURN,
        {"to_step": 0},
        _step_roles,
        label=gettext_lazy("Return to an earlier step"),
    ),
    ActionRule(
        "suspend",
        EventType.SUSPEND,
        {"kind": "hearing"},
        _step_roles,
        label=gettext_lazy("Start a special procedure"),
    ),
    ActionRule(
        "extend",
        EventType.EXTEND,
        {"days": 1},
        lambda v, t: [Role.APPROVER, Role.LEADER],
        label=gettext_lazy("Extend the time limit"),
    ),
    ActionRule(
        "refuse",
        EventType.REFUSE,
        {},
        lambda v, t: [t.accept_role],
        label=gettext_lazy("Refuse to accept"),
        grave=True,
    ),
    ActionRule(
        "transfer",
        EventType.TRANSFER,
        {},
        lambda v, t: [t.accept_role],
        label=gettext_lazy("Transfer to the competent department"),
        grave=True,
    ),
    ActionRule(
        "withdraw",
        EventType.WITHDRAW,
        {},
        lambda v, t: [t.accept_role],
        label=gettext_lazy("Withdraw at the applicant's request"),
        grave=True,
    ),
)
RULES_BY_NAME = {rule.name: rule for rule in ACTION_RULES}


@dataclass(frozen=True)
class Blocked:
    """An action the user's role would allow now but separation of duties forbids."""

    action: str
    earlier: str


def _legal_now(view: CaseView, template: Template, rule: ActionRule) -> bool:
    try:
        apply_event(view, _Probe(rule.event_type, dict(rule.probe)), template)
    except TransitionError:
        return False
    return True


def _separated(view: CaseView, user: Any, event_type: str) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    pairs = getattr(settings, "CASE_SEPARATION_OF_DUTIES", [("accept", "decide")])
    for earlier, later in pairs:
        if later == event_type and user.pk in view.actors.get(earlier, frozenset()):
            return str(earlier)
    return None


def available_actions(
    user: Any, case: Case, view: CaseView, template: Template
) -> tuple[list[str], list[Blocked]]:
    """The actions the user may take on the case now, and those only separation of
    duties keeps from them."""
    allowed: list[str] = []
    blocked: list[Blocked] = []
    for rule in ACTION_RULES:
        if not _legal_now(view, template, rule):
            continue
        roles = [r for r in rule.roles(view, template) if r != APPLICANT_ROLE]
        if not any(can_act(user, case, Role(r)) for r in roles):
            continue
        if rule.name == "extend" and case.extension_days >= extension_cap(case.item_version):
            continue
        earlier = _separated(view, user, rule.event_type)
        if earlier is not None:
            blocked.append(Blocked(rule.name, earlier))
            continue
        allowed.append(rule.name)
    return allowed, blocked


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    template: Template
    view: CaseView
    deadlines: Deadlines
    events: list[CaseEvent]
    files: list[CaseFile]
    actions: list[str]
    blocked: list[Blocked]
    documents: list[str]
    today: dt.date
    joint: JointStatus | None = None  # the parallel approval the case leads or belongs to
    visible_branches: frozenset[int] = frozenset()

    @property
    def current_step(self) -> str:
        if self.view.step_index is not None and self.template.middle:
            return self.template.middle[self.view.step_index].name
        return ""

    @property
    def urgency(self) -> str:
        return urgency(self.case, self.today)

    @property
    def supplement_items(self) -> list[dict[str, Any]]:
        """What the latest one-time notice asked for."""
        for event in reversed(self.events):
            if event.type == EventType.SUPPLEMENT_REQUEST:
                return list(event.payload.get("items", []))
        return []


def case_detail(user: Any, case: Case, today: dt.date | None = None) -> CaseDetail:
    """Everything the case page shows: events, files, live deadlines, actions, documents."""
    from yiwang.cases.documents import available_documents  # documents imports selectors

    today = today or timezone.localdate()
    template = Template.from_version(case.item_version)
    events = list(case.events.select_related("department").order_by("seq"))
    view = fold(events, template)
    try:
        dates = deadlines(view, template, at=today if case.is_open else None)
    except NotImplementedError:
        dates = deadlines(view, template)
    files = list(case.files.select_related("material").order_by("pk"))
    actions, blocked = available_actions(user, case, view, template)
    joint = None
    visible_branches: frozenset[int] = frozenset()
    if case.parent_id is not None or case.item_version.parallel_approval:
        joint = joint_status(case)
        ids = [b.case.pk for b in joint.branches] + [joint.lead.pk]
        visible_branches = frozenset(
            visible(user, Case.objects.filter(pk__in=ids)).values_list("pk", flat=True)
        )
        if not joint.branches and case.parent_id is None:
            joint = None
    return CaseDetail(
        case=case,
        template=template,
        view=view,
        deadlines=dates,
        events=events,
        files=files,
        actions=actions,
        blocked=blocked,
        documents=available_documents(case, events),
        today=today,
        joint=joint,
        visible_branches=visible_branches,
    )


def earlier_steps(detail: CaseDetail) -> list[tuple[int, str]]:
    """The steps a case may be returned to (index, name)."""
    if detail.view.step_index is None:
        return []
    return [(i, step.name) for i, step in enumerate(detail.template.middle[: detail.view.step_index])]


def roles_label(roles: Iterable[str]) -> str:
    return "、".join(str(Role(r).label) for r in roles if r in Role.values)


def _step_name(template: Template, index: Any) -> str:
    if isinstance(index, int) and 0 <= index < len(template.middle):
        return template.middle[index].name
    return ""


def _choice_label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def event_details(event: CaseEvent, template: Template) -> list[tuple[str, str]]:
    """What an event of the timeline says, as (label, text) lines for people."""
    p: dict[str, Any] = event.payload or {}
    t = event.type
    rows: list[tuple[str, Any]] = []
    files = "、".join(str(f.get("name", "")) for f in p.get("files", []))
    if t == EventType.APPLY:
        rows += [(_("Channel"), _choice_label(Channel, p.get("channel"))), (_("Files"), files)]
    elif t == EventType.ACCEPT:
        rows += [(_("Note"), p.get("note"))]
    elif t in (EventType.REFUSE, EventType.DECIDE):
        if t == EventType.DECIDE:
            rows += [(_("Decision"), _choice_label(Decision, p.get("decision")))]
        rows += [
            (_("Reason"), p.get("reason")),
            (pgettext("case action", "Legal basis"), p.get("legal_basis")),
        ]
    elif t == EventType.SUPPLEMENT_REQUEST:
        rows += [(str(item.get("name", "")), str(item.get("problem", ""))) for item in p.get("items", [])]
    elif t == EventType.SUPPLEMENT_RECEIVE:
        rows += [(_("Files"), files), (_("Note"), p.get("note"))]
    elif t == EventType.STEP:
        rows += [(_("Step"), _step_name(template, p.get("step"))), (_("Opinion"), p.get("opinion"))]
    elif t == EventType.RETURN:
        rows += [(_("Returned to"), _step_name(template, p.get("to_step"))), (_("Reason"), p.get("reason"))]
    elif t == EventType.COMPLETE:
        rows += [
            (_("Fee charged"), _("%(fee)s yuan") % {"fee": p.get("fee_charged", "0")}),
            (_("Document number"), p.get("result_number")),
            (_("Valid until"), p.get("result_valid_until")),
        ]
    elif t == EventType.DELIVER:
        rows += [
            (_("Delivery method"), _choice_label(DeliveryMethod, p.get("method"))),
            (_("Note"), p.get("note")),
        ]
    elif t == EventType.SUSPEND:
        rows += [
            (_("Special procedure"), _choice_label(SuspensionKind, p.get("kind"))),
            (_("Reason"), p.get("reason")),
            (_("Expected length"), _("%(days)s days") % {"days": p.get("expected_days")}),
        ]
    elif t == EventType.RESUME:
        rows += [(_("Outcome"), p.get("result"))]
    elif t == EventType.EXTEND:
        rows += [
            (_("Extension"), _("%(days)s days") % {"days": p.get("days")}),
            (_("Reason"), p.get("reason")),
        ]
    elif t == EventType.WITHDRAW:
        rows += [(_("Reason"), p.get("reason"))]
    elif t == EventType.TRANSFER:
        rows += [(_("Transferred to"), p.get("to_department_name")), (_("Reason"), p.get("reason"))]
    return [(str(label), str(text)) for label, text in rows if text]


# --------------------------------------------------------------------------- the application form

LICENSES_KEY = "_licenses"  # yiwang.portal.applications.LICENSES_KEY: e-licenses in place of materials


@dataclass(frozen=True)
class FormAnswer:
    label: str
    value: str


@dataclass(frozen=True)
class LicenseInPlace:
    """An e-license the applicant presented instead of uploading a material."""

    material: str  # the material's name ("" when the version does not list it)
    identifier: str
    name: str = ""  # the license's name and number, when the library holds it
    number: str = ""
    status: str = ""  # the status's label when it is not valid any more


@dataclass(frozen=True)
class FormAnswers:
    rows: list[FormAnswer]
    licenses: list[LicenseInPlace]

    def __bool__(self) -> bool:
        return bool(self.rows or self.licenses)


def _answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(_answer_text(v) for v in value)
    return str(value)


def _license_refs(value: Any) -> list[tuple[int | None, str]]:
    """The (material id, identifier) pairs of a stored ``_licenses`` list; anything else
    in it is ignored."""
    if not isinstance(value, list):
        return []
    refs: list[tuple[int | None, str]] = []
    for ref in value:
        if not isinstance(ref, dict) or not str(ref.get("identifier") or "").strip():
            continue
        material = ref.get("material")
        try:
            material_id = int(material) if material is not None else None
        except (TypeError, ValueError):
            material_id = None
        refs.append((material_id, str(ref["identifier"]).strip()))
    return refs


def form_answers(case: Case) -> FormAnswers:
    """The case's application form as staff read it: each answer under its field's label,
    in the form's order (keys no field names, e.g. written at a window, under the key),
    internal keys (``_…``) left out, and the e-licenses that stand in for materials.

    At most three queries, whatever the number of fields and licenses."""
    from yiwang.licenses.models import License, LicenseStatus  # licenses builds on cases

    data: dict[str, Any] = case.form_data if isinstance(case.form_data, dict) else {}
    fields = list(case.item_version.form_fields.all()) if data else []
    rows = [FormAnswer(f.label, _answer_text(data[f.name])) for f in fields if f.name in data]
    named = {f.name for f in fields}
    rows += [
        FormAnswer(key, _answer_text(value))
        for key, value in data.items()
        if key not in named and not key.startswith("_")
    ]
    refs = _license_refs(data.get(LICENSES_KEY))
    if not refs:
        return FormAnswers(rows, [])
    material_names = dict(case.item_version.materials.values_list("pk", "name"))
    held = {lic.identifier: lic for lic in License.objects.filter(identifier__in=[i for _m, i in refs])}
    licenses = []
    for material, identifier in refs:
        lic = held.get(identifier)
        status = ""
        if lic is not None and lic.status != LicenseStatus.VALID:
            status = str(lic.get_status_display())
        licenses.append(
            LicenseInPlace(
                material=material_names.get(material, "") if material is not None else "",
                identifier=identifier,
                name=lic.name if lic else "",
                number=lic.number if lic else "",
                status=status,
            )
        )
    return FormAnswers(rows, licenses)


def event_actor(event: CaseEvent, case: Case) -> str:
    """Who an event of the timeline names: the applicant by their name (never their
    account's username), staff by theirs."""
    if event.role == APPLICANT_ROLE:
        return case.applicant_name
    return event.actor_name
