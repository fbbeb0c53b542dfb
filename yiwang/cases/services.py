"""Every write to a case. Each function records one event in the ledger and updates the
projection in the same transaction; an action that is illegal in the case's state, for
the actor's role or scope, or with bad input, raises ``CaseError`` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.cases.ledger import GENESIS, event_hash
from yiwang.cases.models import (
    ApplicantKind,
    Case,
    CaseEvent,
    CaseFile,
    CaseNumberSequence,
    CaseState,
    Channel,
    Decision,
    DeliveryMethod,
    EventType,
    SuspensionKind,
)
from yiwang.cases.signals import event_recorded
from yiwang.cases.uploads import inspect_upload
from yiwang.cases.workflow import (
    CaseView,
    Template,
    TransitionError,
    apply_event,
    deadlines,
    fold,
)
from yiwang.catalog.models import ItemVersion, Material, VersionStatus
from yiwang.core.errors import ServiceError
from yiwang.core.identifiers import validate_resident_id, validate_uscc
from yiwang.org.models import Department, Role
from yiwang.org.permissions import can_act, staff_of

User = AbstractBaseUser | AnonymousUser

# Clock skew tolerated between an event's claimed time and now.
_FUTURE_TOLERANCE = dt.timedelta(minutes=5)
APPLICANT_ROLE = "applicant"
PARALLEL_ROLE = "parallel"  # events recorded for a branch by its lead case (yiwang.cases.parallel)


class CaseErrorCode(models.TextChoices):
    ILLEGAL_IN_STATE = "illegal_in_state", gettext_lazy("not possible in the case's current state")
    FORBIDDEN = "forbidden", gettext_lazy("not allowed for this user")
    SEPARATION_OF_DUTIES = "separation_of_duties", gettext_lazy("separation of duties")
    VERSION_NOT_IN_FORCE = "version_not_in_force", gettext_lazy("item version not in force")
    APPLICANT_INVALID = "applicant_invalid", gettext_lazy("applicant invalid")
    REASON_REQUIRED = "reason_required", gettext_lazy("reason required")
    LEGAL_BASIS_REQUIRED = "legal_basis_required", gettext_lazy("legal basis required")
    NO_MATERIAL_NAMED = "no_material_named", gettext_lazy("no material named")
    EXTENSION_CAP = "extension_cap", gettext_lazy("extension beyond the cap")
    BAD_INPUT = "bad_input", gettext_lazy("bad input")
    TIME_ORDER = "time_order", gettext_lazy("event time out of order")
    IDEMPOTENCY_CONFLICT = "idempotency_conflict", gettext_lazy("idempotency key reused")
    BRANCHES_PENDING = "branches_pending", gettext_lazy("parallel approval branches still deciding")


class CaseError(ServiceError):
    """A refusal of a case service."""


@dataclass(frozen=True)
class Upload:
    """A file handed in for a required material (``material`` None: other documents)."""

    file: UploadedFile
    material: Material | None = None


# --------------------------------------------------------------------------- helpers


# Templates of published versions, which never change. A version saved again (only a
# new row can be: published rows are immutable) drops its entry, which also covers a
# primary key reused after a rolled-back transaction.
_TEMPLATES: dict[int, Template] = {}


def template_for(version_id: int) -> Template:
    template = _TEMPLATES.get(version_id)
    if template is None:
        version = ItemVersion.objects.prefetch_related("steps").get(pk=version_id)
        template = Template.from_version(version)
        if version.status != VersionStatus.DRAFT:
            _TEMPLATES[version_id] = template
    return template


@receiver(post_save, sender=ItemVersion)
def _forget_template(sender: type[ItemVersion], instance: ItemVersion, **kwargs: Any) -> None:
    _TEMPLATES.pop(instance.pk, None)


def template_of(case: Case) -> Template:
    return template_for(case.item_version_id)


def view_of(case: Case) -> CaseView:
    return fold(case.events.order_by("seq"), template_of(case))


class LimitKind(Protocol):
    """What the extension cap depends on: an ``ItemVersion`` or its ``workflow.Template``."""

    @property
    def item_type(self) -> str: ...

    @property
    def parallel_approval(self) -> bool: ...


def extension_cap(version: LimitKind) -> int:
    """Longest total extension: 行政许可法 §42 (+10 working days) and §26 (+15 for joint
    or parallel handling); other item types default to 10, configurable in settings."""
    caps: Mapping[str, int] = getattr(settings, "CASE_EXTENSION_CAPS", {})
    if version.parallel_approval:
        return int(caps.get("parallel", 15))
    return int(caps.get(version.item_type, caps.get("default", 10)))


def _separation_rules() -> list[tuple[str, str]]:
    return [tuple(pair) for pair in getattr(settings, "CASE_SEPARATION_OF_DUTIES", [("accept", "decide")])]


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _now() -> dt.datetime:
    return timezone.now()


def _check_time(last: dt.datetime | None, at: dt.datetime) -> None:
    """``at`` must be aware, not in the future and not before ``last``, the time of the
    case's previous event (from its view)."""
    if timezone.is_naive(at):
        raise CaseError(_("Event times must carry a time zone."), CaseErrorCode.BAD_INPUT)
    if at > _now() + _FUTURE_TOLERANCE:
        raise CaseError(_("An event cannot be recorded for a future time."), CaseErrorCode.TIME_ORDER)
    if last is not None and at < last:
        raise CaseError(
            _("This event is dated before the case's previous event (%(last)s).")
            % {"last": timezone.localtime(last).strftime("%Y-%m-%d %H:%M")},
            CaseErrorCode.TIME_ORDER,
        )


def _require_role(user: User | None, case: Case, roles: Iterable[str]) -> str:
    """The first of ``roles`` in which ``user`` may act on ``case``; else ``CaseError``."""
    wanted = list(roles)
    for role in wanted:
        if role == APPLICANT_ROLE:
            if user is not None and user.is_authenticated and case.applicant_user_id == user.pk:
                return role
            continue
        if can_act(user, case, Role(role)):
            return role
    labels = "、".join(str(Role(r).label) if r != APPLICANT_ROLE else _("the applicant") for r in wanted)
    raise CaseError(
        _("You may not do this on case %(number)s: it needs %(roles)s for this case's department and region.")
        % {"number": case.number, "roles": labels},
        CaseErrorCode.FORBIDDEN,
    )


def _check_separation(view: CaseView, user: User | None, event_type: str) -> None:
    if user is None or not user.is_authenticated:
        return
    for earlier, later in _separation_rules():
        if later == event_type and user.pk in view.actors.get(earlier, frozenset()):
            raise CaseError(
                _(
                    "Separation of duties: whoever recorded “%(earlier)s” on this case may not also record “%(later)s”."
                )
                % {"earlier": EventType(earlier).label, "later": EventType(later).label},
                CaseErrorCode.SEPARATION_OF_DUTIES,
            )


def _project(case: Case, view: CaseView, template: Template) -> None:
    d = deadlines(view, template)
    case.state = view.state
    case.step_index = view.step_index
    case.decision = view.decision
    case.submitted_at = view.submitted_at  # type: ignore[assignment]
    case.accepted_at = view.accepted_at
    case.decided_at = view.decided_at
    case.completed_at = view.completed_at
    case.delivered_at = view.delivered_at
    case.closed_at = view.closed_at
    case.acceptance_due = d.acceptance_due
    case.due_date = d.due_date
    case.step_due_date = d.step_due_date
    case.clock_stopped = d.clock_stopped
    case.extension_days = view.extension_days
    case.supplement_requests = view.supplement_requests


PROJECTED_FIELDS = [
    "state",
    "step_index",
    "decision",
    "submitted_at",
    "accepted_at",
    "decided_at",
    "completed_at",
    "delivered_at",
    "closed_at",
    "acceptance_due",
    "due_date",
    "step_due_date",
    "clock_stopped",
    "extension_days",
    "supplement_requests",
]


def _append(
    *,
    case: Case,
    view: CaseView,
    template: Template,
    event_type: str,
    user: User | None,
    role: str,
    at: dt.datetime,
    payload: Mapping[str, Any],
    earlier: Sequence[CaseEvent] | None = None,
) -> CaseEvent:
    """Record one event (after checking it is legal) and refresh the projection.
    ``earlier``: the case's events before this one, when the caller has them already."""
    staff = staff_of(user)
    event = CaseEvent(
        case=case,
        seq=case.last_seq + 1,
        type=event_type,
        actor=user if user is not None and user.is_authenticated else None,
        actor_name=(staff.name if staff else (user.get_username() if user and user.is_authenticated else "")),
        role=role,
        department=staff.department if staff else None,
        occurred_at=at,
        recorded_at=_now(),
        payload=dict(payload),
        prev_hash=case.last_hash or GENESIS,
    )
    try:
        new_view = apply_event(view, event, template)
    except TransitionError as exc:
        raise CaseError(
            _("Case %(number)s is “%(state)s”: this action is not possible now.")
            % {"number": case.number, "state": CaseState(view.state).label if view.state else "-"}
            + (f" ({exc.message})" if exc.code != "illegal_in_state" else ""),
            CaseErrorCode.ILLEGAL_IN_STATE,
        ) from None
    event.hash = event_hash(event, case.number)
    event.save()
    case.last_seq = event.seq
    case.last_hash = event.hash
    _project(case, new_view, template)
    case.save(update_fields=[*PROJECTED_FIELDS, "last_seq", "last_hash", "updated_at"])
    event_recorded.send(
        sender=Case,
        case=case,
        event=event,
        view=new_view,
        template=template,
        events=[*earlier, event] if earlier is not None else None,
    )
    return event


def _act(
    *,
    case: Case,
    user: User | None,
    event_type: str,
    roles: Iterable[str] | None,
    payload: Mapping[str, Any],
    at: dt.datetime | None,
    role_for: Any = None,
) -> Case:
    """Lock, check role/scope/separation/time, append. ``role_for(view, template)`` gives
    the roles allowed when they depend on the state (e.g. the current step's role)."""
    case = _lock(case)
    template = template_of(case)
    earlier = list(case.events.order_by("seq"))
    view = fold(earlier, template)
    allowed = list(roles) if roles is not None else list(role_for(view, template))
    role = _require_role(user, case, allowed)
    _check_separation(view, user, event_type)
    at = at or _now()
    _check_time(view.last_event_at, at)
    _append(
        case=case,
        view=view,
        template=template,
        event_type=event_type,
        user=user,
        role=role,
        at=at,
        payload=payload,
        earlier=earlier,
    )
    return case


def _text(value: str | None, field: str, code: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise CaseError(message, code, field)
    return value


def _current_step_roles(view: CaseView, template: Template) -> list[str]:
    if view.step_index is not None and template.middle:
        return [template.middle[view.step_index].role]
    return [template.decide_role]


# --------------------------------------------------------------------------- intake


def _case_number(region_code: str, on: dt.date) -> str:
    seq, _created = CaseNumberSequence.objects.get_or_create(region_code=region_code, day=on)
    CaseNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db(fields=["last"])
    return f"{region_code}{on:%Y%m%d}{seq.last:06d}"


def _validate_applicant(kind: str, name: str, id_number: str) -> str:
    if kind not in ApplicantKind.values:
        raise CaseError(
            _("Choose whether the applicant is an individual or an enterprise."),
            CaseErrorCode.APPLICANT_INVALID,
            "applicant_kind",
        )
    _text(name, "applicant_name", CaseErrorCode.APPLICANT_INVALID, _("Enter the applicant's name."))
    try:
        if kind == ApplicantKind.INDIVIDUAL:
            return validate_resident_id(id_number)
        return validate_uscc(id_number)
    except ValidationError as exc:
        raise CaseError(exc.messages[0], CaseErrorCode.APPLICANT_INVALID, "applicant_id_number") from None


def _store_files(
    case: Case, uploads: Sequence[Upload], version: ItemVersion, at: dt.datetime
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for upload in uploads:
        if upload.material is not None and upload.material.version_id != version.pk:
            raise CaseError(
                _("“%(name)s” is not a material of this item.") % {"name": upload.material.name},
                CaseErrorCode.BAD_INPUT,
                "files",
            )
        info = inspect_upload(upload.file)
        stored = CaseFile(
            case=case,
            material=upload.material,
            name=upload.file.name or "file",
            sha256=info.sha256,
            size=info.size,
            content_type=info.content_type,
            uploaded_at=at,
        )
        stored.file.save(f"{case.number}-{info.sha256[:16]}.{info.extension}", upload.file, save=False)
        stored.save()
        records.append(
            {
                "file": stored.pk,
                "name": stored.name,
                "material": upload.material.pk if upload.material else None,
                "sha256": info.sha256,
                "size": info.size,
                "content_type": info.content_type,
            }
        )
    return records


def _inspect_all(uploads: Sequence[Upload]) -> None:
    """Refuse bad files before anything is written (so nothing is left half-stored)."""
    for upload in uploads:
        try:
            inspect_upload(upload.file)
        except ValidationError as exc:
            raise CaseError(exc.messages[0], exc.code or CaseErrorCode.BAD_INPUT, "files") from None


def case_file(
    *,
    version: ItemVersion,
    channel: str,
    applicant_kind: str,
    applicant_name: str,
    applicant_id_number: str,
    applicant_mobile: str = "",
    form_data: Mapping[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
    user: User | None,
    applicant_user: Any = None,
    idempotency_key: str | None = None,
    at: dt.datetime | None = None,
    on_behalf_of_lead: Case | None = None,
) -> Case:
    """File a new case against the version of an item in force (the 'apply' event).

    With ``idempotency_key``, repeating the same request returns the case it created.
    At a window the filing user must be window staff for the item's region; online, the
    filing user is the applicant.
    """
    at = at or _now()
    key = f"{getattr(user, 'pk', None) or 'anon'}:{idempotency_key}" if idempotency_key else None
    if key is not None:
        existing = Case.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _same_request(existing, version, applicant_id_number)
    if channel not in Channel.values:
        raise CaseError(_("Unknown channel."), CaseErrorCode.BAD_INPUT, "channel")
    id_number = _validate_applicant(applicant_kind, applicant_name, applicant_id_number)
    today = timezone.localdate(at)
    if (
        version.status != VersionStatus.PUBLISHED
        or not ItemVersion.objects.in_force(today).filter(pk=version.pk).exists()
    ):
        raise CaseError(
            _("“%(name)s” version %(v)d is not in force; apply under the current version.")
            % {"name": version.name, "v": version.version},
            CaseErrorCode.VERSION_NOT_IN_FORCE,
            "version",
        )
    _check_time(None, at)
    _inspect_all(uploads)
    item = version.item
    probe = Case(item=item, item_version=version, department_id=item.department_id, region_id=item.region_id)
    probe.applicant_user = applicant_user
    if on_behalf_of_lead is not None:
        # A branch of a parallel approval, filed by its lead's acceptance: only for an
        # item the lead's version names as a partner.
        if not on_behalf_of_lead.item_version.partners.filter(partner_id=item.pk).exists():
            raise CaseError(
                _("“%(name)s” is not a partner item of case %(number)s.")
                % {"name": version.name, "number": on_behalf_of_lead.number},
                CaseErrorCode.FORBIDDEN,
            )
        role = PARALLEL_ROLE
    elif channel == Channel.ONLINE and applicant_user is not None:
        role = APPLICANT_ROLE
        if user is None or getattr(user, "pk", None) != applicant_user.pk:
            raise CaseError(
                _("An online application is filed by the applicant's own account."), CaseErrorCode.FORBIDDEN
            )
    else:
        template = template_for(version.pk)
        role = _require_role(user, probe, [template.accept_role, Role.WINDOW_OPERATOR])
    try:
        with transaction.atomic():
            case = Case.objects.create(
                number=_case_number(item.region.code, today),
                query_token=secrets.token_urlsafe(32),
                idempotency_key=key,
                item_version=version,
                item=item,
                department_id=item.department_id,
                region_id=item.region_id,
                parent=on_behalf_of_lead,
                channel=channel,
                applicant_kind=applicant_kind,
                applicant_name=applicant_name.strip(),
                applicant_id_number=id_number,
                applicant_mobile=applicant_mobile.strip(),
                applicant_user=applicant_user,
                form_data=dict(form_data or {}),
                state=CaseState.SUBMITTED,
                submitted_at=at,
            )
            files = _store_files(case, uploads, version, at)
            _append(
                case=case,
                view=CaseView(),
                template=template_for(version.pk),
                event_type=EventType.APPLY,
                user=user,
                role=role,
                at=at,
                payload={
                    "item": item.code,
                    "version": version.version,
                    "channel": channel,
                    "applicant_kind": applicant_kind,
                    "form": dict(form_data or {}),
                    "files": files,
                    **({"lead": on_behalf_of_lead.number} if on_behalf_of_lead is not None else {}),
                },
            )
    except IntegrityError:
        if key is None:
            raise
        existing = Case.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_request(existing, version, applicant_id_number)
    return case


def _same_request(existing: Case, version: ItemVersion, applicant_id_number: str) -> Case:
    if (
        existing.item_version_id != version.pk
        or existing.applicant_id_number != applicant_id_number.strip().upper()
    ):
        raise CaseError(
            _("This Idempotency-Key was already used for a different application (case %(number)s).")
            % {"number": existing.number},
            CaseErrorCode.IDEMPOTENCY_CONFLICT,
        )
    return existing


# --------------------------------------------------------------------------- acceptance


@transaction.atomic
def case_accept(*, case: Case, user: User | None, note: str = "", at: dt.datetime | None = None) -> Case:
    accepted = _act(
        case=case,
        user=user,
        event_type=EventType.ACCEPT,
        roles=None,
        role_for=lambda v, t: [t.accept_role],
        payload={"note": note.strip()},
        at=at,
    )
    version = accepted.item_version
    if accepted.parent_id is None and version.parallel_approval and version.partners.exists():
        from yiwang.cases import parallel  # parallel builds on this module

        parallel.spawn_branches(case=accepted, user=user, at=accepted.accepted_at)
    return accepted


@transaction.atomic
def case_refuse(
    *, case: Case, user: User | None, reason: str, legal_basis: str, at: dt.datetime | None = None
) -> Case:
    """不予受理: written, with the reason and the legal basis."""
    reason = _text(reason, "reason", CaseErrorCode.REASON_REQUIRED, _("Give the reason for not accepting."))
    legal_basis = _text(
        legal_basis,
        "legal_basis",
        CaseErrorCode.LEGAL_BASIS_REQUIRED,
        _("Cite the legal basis for not accepting."),
    )
    return _act(
        case=case,
        user=user,
        event_type=EventType.REFUSE,
        roles=None,
        role_for=lambda v, t: [t.accept_role],
        payload={"reason": reason, "legal_basis": legal_basis},
        at=at,
    )


@transaction.atomic
def case_transfer(
    *, case: Case, user: User | None, to_department: Department, reason: str, at: dt.datetime | None = None
) -> Case:
    """移送: the matter belongs to another department; the applicant is told which."""
    reason = _text(reason, "reason", CaseErrorCode.REASON_REQUIRED, _("Say why the case is transferred."))
    if to_department.pk == case.department_id:
        raise CaseError(_("Transfer to a different department."), CaseErrorCode.BAD_INPUT, "to_department")
    return _act(
        case=case,
        user=user,
        event_type=EventType.TRANSFER,
        roles=None,
        role_for=lambda v, t: [t.accept_role],
        payload={
            "to_department": to_department.pk,
            "to_department_name": to_department.name,
            "reason": reason,
        },
        at=at,
    )


# --------------------------------------------------------------------------- supplements


@transaction.atomic
def case_request_supplement(
    *, case: Case, user: User | None, items: Sequence[Mapping[str, Any]], at: dt.datetime | None = None
) -> Case:
    """The one-time supplement notice (一次性告知): every missing or defective material at
    once, each with what is wrong. ``items``: ``{"material": id or None, "name": str,
    "problem": str}``."""
    if not items:
        raise CaseError(
            _("Name every material that is missing or defective in the one-time notice."),
            CaseErrorCode.NO_MATERIAL_NAMED,
            "items",
        )
    locked = _lock(case)
    materials = {m.pk: m for m in locked.item_version.materials.all()}
    listed = []
    for index, entry in enumerate(items, start=1):
        material_id = entry.get("material")
        name = (entry.get("name") or "").strip()
        problem = (entry.get("problem") or "").strip()
        if material_id is not None:
            if material_id not in materials:
                raise CaseError(
                    _("Item %(n)d names a material that this item does not require.") % {"n": index},
                    CaseErrorCode.BAD_INPUT,
                    "items",
                )
            name = name or materials[material_id].name
        if not name or not problem:
            raise CaseError(
                _("Item %(n)d of the notice needs the material and what is missing or wrong with it.")
                % {"n": index},
                CaseErrorCode.NO_MATERIAL_NAMED,
                "items",
            )
        listed.append({"material": material_id, "name": name, "problem": problem})
    return _act(
        case=locked,
        user=user,
        event_type=EventType.SUPPLEMENT_REQUEST,
        roles=None,
        role_for=lambda v, t: (
            [t.accept_role] if v.state == CaseState.SUBMITTED else _current_step_roles(v, t)
        ),
        payload={"items": listed},
        at=at,
    )


@transaction.atomic
def case_receive_supplement(
    *,
    case: Case,
    user: User | None,
    uploads: Sequence[Upload] = (),
    note: str = "",
    at: dt.datetime | None = None,
) -> Case:
    """The applicant's supplement (online by the applicant, or handed in at the window)."""
    _inspect_all(uploads)
    locked = _lock(case)
    at = at or _now()
    template = template_of(locked)
    view = fold(locked.events.order_by("seq"), template)
    role = _require_role(user, locked, [APPLICANT_ROLE, template.accept_role])
    _check_time(view.last_event_at, at)
    if view.state != CaseState.SUPPLEMENT:
        raise CaseError(
            _("Case %(number)s is not waiting for a supplement.") % {"number": locked.number},
            CaseErrorCode.ILLEGAL_IN_STATE,
        )
    files = _store_files(locked, uploads, locked.item_version, at)
    if not files and not note.strip():
        raise CaseError(
            _("Hand in the materials the notice lists."), CaseErrorCode.NO_MATERIAL_NAMED, "files"
        )
    _append(
        case=locked,
        view=view,
        template=template,
        event_type=EventType.SUPPLEMENT_RECEIVE,
        user=user,
        role=role,
        at=at,
        payload={"files": files, "note": note.strip()},
    )
    return locked


# --------------------------------------------------------------------------- steps and decision


@transaction.atomic
def case_pass_step(*, case: Case, user: User | None, opinion: str, at: dt.datetime | None = None) -> Case:
    """Finish the current step (承办, 审核 …) with an opinion and pass to the next."""
    opinion = _text(opinion, "opinion", CaseErrorCode.REASON_REQUIRED, _("Write the step's opinion."))
    locked = _lock(case)
    return _act(
        case=locked,
        user=user,
        event_type=EventType.STEP,
        roles=None,
        role_for=_current_step_roles,
        payload={"step": locked.step_index, "opinion": opinion},
        at=at,
    )


@transaction.atomic
def case_return(
    *, case: Case, user: User | None, to_step: int, reason: str, at: dt.datetime | None = None
) -> Case:
    """退回: send the case back to an earlier step."""
    reason = _text(reason, "reason", CaseErrorCode.REASON_REQUIRED, _("Say why the case is returned."))
    return _act(
        case=case,
        user=user,
        event_type=EventType.RETURN,
        roles=None,
        role_for=_current_step_roles,
        payload={"to_step": to_step, "reason": reason},
        at=at,
    )


@transaction.atomic
def case_decide(
    *,
    case: Case,
    user: User | None,
    decision: str,
    reason: str = "",
    legal_basis: str = "",
    at: dt.datetime | None = None,
) -> Case:
    """准予 / 不予许可. A denial always carries its reason and legal basis (§38)."""
    if decision not in Decision.values:
        raise CaseError(_("The decision is either approve or deny."), CaseErrorCode.BAD_INPUT, "decision")
    if decision == Decision.DENIED:
        reason = _text(reason, "reason", CaseErrorCode.REASON_REQUIRED, _("A denial states its reason."))
        legal_basis = _text(
            legal_basis,
            "legal_basis",
            CaseErrorCode.LEGAL_BASIS_REQUIRED,
            _("A denial cites its legal basis."),
        )
    from yiwang.cases import parallel  # parallel builds on this module

    joint = parallel.require_branches_decided(case=case)
    return _act(
        case=case,
        user=user,
        event_type=EventType.DECIDE,
        roles=None,
        role_for=lambda v, t: [t.decide_role],
        payload={"decision": decision, "reason": reason.strip(), "legal_basis": legal_basis.strip(), **joint},
        at=at,
    )


@transaction.atomic
def case_complete(
    *,
    case: Case,
    user: User | None,
    fee_charged: Decimal | str | int | None = None,
    result_number: str = "",
    result_valid_until: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """办结, with the fee actually charged and the number of the document issued.

    A case with a fee order still to pay is not completed. When fees were paid online the
    fee charged is their total (the default when ``fee_charged`` is None, else it must
    equal it); otherwise it defaults to 0."""
    from yiwang.payments.selectors import completion_fees  # payments builds on this module

    case = _lock(case)  # an order is issued under the same lock, so none slips in meanwhile
    fees = completion_fees(case)
    if fees.unpaid:
        raise CaseError(
            _("Case %(number)s cannot be completed until fee order %(order)s is paid or cancelled.")
            % {"number": case.number, "order": "、".join(fees.unpaid)},
            CaseErrorCode.ILLEGAL_IN_STATE,
        )
    if fee_charged is None or fee_charged == "":
        fee_charged = fees.paid_total if fees.paid_total is not None else 0
    try:
        fee = Decimal(str(fee_charged)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CaseError(
            _("The fee charged must be an amount in yuan."), CaseErrorCode.BAD_INPUT, "fee_charged"
        ) from None
    if fee < 0:
        raise CaseError(_("The fee charged cannot be negative."), CaseErrorCode.BAD_INPUT, "fee_charged")
    if fees.paid_total is not None and fee != fees.paid_total:
        raise CaseError(
            _("The applicant paid ¥%(paid)s online for this case: the fee charged is ¥%(paid)s.")
            % {"paid": fees.paid_total},
            CaseErrorCode.BAD_INPUT,
            "fee_charged",
        )
    return _act(
        case=case,
        user=user,
        event_type=EventType.COMPLETE,
        roles=None,
        role_for=lambda v, t: [t.complete_role],
        payload={
            "fee_charged": str(fee),
            "result_number": result_number.strip(),
            "result_valid_until": result_valid_until.isoformat() if result_valid_until else None,
        },
        at=at,
    )


@transaction.atomic
def case_deliver(
    *, case: Case, user: User | None, method: str, note: str = "", at: dt.datetime | None = None
) -> Case:
    """送达: window, post or electronic."""
    if method not in DeliveryMethod.values:
        raise CaseError(_("Choose how the result is delivered."), CaseErrorCode.BAD_INPUT, "method")
    return _act(
        case=case,
        user=user,
        event_type=EventType.DELIVER,
        roles=None,
        role_for=lambda v, t: [t.deliver_role, Role.WINDOW_OPERATOR],
        payload={"method": method, "note": note.strip()},
        at=at,
    )


# --------------------------------------------------------------------------- clock


@transaction.atomic
def case_suspend(
    *,
    case: Case,
    user: User | None,
    kind: str,
    reason: str,
    expected_days: int,
    at: dt.datetime | None = None,
) -> Case:
    """特别程序: the applicant is told the kind, reason and expected length in writing."""
    if kind not in SuspensionKind.values:
        raise CaseError(_("Choose the kind of special procedure."), CaseErrorCode.BAD_INPUT, "kind")
    reason = _text(
        reason, "reason", CaseErrorCode.REASON_REQUIRED, _("Say why the special procedure is needed.")
    )
    if not isinstance(expected_days, int) or expected_days <= 0:
        raise CaseError(
            _("Give the expected length of the special procedure in days."),
            CaseErrorCode.BAD_INPUT,
            "expected_days",
        )
    return _act(
        case=case,
        user=user,
        event_type=EventType.SUSPEND,
        roles=None,
        role_for=_current_step_roles,
        payload={"kind": kind, "reason": reason, "expected_days": expected_days},
        at=at,
    )


@transaction.atomic
def case_resume(*, case: Case, user: User | None, result: str, at: dt.datetime | None = None) -> Case:
    result = _text(
        result, "result", CaseErrorCode.REASON_REQUIRED, _("Record the result of the special procedure.")
    )
    return _act(
        case=case,
        user=user,
        event_type=EventType.RESUME,
        roles=None,
        role_for=_current_step_roles,
        payload={"result": result},
        at=at,
    )


@transaction.atomic
def case_extend(
    *, case: Case, user: User | None, days: int, reason: str, at: dt.datetime | None = None
) -> Case:
    """延期, approved by the head (an approver or leader in scope); capped per item type."""
    reason = _text(reason, "reason", CaseErrorCode.REASON_REQUIRED, _("Give the reason for the extension."))
    if not isinstance(days, int) or days <= 0:
        raise CaseError(_("An extension is a positive number of days."), CaseErrorCode.BAD_INPUT, "days")
    locked = _lock(case)
    cap = extension_cap(locked.item_version)
    if locked.extension_days + days > cap:
        raise CaseError(
            _("Extensions of this case may total at most %(cap)d days; %(used)d are already granted.")
            % {"cap": cap, "used": locked.extension_days},
            CaseErrorCode.EXTENSION_CAP,
            "days",
        )
    return _act(
        case=locked,
        user=user,
        event_type=EventType.EXTEND,
        roles=[Role.APPROVER, Role.LEADER],
        payload={"days": days, "reason": reason, "cap": cap},
        at=at,
    )


@transaction.atomic
def case_withdraw(*, case: Case, user: User | None, reason: str = "", at: dt.datetime | None = None) -> Case:
    """The applicant withdraws (online, or in writing at the window) before the decision."""
    withdrawn = _act(
        case=case,
        user=user,
        event_type=EventType.WITHDRAW,
        roles=None,
        role_for=lambda v, t: [APPLICANT_ROLE, t.accept_role],
        payload={"reason": reason.strip()},
        at=at,
    )
    from yiwang.cases import parallel  # parallel builds on this module

    parallel.withdraw_branches(case=withdrawn, user=user, reason=reason, at=withdrawn.closed_at)
    return withdrawn


# --------------------------------------------------------------------------- rebuild


def case_rebuild(*, case: Case) -> bool:
    """Recompute the projection from the events; True when the stored row differed.

    The chain anchor (``last_seq``, ``last_hash``) is left alone: it is what lets
    ``verify_ledger`` notice events removed from the end of a chain.
    """
    template = template_of(case)
    view = fold(case.events.order_by("seq"), template)
    before = {name: getattr(case, name) for name in PROJECTED_FIELDS}
    _project(case, view, template)
    after = {name: getattr(case, name) for name in PROJECTED_FIELDS}
    if before != after:
        case.save(update_fields=PROJECTED_FIELDS)
        return True
    return False


@transaction.atomic
def case_record_notice(
    *, case: Case, user: User | None, kind: str, number: str, sha256: str, at: dt.datetime | None = None
) -> CaseEvent:
    """Record in the case's ledger that supervision issued a notice about it (its number
    and the SHA-256 of its PDF). It changes nothing of the case's state or clocks; only
    ``yiwang.supervision`` calls it, with the issuing supervisor or ``None`` for the
    automatic notices of a card."""
    number = _text(number, "number", CaseErrorCode.BAD_INPUT, _("A notice has a number."))
    if len(sha256 or "") != 64:
        raise CaseError(_("A notice is recorded with the SHA-256 of its document."), CaseErrorCode.BAD_INPUT)
    case = _lock(case)
    staff = staff_of(user)
    event = CaseEvent(
        case=case,
        seq=case.last_seq + 1,
        type=EventType.NOTICE,
        actor=user if user is not None and user.is_authenticated else None,
        actor_name=(staff.name if staff else ""),
        role=Role.SUPERVISOR if user is not None else "",
        department=staff.department if staff else None,
        occurred_at=at or _now(),
        recorded_at=_now(),
        payload={"kind": kind, "number": number, "sha256": sha256},
        prev_hash=case.last_hash or GENESIS,
    )
    event.hash = event_hash(event, case.number)
    event.save()
    case.last_seq = event.seq
    case.last_hash = event.hash
    case.save(update_fields=["last_seq", "last_hash", "updated_at"])
    return event
