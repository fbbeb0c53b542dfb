"""Efficiency complaints (效能投诉): the supervision room's casework, as seed 004 part 1
(华亭县政务服务中心投诉处理制度) lays it down.

Intake (受理). A complaint arrives by any channel and is registered on the 效能投诉受理
登记表 by a supervisor, a 12345 hotline agent (transferred from the hotline) or the
complainant online. The room then, within 3 working days (``ACK_WORKDAYS``), tells the
complainant how it is taken up: answered at once (现场答复), outside the room's remit
(answered with an explanation and a suggestion), or accepted for handling.

Handling (办理). Self-handled (自办): the room investigates (talks, inquiries, documents),
proposes a handling, and the head (分管领导: a leader whose scope covers the room's
region, or the room's own head) approves it; done within 7 working days of acceptance,
extended with the head's approval to at most 15. Transferred (转办, on the head's
instruction, recorded): the handling unit reports its findings and proposed handling to
the room, acts only after the room consents, then reports the result in writing; done
within 15 working days. Feedback (反馈): within 10 working days of acceptance for a
self-handled complaint, given by the room; for a transferred one the unit gives it, by
the 15th working day. A delay is explained to the complainant within the limit (说明
情况), which moves the feedback deadline to the handling deadline.

The three deadlines are watched by the time-limit ladders (targets ``complaint_ack``,
``complaint_handling``, ``complaint_feedback``): the complaint's ``subjects`` and
``next_at`` are kept here, and ``sweep_complaints`` (called by the supervision sweep)
raises the warnings and cards as for cases. A card lies with the supervision room for
what the room must do, and with the handling unit for what a transferred complaint's
unit must do.

Outcomes: substantiated or not, measures against the staff member and department, a
supervision recommendation or decision (监察建议书/决定书), and the archive (立卷归档).
The room may order a re-investigation of a handled complaint (重新调查, or take it over,
直接调查); a new complaint about the same matter is linked to the earlier one.

The complainant's particulars are shown only to supervisors whose scope covers the
complaint (``sees_identity``); messages to the complainant go through the system, so a
handling unit gives feedback without learning who complained.

Every change writes a ``ComplaintEvent`` in the same transaction; a refused action
changes nothing and tells nobody.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from yiwang.cases.models import Case
from yiwang.cases.uploads import inspect_upload
from yiwang.core import calendar
from yiwang.core.notify import Message, send, send_sms_to
from yiwang.org.models import PATH_LENGTH, Department, Region, Role, Staff
from yiwang.org.permissions import can_act, scope_of, staff_of, visible
from yiwang.supervision import facts as daily_facts
from yiwang.supervision import rules
from yiwang.supervision.models import (
    Alert,
    AlertAction,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintDocument,
    ComplaintDocumentKind,
    ComplaintEvent,
    ComplaintMeasure,
    ComplaintMode,
    ComplaintStatus,
    Investigation,
    InvestigationKind,
    MeasureKind,
    Target,
)
from yiwang.supervision.selectors import HistoryLine, history
from yiwang.supervision.services import (
    SupervisionError,
    SupervisionErrorCode,
    SweepReport,
    _new_notices,
    ladder,
    overseers,
    region_short_name,
    reply_deadline,
    tell,
    version_for,
)

User = AbstractBaseUser | AnonymousUser

ACK_WORKDAYS = 3
SELF_WORKDAYS = 7
SELF_MAX_WORKDAYS = 15
TRANSFER_WORKDAYS = 15
FEEDBACK_WORKDAYS = 10
REPEAT_MONTHS = 12
TEXT_LIMIT = 4000
NAME_LIMIT = 100
MAX_ATTACHMENTS = 10
_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
_PHONE_RE = re.compile(r"^[0-9+\-() ]{5,30}$")

OPEN_WORK = (ComplaintStatus.HANDLING, ComplaintStatus.PROPOSED, ComplaintStatus.CONSENTED)

ACTION_LABELS: dict[str, Any] = {
    "registered": pgettext_lazy("complaint action", "registered"),
    "repeat": pgettext_lazy("complaint action", "linked as a repeat complaint"),
    "attached": pgettext_lazy("complaint action", "document added"),
    "answered": pgettext_lazy("complaint action", "answered at once"),
    "declined": pgettext_lazy("complaint action", "outside the room's remit: answered"),
    "accepted": pgettext_lazy("complaint action", "accepted, handled by the room"),
    "transferred": pgettext_lazy("complaint action", "accepted and transferred"),
    "investigated": pgettext_lazy("complaint action", "investigation recorded"),
    "extended": pgettext_lazy("complaint action", "time limit extended"),
    "proposed": pgettext_lazy("complaint action", "handling proposed"),
    "reported": pgettext_lazy("complaint action", "findings reported by the unit"),
    "returned": pgettext_lazy("complaint action", "proposal sent back"),
    "approved": pgettext_lazy("complaint action", "handling approved"),
    "consented": pgettext_lazy("complaint action", "room consented to the handling"),
    "result": pgettext_lazy("complaint action", "result reported in writing"),
    "interim": pgettext_lazy("complaint action", "complainant told of the delay"),
    "feedback": pgettext_lazy("complaint action", "feedback given"),
    "reinvestigate": pgettext_lazy("complaint action", "re-investigation ordered"),
    "notice": pgettext_lazy("complaint action", "notice issued"),
    "talk": pgettext_lazy("complaint action", "admonition talk scheduled"),
    "archived": pgettext_lazy("complaint action", "archived"),
    "notified": pgettext_lazy("complaint action", "people told"),
}


# --------------------------------------------------------------------------- who is who


def room_of(region: Region) -> Department | None:
    """The electronic supervision room of ``region``, or of the nearest region above it."""
    path = region.path
    prefixes = [path[:n] for n in sorted(PATH_LENGTH.values()) if n <= len(path)]
    return (
        Department.objects.filter(is_supervision_room=True, is_active=True, region__path__in=prefixes)
        .select_related("region")
        .order_by("-region__path", "pk")
        .first()
    )


def is_room(user: User | None, complaint: Complaint) -> bool:
    """A supervisor whose scope covers the complaint: the supervision room."""
    return can_act(user, complaint, Role.SUPERVISOR)


sees_identity = is_room


def is_head(user: User | None, complaint: Complaint) -> bool:
    """The head who approves (分管领导): a leader whose region scope covers the complaint,
    not limited to departments (the head of the department complained about is not), or
    the head of the supervision room itself."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    path = complaint.region.path
    room = room_of(complaint.region)
    for grant in scope.grants_for((Role.LEADER,)):
        if grant.department_ids is None and grant.covers(path, None):
            return True
        if room is not None and grant.department_ids is not None and room.pk in grant.department_ids:
            return True
    return False


def _unit_ids(user: User | None) -> set[int]:
    """The departments the user works for: their own and those their roles are limited to."""
    ids: set[int] = set()
    staff = staff_of(user)
    if staff is not None and staff.is_active:
        ids.add(staff.department_id)
    for grant in scope_of(user).grants:
        if grant.department_ids is not None:
            ids |= set(grant.department_ids)
    return ids


def is_unit(user: User | None, complaint: Complaint) -> bool:
    """Staff of the unit a complaint was transferred to."""
    return (
        complaint.mode == ComplaintMode.TRANSFER
        and complaint.handling_unit_id is not None
        and complaint.handling_unit_id in _unit_ids(user)
    )


# --------------------------------------------------------------------------- reads


def _headed_room_paths(user: User | None) -> list[str]:
    """The region paths of the supervision rooms the user heads (a leader limited to the room)."""
    ids: set[int] = set()
    for grant in scope_of(user).grants_for((Role.LEADER,)):
        if grant.department_ids is not None:
            ids |= grant.department_ids
    if not ids:
        return []
    return list(
        Department.objects.filter(pk__in=ids, is_supervision_room=True).values_list("region__path", flat=True)
    )


def complaints_for(user: User | None) -> QuerySet[Complaint]:
    """What a user may read: supervisors and leaders in scope (a department's head sees
    those about the department), the head of a supervision room those of the room's region
    (they approve them: ``is_head``), and the staff of a unit the complaints transferred to it."""
    watched = visible(user, Complaint.objects.all(), roles=(Role.SUPERVISOR, Role.LEADER))
    rooms = _headed_room_paths(user)
    if rooms:
        watched = watched | Complaint.objects.filter(
            reduce(or_, (Q(region__path__startswith=path) for path in rooms))
        )
    units = _unit_ids(user)
    if not units:
        return watched
    return watched | Complaint.objects.filter(mode=ComplaintMode.TRANSFER, handling_unit_id__in=units)


def may_use_complaints(user: User | None) -> bool:
    scope = scope_of(user)
    if scope.has_role(Role.SUPERVISOR, Role.LEADER):
        return True
    units = _unit_ids(user)
    return bool(units) and Complaint.objects.filter(handling_unit_id__in=units).exists()


def may_register(user: User | None) -> bool:
    return scope_of(user).has_role(Role.SUPERVISOR, Role.HOTLINE_AGENT)


def complaint_list(user: User | None) -> QuerySet[Complaint]:
    return complaints_for(user).select_related("department", "staff", "handling_unit", "region")


def complaint_for(user: User | None, pk: int) -> Complaint | None:
    return (
        complaints_for(user)
        .select_related(
            "department__region",
            "staff",
            "case__item_version",
            "handling_unit",
            "region",
            "repeat_of",
            "registered_by__staff",
            "decided_by__staff",
            "feedback_by__staff",
            "archived_by__staff",
        )
        .filter(pk=pk)
        .first()
    )


def complaint_history(complaint: Complaint, *, identity: bool = True) -> list[HistoryLine]:
    """The complaint's history; without ``identity`` a complainant who filed online is
    called "the complainant", not by their account's name."""
    lines = history(complaint.events.all(), ACTION_LABELS)
    if identity or complaint.complainant_user_id is None:
        return lines
    return [
        replace(line, who=_("the complainant"))
        if getattr(line.entry, "actor_id", None) == complaint.complainant_user_id
        else line
        for line in lines
    ]


def departments_in_scope(user: User | None) -> QuerySet[Department]:
    """Departments a complaint may be registered against by this user."""
    scope = scope_of(user)
    qs = Department.objects.filter(is_active=True).select_related("region")
    if scope.is_superuser:
        return qs.order_by("region__path", "name")
    return visible(user, qs, roles=(Role.SUPERVISOR, Role.HOTLINE_AGENT)).order_by("region__path", "name")


def _any_region_grant(user: User | None, roles: Sequence[Role], department: Department) -> bool:
    return (
        any(grant.covers(department.region.path, department.pk) for grant in scope_of(user).grants_for(roles))
        or scope_of(user).is_superuser
    )


# --------------------------------------------------------------------------- helpers


def _actor(user: User | None) -> Any:
    return user if user is not None and user.is_authenticated else None


def moment(at: dt.datetime | None) -> dt.datetime:
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise SupervisionError(_("The moment must carry a time zone."), SupervisionErrorCode.BAD_INPUT)
    return at


def _day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def _text(value: str | None, *, field: str, missing: str | None = None, limit: int = TEXT_LIMIT) -> str:
    text = (value or "").strip()
    if not text and missing is not None:
        raise SupervisionError(missing, SupervisionErrorCode.BAD_INPUT, field)
    if len(text) > limit:
        raise SupervisionError(
            _("Keep it within %(n)d characters.") % {"n": limit}, SupervisionErrorCode.BAD_INPUT, field
        )
    return text


def record_event(
    complaint: Complaint, action: str, user: User | None, at: dt.datetime, note: str = ""
) -> None:
    ComplaintEvent.objects.create(complaint=complaint, action=action, actor=_actor(user), at=at, note=note)


def lock(complaint: Complaint) -> Complaint:
    """The complaint's row, locked for the rest of the transaction (its own row only: the
    handling unit and the account are optional, outer joins PostgreSQL cannot lock)."""
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("region", "department__region", "handling_unit__region", "complainant_user")
        .get(pk=complaint.pk)
    )


def _forbidden(message: str) -> SupervisionError:
    return SupervisionError(message, SupervisionErrorCode.FORBIDDEN)


def require_room(user: User | None, complaint: Complaint) -> None:
    if not is_room(user, complaint):
        raise _forbidden(
            _("Only the supervision room covering %(department)s may do this.")
            % {"department": complaint.department.name}
        )


def require_status(complaint: Complaint, allowed: Iterable[str], doing: str) -> None:
    if complaint.status not in allowed:
        raise SupervisionError(
            _("This complaint is “%(status)s”: it cannot be %(doing)s now.")
            % {"status": complaint.get_status_display(), "doing": doing},
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )


def _link(complaint: Complaint) -> str:
    return reverse("supervision:complaint", args=[complaint.pk])


def _tell_staff(
    complaint: Complaint, users: Iterable[Any], subject: str, body: str, kind: str, at: dt.datetime
) -> int:
    people, sent = tell(users, subject=subject, body=body, link=_link(complaint), kind=kind, at=at)
    if people:
        record_event(complaint, "notified", None, at, str(people))
    return sent


def _room_people(complaint: Complaint) -> list[Any]:
    """The supervisors covering the complaint and the heads who approve."""
    from yiwang.org.models import RoleAssignment

    rows = (
        RoleAssignment.objects.filter(
            role__in=(Role.SUPERVISOR, Role.LEADER), staff__is_active=True, staff__user__is_active=True
        )
        .filter(Q(department__isnull=True) | Q(department__is_supervision_room=True))
        .select_related("region", "staff__user")
    )
    path = complaint.region.path
    return list(
        {
            row.staff.user.pk: row.staff.user
            for row in rows
            if row.region is None or path.startswith(row.region.path)
        }.values()
    )


def _unit_people(complaint: Complaint) -> list[Any]:
    unit = complaint.handling_unit
    if unit is None:
        return []
    return overseers(department_id=unit.pk, region_path=unit.region.path)


def _tell_complainant(complaint: Complaint, text: str, at: dt.datetime) -> str:
    """Tell the complainant through the system (their account, else an SMS to their
    mobile); returns how, for the history. The handling unit never sees the address."""
    subject = _("Your complaint %(number)s") % {"number": complaint.number}
    if complaint.complainant_user_id is not None:
        send(
            [
                Message(
                    recipient=complaint.complainant_user,
                    subject=subject,
                    body=text,
                    kind="complaint.reply",
                )
            ],
            at=at,
        )
        return _("by message to their account")
    if complaint.complainant_mobile and send_sms_to(
        complaint.complainant_mobile, f"{subject}: {text}"[:300], at=at
    ):
        return _("by SMS")
    return _("by the contact on the registration form (no account or mobile on record)")


def _document(
    complaint: Complaint, upload: UploadedFile, kind: str, title: str, user: User | None, at: dt.datetime
) -> ComplaintDocument:
    info = inspect_upload(upload)
    doc = ComplaintDocument(
        complaint=complaint,
        kind=kind,
        title=(title or upload.name or kind)[:200],
        content_type=info.content_type,
        size=info.size,
        sha256=info.sha256,
        uploaded_by=_actor(user),
        uploaded_at=at,
    )
    doc.file.save(
        f"{complaint.year}-{complaint.serial}-{info.sha256[:16]}.{info.extension}", upload, save=False
    )
    doc.save()
    # The history is read outside the room too: a complainant's own file is not named there.
    named = "" if kind == ComplaintDocumentKind.ATTACHMENT else f"{doc.title} "
    record_event(complaint, "attached", user, at, f"{named}({doc.get_kind_display()}, SHA-256 {info.sha256})")
    return doc


def _check_files(uploads: Sequence[UploadedFile], field: str = "files") -> None:
    if len(uploads) > MAX_ATTACHMENTS:
        raise SupervisionError(
            _("Attach at most %(n)d files.") % {"n": MAX_ATTACHMENTS}, SupervisionErrorCode.BAD_INPUT, field
        )
    for upload in uploads:
        try:
            inspect_upload(upload)
        except ValidationError as exc:
            raise SupervisionError(exc.messages[0], SupervisionErrorCode.BAD_INPUT, field) from None


def _serial(region: Region, year: int) -> int:
    from yiwang.supervision.services import _allocate_serials

    return _allocate_serials(region.pk, "complaint", year, 1)


def complaint_number(region: Region, year: int, serial: int) -> str:
    """``邯山效投〔2026〕3号``: the registration number, per room and year."""
    return f"{region_short_name(region)}效投〔{year}〕{serial}号"


# --------------------------------------------------------------------------- the watch


def subjects_of(complaint: Complaint) -> list[rules.Subject]:
    """The complaint's deadlines now running."""
    c = complaint
    if not c.is_open or (c.status == ComplaintStatus.HANDLED and c.feedback_at is not None):
        return []
    n = c.reinvestigations
    subjects: list[rules.Subject] = []
    if c.status == ComplaintStatus.REGISTERED and c.acked_at is None:
        subjects.append(rules.Subject(Target.COMPLAINT_ACK, "ack", "", c.ack_due, ACK_WORKDAYS))
    if c.status in OPEN_WORK and c.handling_due is not None:
        subjects.append(
            rules.Subject(
                Target.COMPLAINT_HANDLING,
                f"handling:{n}:{c.handling_due.isoformat()}",
                "",
                c.handling_due,
                c.handling_limit or TRANSFER_WORKDAYS,
            )
        )
    if (
        c.status in (*OPEN_WORK, ComplaintStatus.HANDLED)
        and c.feedback_due is not None
        and c.feedback_at is None
    ):
        subjects.append(
            rules.Subject(
                Target.COMPLAINT_FEEDBACK,
                f"feedback:{n}:{c.feedback_due.isoformat()}",
                "",
                c.feedback_due,
                FEEDBACK_WORKDAYS
                if c.mode == ComplaintMode.SELF
                else (c.handling_limit or TRANSFER_WORKDAYS),
            )
        )
    return subjects


def responsible_for(complaint: Complaint, target: str, room: Department | None = None) -> int | None:
    """The department a deadline lies with: the handling unit for the handling and the
    feedback of a transferred complaint, else the supervision room (``room`` when the
    caller has looked it up)."""
    if complaint.mode == ComplaintMode.TRANSFER and target in (
        Target.COMPLAINT_HANDLING,
        Target.COMPLAINT_FEEDBACK,
    ):
        return complaint.handling_unit_id
    room = room or room_of(complaint.region)
    return room.pk if room is not None else None


def refresh(complaint: Complaint, *, at: dt.datetime | None = None) -> Complaint:
    """Recompute the complaint's deadlines, ladder and next firing moment."""
    subjects = subjects_of(complaint)
    complaint.subjects = [s.to_json() for s in subjects]
    complaint.next_at = None
    complaint.rule_version_id = None
    if subjects:
        unit = complaint.handling_unit_id if complaint.mode == ComplaintMode.TRANSFER else None
        complaint.rule_version_id = version_for(
            item_id=complaint.case.item_id if complaint.case_id else 0,
            department_id=unit or complaint.department_id,
            region_path=complaint.region.path,
        )
        if complaint.rule_version_id is not None:
            firings = rules.firings_of(subjects, ladder(complaint.rule_version_id))
            raised = set(Alert.objects.filter(complaint_id=complaint.pk).values_list("subject_key", "level"))
            complaint.next_at = rules.next_moment(firings, raised)
    Complaint.objects.filter(pk=complaint.pk).update(
        subjects=complaint.subjects, rule_version_id=complaint.rule_version_id, next_at=complaint.next_at
    )
    return complaint


def alert_text(alert: Alert, complaint: Complaint) -> tuple[str, str]:
    what = {
        Target.COMPLAINT_ACK: _("telling the complainant of the acceptance"),
        Target.COMPLAINT_HANDLING: _("handling the complaint"),
        Target.COMPLAINT_FEEDBACK: _("feedback to the complainant"),
    }[Target(alert.target)]
    subject = _("[%(level)s] Complaint %(number)s: %(what)s, due %(due)s") % {
        "level": alert.get_level_display(),
        "number": complaint.number,
        "what": what,
        "due": alert.due_date.isoformat(),
    }
    body = _(
        "Efficiency complaint %(number)s about %(department)s: %(what)s was due on %(due)s. "
        "A %(level)s was raised. Please act on it and, for a card, submit an explanation."
    ) % {
        "number": complaint.number,
        "department": complaint.department.name,
        "what": what,
        "due": alert.due_date.isoformat(),
        "level": alert.get_level_display(),
    }
    return subject, body


def complaint_card_facts(complaint: Complaint, alert: Alert) -> str:
    """What happened, for a notice about a complaint's card (Chinese: a document)."""
    from yiwang.supervision.documents import chinese_date

    what = {
        Target.COMPLAINT_ACK: "告知投诉人受理情况（3个工作日）",
        Target.COMPLAINT_HANDLING: "投诉件办理时限",
        Target.COMPLAINT_FEEDBACK: "向投诉人反馈办理结果时限",
    }[Target(alert.target)]
    day = timezone.localtime(alert.fire_at).date()
    return (
        f"效能投诉件{complaint.number}（投诉{complaint.department.name}）{what}应于"
        f"{chinese_date(alert.due_date)}届满，截至{chinese_date(day)}尚未完成，"
        f"电子监察系统已于{chinese_date(day)}发出{alert.get_level_display()}。"
    )


def sweep_complaints(at: dt.datetime, report: SweepReport, *, batch: int = 500, notify: bool = True) -> None:
    """Raise the complaint warnings and cards due at ``at`` (part of ``services.sweep``)."""
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            qs = Complaint.objects.filter(next_at__lte=at).order_by("next_at")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            due_rows = [
                c
                for c in qs.select_related("region", "department", "handling_unit__region", "case")[:batch]
                if c.pk not in seen
            ]
            if not due_rows:
                return
            seen.update(c.pk for c in due_rows)
            _sweep_batch(due_rows, at, report, notify=notify)


def _sweep_batch(complaints: list[Complaint], at: dt.datetime, report: SweepReport, *, notify: bool) -> None:
    raised: dict[int, set[tuple[str, str]]] = {}
    for cid, key, level in Alert.objects.filter(complaint_id__in=[c.pk for c in complaints]).values_list(
        "complaint_id", "subject_key", "level"
    ):
        raised.setdefault(cid, set()).add((key, level))
    rooms: dict[int, Department | None] = {}  # per region: a batch shares few
    new_alerts: list[Alert] = []
    notice_kinds: list[str] = []
    for complaint in complaints:
        report.complaints += 1
        if complaint.rule_version_id is None or not complaint.is_open:
            complaint.next_at = None
            continue
        if complaint.region_id not in rooms:
            rooms[complaint.region_id] = room_of(complaint.region)
        subjects = [rules.Subject.from_json(s) for s in complaint.subjects]
        firings = rules.firings_of(subjects, ladder(complaint.rule_version_id))
        due, complaint.next_at = rules.split_due(firings, at, raised.get(complaint.pk, set()))
        for f in due:
            department_id = responsible_for(complaint, f.subject.target, rooms[complaint.region_id])
            if department_id is None:
                continue
            new_alerts.append(
                Alert(
                    complaint=complaint,
                    department_id=department_id,
                    region_id=complaint.region_id,
                    target=f.subject.target,
                    subject_key=f.subject.key,
                    level=f.level,
                    due_date=f.subject.due,
                    fire_at=f.moment,
                    raised_at=at,
                    rule_version_id=complaint.rule_version_id,
                )
            )
            notice_kinds.append(f.notice_kind)
    by_moment: dict[dt.datetime | None, list[int]] = {}
    for complaint in complaints:
        by_moment.setdefault(complaint.next_at, []).append(complaint.pk)
    for next_at, ids in by_moment.items():  # one UPDATE per distinct moment
        Complaint.objects.filter(pk__in=ids).update(next_at=next_at)
    created, kinds = _save_alerts(new_alerts, notice_kinds)
    daily_facts.on_alerts(created)
    if not created:
        return
    specs = [
        (kind, alert.complaint, alert, complaint_card_facts(alert.complaint, alert), "", reply_deadline(at))
        for alert, kind in zip(created, kinds, strict=True)
        if kind  # a stage may issue a notice, as for cases
    ]
    if specs:
        report.notices += len(_new_notices(specs, at=at, user=None))
    report.alerts += len(created)
    for alert in created:
        report.by_level[alert.level] = report.by_level.get(alert.level, 0) + 1
    AlertAction.objects.bulk_create(AlertAction(alert=a, action="raised", at=at) for a in created)
    if notify:
        report.messages += _notify_alerts(created, at)


def _save_alerts(alerts: list[Alert], kinds: list[str]) -> tuple[list[Alert], list[str]]:
    """Save the alerts in one statement; where another process raised some meanwhile
    (only possible without row locks, i.e. on SQLite), one at a time, skipping those."""
    if not alerts:
        return [], []
    try:
        with transaction.atomic():
            return Alert.objects.bulk_create(alerts), kinds
    except IntegrityError:
        saved, saved_kinds = [], []
        for alert, kind in zip(alerts, kinds, strict=True):
            try:
                with transaction.atomic():
                    alert.save()
            except IntegrityError:
                continue
            saved.append(alert)
            saved_kinds.append(kind)
        return saved, saved_kinds


def _notify_alerts(alerts: list[Alert], at: dt.datetime) -> int:
    """Tell the room (and, for its cards, the handling unit) of each new alert: the
    recipients are looked up once per region and unit, the messages sent in one go."""
    room_people: dict[int, list[Any]] = {}
    unit_people: dict[int, list[Any]] = {}
    messages: list[Message] = []
    told: list[AlertAction] = []
    for alert in alerts:
        complaint = alert.complaint
        if complaint is None:
            continue
        if complaint.region_id not in room_people:
            room_people[complaint.region_id] = _room_people(complaint)
        people = {u.pk: u for u in room_people[complaint.region_id]}
        unit_id = complaint.handling_unit_id
        if unit_id is not None and alert.department_id == unit_id:
            if unit_id not in unit_people:
                unit_people[unit_id] = _unit_people(complaint)
            people.update((u.pk, u) for u in unit_people[unit_id])
        subject, body = alert_text(alert, complaint)
        link = reverse("supervision:alert", args=[alert.pk])
        messages += [
            Message(recipient=u, subject=subject, body=body, link=link, kind=f"alert.{alert.level}")
            for u in people.values()
        ]
        told.append(AlertAction(alert=alert, action="notified", at=at, note=str(len(people))))
    AlertAction.objects.bulk_create(told)
    return send(messages, at=at)


# --------------------------------------------------------------------------- intake


def _validate_contact(name: str, mobile: str, phone: str) -> tuple[str, str, str]:
    name = _text(name, field="complainant_name", missing=_("Give the complainant's name."), limit=NAME_LIMIT)
    mobile = (mobile or "").strip().replace(" ", "")
    phone = (phone or "").strip()
    if mobile and not _MOBILE_RE.match(mobile):
        raise SupervisionError(
            _("“%(value)s” is not a mainland mobile number (11 digits starting with 1).") % {"value": mobile},
            SupervisionErrorCode.BAD_INPUT,
            "complainant_mobile",
        )
    if phone and not _PHONE_RE.match(phone):
        raise SupervisionError(
            _("“%(value)s” is not a telephone number.") % {"value": phone},
            SupervisionErrorCode.BAD_INPUT,
            "complainant_phone",
        )
    return name, mobile, phone


def find_repeat(
    *, department: Department, case: Case | None, staff: Staff | None, category: str, at: dt.datetime
) -> Complaint | None:
    """The earliest complaint of the last 12 months about the same matter: the same case,
    or the same staff member for the same category, or the same department for the same
    category when neither names a case or a person."""
    from yiwang.supervision.talks import window_start

    since = window_start(at, REPEAT_MONTHS)
    qs = Complaint.objects.filter(department=department, received_at__gte=since, received_at__lte=at)
    if case is not None:
        qs = qs.filter(case=case)
    elif staff is not None:
        qs = qs.filter(staff=staff, category=category)
    else:
        qs = qs.filter(category=category, case__isnull=True, staff__isnull=True)
    first = qs.order_by("received_at", "pk").first()
    if first is not None and first.repeat_of_id is not None:
        return first.repeat_of
    return first


def _own_case(user: Any, case: Case) -> bool:
    """A case the signed-in citizen may complain about: filed through their account, or
    filed (at a window, say) under the ID number or USCC of a verified account they act for."""
    from yiwang.portal.accounts import may_act_for_case  # the portal builds on supervision

    return may_act_for_case(user, case)


@transaction.atomic
def complaint_register(
    *,
    user: User | None,
    channel: str,
    category: str,
    department: Department | None,
    content: str,
    complainant_name: str,
    complainant_mobile: str = "",
    complainant_phone: str = "",
    complainant_address: str = "",
    staff: Staff | None = None,
    case: Case | None = None,
    request: str = "",
    attachments: Sequence[UploadedFile] = (),
    received_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> Complaint:
    """Register a complaint (效能投诉受理登记表). A supervisor registers what comes by any
    channel; a 12345 hotline agent what the hotline transfers; a signed-in citizen files
    their own online (``channel`` portal: the account is the complainant's)."""
    at = moment(at)
    received_at = received_at or at
    if timezone.is_naive(received_at) or received_at > at:
        raise SupervisionError(
            _("The complaint cannot have been received later than now."),
            SupervisionErrorCode.BAD_INPUT,
            "received_at",
        )
    if channel not in ComplaintChannel.values:
        raise SupervisionError(
            _("Choose how the complaint came in."), SupervisionErrorCode.BAD_INPUT, "channel"
        )
    if category not in ComplaintCategory.values:
        raise SupervisionError(
            _("Choose what kind of problem it is."), SupervisionErrorCode.BAD_INPUT, "category"
        )
    content = _text(content, field="content", missing=_("Say what happened: a complaint needs its content."))
    request = _text(request, field="request")
    if department is None:
        raise SupervisionError(
            _("Say which department the complaint is about."), SupervisionErrorCode.BAD_INPUT, "department"
        )
    if not department.is_active:
        raise SupervisionError(
            _("%(name)s is no longer an active department.") % {"name": department.name},
            SupervisionErrorCode.BAD_INPUT,
            "department",
        )
    staff_member = staff_of(user)
    online = channel == ComplaintChannel.PORTAL and staff_member is None
    if online:
        if user is None or not user.is_authenticated:
            raise _forbidden(_("Sign in to complain online, or call the complaint telephone."))
    elif not _any_region_grant(user, (Role.SUPERVISOR,), department) and not (
        channel == ComplaintChannel.HOTLINE and _any_region_grant(user, (Role.HOTLINE_AGENT,), department)
    ):
        raise _forbidden(
            _(
                "Only the supervision room covering %(department)s, or the 12345 hotline for what it "
                "transfers, may register a complaint about it."
            )
            % {"department": department.name}
        )
    name, mobile, phone = _validate_contact(complainant_name, complainant_mobile, complainant_phone)
    address = _text(complainant_address, field="complainant_address", limit=200)
    if not online and not (mobile or phone or address):
        raise SupervisionError(
            _("Give at least one way to reach the complainant: a mobile, a telephone or an address."),
            SupervisionErrorCode.BAD_INPUT,
            "complainant_mobile",
        )
    if staff is not None and staff.department_id != department.pk:
        raise SupervisionError(
            _("%(name)s does not work for %(department)s.")
            % {"name": staff.name, "department": department.name},
            SupervisionErrorCode.BAD_INPUT,
            "staff",
        )
    if case is not None:
        if case.department_id != department.pk:
            raise SupervisionError(
                _("Case %(number)s is not handled by %(department)s.")
                % {"number": case.number, "department": department.name},
                SupervisionErrorCode.BAD_INPUT,
                "case",
            )
        if online and not _own_case(user, case):
            raise SupervisionError(
                _("You can name only a case of your own."), SupervisionErrorCode.BAD_INPUT, "case"
            )
    _check_files(list(attachments))
    room = room_of(department.region)
    if room is None:
        raise SupervisionError(
            _("No electronic supervision room covers %(department)s: record one first.")
            % {"department": department.name},
            SupervisionErrorCode.BAD_INPUT,
            "department",
        )
    region = department.region
    year = timezone.localtime(received_at).year
    serial = _serial(region, year)
    repeat = find_repeat(department=department, case=case, staff=staff, category=category, at=received_at)
    complaint = Complaint.objects.create(
        number=complaint_number(region, year, serial),
        serial=serial,
        year=year,
        region=region,
        channel=channel,
        category=category,
        priority=category == ComplaintCategory.RETALIATION,
        complainant_name=name,
        complainant_mobile=mobile,
        complainant_phone=phone,
        complainant_address=address,
        complainant_user=user if online else None,
        department=department,
        staff=staff,
        case=case,
        content=content,
        request=request,
        received_at=received_at,
        registered_by=_actor(user),
        ack_due=calendar.add_workdays(_day(received_at), ACK_WORKDAYS),
        repeat_of=repeat,
        created_at=at,
    )
    daily_facts.on_complaint_registered(complaint)
    record_event(
        complaint,
        "registered",
        user,
        at,
        _("%(channel)s; about %(department)s")
        % {"channel": complaint.get_channel_display(), "department": department.name},
    )
    if repeat is not None:
        record_event(
            complaint,
            "repeat",
            None,
            at,
            _("The same matter as complaint %(number)s.") % {"number": repeat.number},
        )
    for upload in attachments:
        _document(complaint, upload, ComplaintDocumentKind.ATTACHMENT, upload.name or "", user, at)
    refresh(complaint)
    subject = (
        _("Priority: retaliation complaint %(number)s about %(department)s")
        if complaint.priority
        else _("New efficiency complaint %(number)s about %(department)s")
    ) % {"number": complaint.number, "department": department.name}
    body = "\n".join(
        x
        for x in (
            complaint.get_category_display(),
            content[:500],
            _("Tell the complainant how it is taken up by %(date)s.")
            % {"date": complaint.ack_due.isoformat()},
            _("It repeats complaint %(number)s.") % {"number": repeat.number} if repeat else "",
        )
        if x
    )
    _tell_staff(complaint, _room_people(complaint), subject, body, "complaint.registered", at)
    if online:
        _tell_complainant(
            complaint,
            _("Received on %(date)s. The supervision room will tell you by %(due)s how it is taken up.")
            % {"date": _day(received_at).isoformat(), "due": complaint.ack_due.isoformat()},
            at,
        )
    return complaint


# --------------------------------------------------------------------------- taking it up


@transaction.atomic
def complaint_answer(
    *,
    complaint: Complaint,
    user: User | None,
    answer: str,
    outside_remit: bool,
    at: dt.datetime | None = None,
) -> Complaint:
    """Close a registered complaint without investigation: answered at once (现场答复),
    or outside the room's remit, answered with an explanation and a suggestion."""
    at = moment(at)
    complaint = lock(complaint)
    require_room(user, complaint)
    require_status(complaint, (ComplaintStatus.REGISTERED,), _("answered"))
    answer = _text(
        answer,
        field="answer",
        missing=_("Explain why it is outside the room's remit and suggest where to turn.")
        if outside_remit
        else _("Write the answer given to the complainant."),
    )
    complaint.status = ComplaintStatus.CLOSED
    complaint.answer = answer
    complaint.acked_at = at
    complaint.closed_at = at
    complaint.save(update_fields=["status", "answer", "acked_at", "closed_at"])
    how = _tell_complainant(complaint, answer, at)
    record_event(complaint, "declined" if outside_remit else "answered", user, at, f"{answer}\n({how})")
    refresh(complaint)
    return complaint


@transaction.atomic
def complaint_accept(
    *,
    complaint: Complaint,
    user: User | None,
    mode: str,
    handling_unit: Department | None = None,
    instruction: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> Complaint:
    """Accept a registered complaint (the day of acceptance, 受理之日, starts the limits)
    and tell the complainant: handled by the room (7 working days, feedback in 10), or
    transferred to a handling unit on the head's instruction (15 working days)."""
    at = moment(at)
    complaint = lock(complaint)
    require_room(user, complaint)
    require_status(complaint, (ComplaintStatus.REGISTERED,), _("accepted"))
    if mode not in ComplaintMode.values:
        raise SupervisionError(
            _("Choose whether the room handles it or transfers it."), SupervisionErrorCode.BAD_INPUT, "mode"
        )
    note = _text(note, field="note")
    day = _day(at)
    if mode == ComplaintMode.TRANSFER:
        if handling_unit is None:
            raise SupervisionError(
                _("Choose the unit the complaint is transferred to."),
                SupervisionErrorCode.BAD_INPUT,
                "handling_unit",
            )
        if handling_unit.is_supervision_room or not handling_unit.is_active:
            raise SupervisionError(
                _("A complaint is transferred to an active handling unit, not to a supervision room."),
                SupervisionErrorCode.BAD_INPUT,
                "handling_unit",
            )
        if not handling_unit.region.path.startswith(complaint.region.path):
            raise SupervisionError(
                _("%(unit)s is outside %(region)s: transfer within the room's region.")
                % {"unit": handling_unit.name, "region": complaint.region.name},
                SupervisionErrorCode.BAD_INPUT,
                "handling_unit",
            )
        instruction = _text(
            instruction,
            field="instruction",
            missing=_("Record the head's instruction (批示) to transfer the complaint."),
        )
        complaint.handling_unit = handling_unit
        complaint.transfer_instruction = instruction
        complaint.handling_limit = TRANSFER_WORKDAYS
        complaint.handling_due = calendar.add_workdays(day, TRANSFER_WORKDAYS)
        complaint.feedback_due = complaint.handling_due
    else:
        if handling_unit is not None:
            raise SupervisionError(
                _("A complaint the room handles itself has no handling unit."),
                SupervisionErrorCode.BAD_INPUT,
                "handling_unit",
            )
        complaint.handling_unit = None
        complaint.handling_limit = SELF_WORKDAYS
        complaint.handling_due = calendar.add_workdays(day, SELF_WORKDAYS)
        complaint.feedback_due = calendar.add_workdays(day, FEEDBACK_WORKDAYS)
    complaint.mode = mode
    complaint.status = ComplaintStatus.HANDLING
    complaint.accepted_on = day
    complaint.acked_at = at
    complaint.save(
        update_fields=[
            "mode",
            "status",
            "accepted_on",
            "acked_at",
            "handling_unit",
            "transfer_instruction",
            "handling_limit",
            "handling_due",
            "feedback_due",
        ]
    )
    text = _("Your complaint was accepted on %(date)s; you will hear the result by %(due)s.") % {
        "date": day.isoformat(),
        "due": complaint.feedback_due.isoformat(),  # type: ignore[union-attr]
    }
    how = _tell_complainant(complaint, text, at)
    if mode == ComplaintMode.TRANSFER and handling_unit is not None:
        record_event(
            complaint,
            "transferred",
            user,
            at,
            _("To %(unit)s, to be handled by %(due)s. Instruction: %(instruction)s")
            % {
                "unit": handling_unit.name,
                "due": complaint.handling_due.isoformat(),
                "instruction": instruction,
            }  # type: ignore[union-attr]
            + (f"\n{note}" if note else "")
            + f"\n({how})",
        )
        _tell_staff(
            complaint,
            _unit_people(complaint),
            _("Efficiency complaint %(number)s transferred to %(unit)s")
            % {"number": complaint.number, "unit": handling_unit.name},
            "\n".join(
                [
                    complaint.get_category_display(),
                    complaint.content[:500],
                    _(
                        "Report your findings and proposed handling to the supervision room and act only "
                        "after it consents; the handling is due by %(due)s."
                    )
                    % {"due": complaint.handling_due.isoformat()},  # type: ignore[union-attr]
                ]
            ),
            "complaint.transferred",
            at,
        )
    else:
        record_event(
            complaint,
            "accepted",
            user,
            at,
            _("Handled by %(due)s, feedback by %(feedback)s.")
            % {"due": complaint.handling_due.isoformat(), "feedback": complaint.feedback_due.isoformat()}  # type: ignore[union-attr]
            + (f"\n{note}" if note else "")
            + f"\n({how})",
        )
    refresh(complaint)
    return complaint


# --------------------------------------------------------------------------- handling


@transaction.atomic
def complaint_investigate(
    *,
    complaint: Complaint,
    user: User | None,
    kind: str,
    held_on: dt.date | None,
    record: str,
    people: str = "",
    upload: UploadedFile | None = None,
    at: dt.datetime | None = None,
) -> Investigation:
    """Record an investigation step (a talk, an inquiry, a review of documents)."""
    at = moment(at)
    complaint = lock(complaint)
    if not (is_room(user, complaint) or is_unit(user, complaint)):
        raise _forbidden(_("Only the supervision room or the handling unit records the investigation."))
    require_status(complaint, (ComplaintStatus.HANDLING, ComplaintStatus.CONSENTED), _("investigated"))
    if kind not in InvestigationKind.values:
        raise SupervisionError(_("Choose the kind of record."), SupervisionErrorCode.BAD_INPUT, "kind")
    if held_on is None or held_on > _day(at) or (complaint.accepted_on and held_on < complaint.accepted_on):
        raise SupervisionError(
            _("Give the date it took place: not before the acceptance, not in the future."),
            SupervisionErrorCode.BAD_INPUT,
            "held_on",
        )
    record = _text(record, field="record", missing=_("Write down what was found."))
    people = _text(people, field="people", limit=200)
    if upload is not None:
        _check_files([upload], "upload")
    doc = (
        _document(
            complaint,
            upload,
            ComplaintDocumentKind.RECORD,
            f"{InvestigationKind(kind).label} {held_on}",
            user,
            at,
        )
        if upload is not None
        else None
    )
    inv = Investigation.objects.create(
        complaint=complaint,
        kind=kind,
        held_on=held_on,
        people=people,
        record=record,
        document=doc,
        recorded_by=_actor(user),
        recorded_at=at,
    )
    record_event(
        complaint, "investigated", user, at, f"{inv.get_kind_display()} {held_on.isoformat()}: {record[:300]}"
    )
    return inv


@transaction.atomic
def complaint_extend(
    *,
    complaint: Complaint,
    user: User | None,
    workdays: int | None,
    reason: str,
    at: dt.datetime | None = None,
) -> Complaint:
    """The head extends a self-handled complaint's handling limit to ``workdays`` working
    days from acceptance (more than 7, at most 15)."""
    at = moment(at)
    complaint = lock(complaint)
    if not is_head(user, complaint):
        raise _forbidden(_("Only the head who approves the room's handling may extend its time limit."))
    require_status(complaint, (ComplaintStatus.HANDLING, ComplaintStatus.PROPOSED), _("extended"))
    if complaint.mode != ComplaintMode.SELF:
        raise SupervisionError(
            _("A transferred complaint has 15 working days and no extension."),
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    current = complaint.handling_limit or SELF_WORKDAYS
    if workdays is None or workdays > SELF_MAX_WORKDAYS:
        raise SupervisionError(
            _("The handling limit can be extended to at most %(n)d working days from acceptance.")
            % {"n": SELF_MAX_WORKDAYS},
            SupervisionErrorCode.BAD_INPUT,
            "workdays",
        )
    if workdays <= current:
        raise SupervisionError(
            _("The limit is already %(n)d working days: an extension makes it longer.") % {"n": current},
            SupervisionErrorCode.BAD_INPUT,
            "workdays",
        )
    reason = _text(reason, field="reason", missing=_("Say why the complaint cannot be handled in time."))
    complaint.handling_limit = workdays
    complaint.handling_due = calendar.add_workdays(complaint.accepted_on or _day(at), workdays)
    complaint.save(update_fields=["handling_limit", "handling_due"])
    record_event(
        complaint,
        "extended",
        user,
        at,
        _("To %(n)d working days, due %(due)s: %(reason)s")
        % {"n": workdays, "due": complaint.handling_due.isoformat(), "reason": reason},
    )
    refresh(complaint)
    return complaint


@dataclass(frozen=True)
class MeasureSpec:
    kind: str
    staff: Staff | None = None
    note: str = ""
    rectify_workdays: int | None = None


def _check_measures(
    complaint: Complaint, substantiated: bool | None, measures: Sequence[MeasureSpec]
) -> None:
    if substantiated is None:
        raise SupervisionError(
            _("Say whether the complaint is substantiated."), SupervisionErrorCode.BAD_INPUT, "substantiated"
        )
    if measures and not substantiated:
        raise SupervisionError(
            _("Measures are taken only on a substantiated complaint."),
            SupervisionErrorCode.BAD_INPUT,
            "measures",
        )
    for m in measures:
        if m.kind not in MeasureKind.values:
            raise SupervisionError(_("Unknown measure."), SupervisionErrorCode.BAD_INPUT, "measures")
        if m.staff is not None and m.staff.department_id != complaint.department_id:
            raise SupervisionError(
                _("%(name)s does not work for %(department)s.")
                % {"name": m.staff.name, "department": complaint.department.name},
                SupervisionErrorCode.BAD_INPUT,
                "measures",
            )
        if m.kind == MeasureKind.RECTIFICATION and not (m.rectify_workdays and 1 <= m.rectify_workdays <= 60):
            raise SupervisionError(
                _("Give the rectification a time limit of 1 to 60 working days."),
                SupervisionErrorCode.BAD_INPUT,
                "measures",
            )


def _store_proposal(measures: Sequence[MeasureSpec]) -> list[dict[str, Any]]:
    return [
        {
            "kind": m.kind,
            "staff": m.staff.pk if m.staff else None,
            "note": m.note.strip()[:1000],
            "rectify_workdays": m.rectify_workdays,
        }
        for m in measures
    ]


@transaction.atomic
def complaint_propose(
    *,
    complaint: Complaint,
    user: User | None,
    substantiated: bool | None,
    findings: str,
    proposal: str,
    measures: Sequence[MeasureSpec] = (),
    upload: UploadedFile | None = None,
    at: dt.datetime | None = None,
) -> Complaint:
    """Self-handled: the room proposes the handling for the head's approval. Transferred:
    the unit reports its findings and proposed handling for the room's consent, before it
    acts."""
    at = moment(at)
    complaint = lock(complaint)
    if complaint.mode == ComplaintMode.TRANSFER:
        if not is_unit(user, complaint):
            raise _forbidden(_("Only the handling unit reports its findings on a transferred complaint."))
    else:
        require_room(user, complaint)
    require_status(complaint, (ComplaintStatus.HANDLING,), _("proposed"))
    findings = _text(findings, field="findings", missing=_("Write down what the investigation found."))
    proposal = _text(proposal, field="proposal", missing=_("Write down the proposed handling."))
    _check_measures(complaint, substantiated, measures)
    if upload is not None:
        _check_files([upload], "upload")
        _document(
            complaint, upload, ComplaintDocumentKind.REPORT, _("Findings and proposed handling"), user, at
        )
    complaint.findings = findings
    complaint.proposal = proposal
    complaint.substantiated = substantiated
    complaint.proposed_measures = _store_proposal(measures)
    complaint.status = ComplaintStatus.PROPOSED
    complaint.save(update_fields=["findings", "proposal", "substantiated", "proposed_measures", "status"])
    verdict = _("substantiated") if substantiated else _("not substantiated")
    measure_names = "、".join(str(MeasureKind(m.kind).label) for m in measures)
    record_event(
        complaint,
        "reported" if complaint.mode == ComplaintMode.TRANSFER else "proposed",
        user,
        at,
        "\n".join(x for x in (verdict, findings, proposal, measure_names) if x),
    )
    if complaint.mode == ComplaintMode.TRANSFER:
        _tell_staff(
            complaint,
            _room_people(complaint),
            _("Complaint %(number)s: %(unit)s asks for consent to its handling")
            % {"number": complaint.number, "unit": complaint.handling_unit.name},  # type: ignore[union-attr]
            proposal[:500],
            "complaint.reported",
            at,
        )
    refresh(complaint)
    return complaint


def proposed_measures(complaint: Complaint) -> list[MeasureSpec]:
    """The measures of the latest proposal."""
    rows = list(complaint.proposed_measures or [])
    if not rows:
        return []
    staff = {s.pk: s for s in Staff.objects.filter(pk__in=[r["staff"] for r in rows if r.get("staff")])}
    return [
        MeasureSpec(r["kind"], staff.get(r.get("staff")), r.get("note", ""), r.get("rectify_workdays"))
        for r in rows
    ]


def _take_measures(complaint: Complaint, user: User | None, at: dt.datetime) -> list[ComplaintMeasure]:
    day = _day(at)
    made = [
        ComplaintMeasure(
            complaint=complaint,
            kind=m.kind,
            department_id=complaint.department_id,
            staff=m.staff or complaint.staff,
            note=m.note,
            rectify_by=calendar.add_workdays(day, m.rectify_workdays) if m.rectify_workdays else None,
            decided_at=at,
            decided_by=_actor(user),
        )
        for m in proposed_measures(complaint)
    ]
    return ComplaintMeasure.objects.bulk_create(made)


@transaction.atomic
def complaint_approve(
    *, complaint: Complaint, user: User | None, note: str = "", at: dt.datetime | None = None
) -> Complaint:
    """Self-handled: the head approves the room's proposal; the complaint is handled and
    its measures recorded. Transferred: the room consents to the unit's proposed handling,
    and the unit may act."""
    at = moment(at)
    complaint = lock(complaint)
    require_status(complaint, (ComplaintStatus.PROPOSED,), pgettext("complaint doing", "approved"))
    note = _text(note, field="note")
    if complaint.mode == ComplaintMode.TRANSFER:
        require_room(user, complaint)
        complaint.status = ComplaintStatus.CONSENTED
        complaint.save(update_fields=["status"])
        record_event(complaint, "consented", user, at, note)
        _tell_staff(
            complaint,
            _unit_people(complaint),
            _("Complaint %(number)s: the supervision room consents to your handling")
            % {"number": complaint.number},
            note or complaint.proposal[:500],
            "complaint.consented",
            at,
        )
    else:
        if not is_head(user, complaint):
            raise _forbidden(_("Only the head who oversees the supervision room approves its handling."))
        proposer = (
            complaint.events.filter(action="proposed")
            .order_by("-at", "-pk")
            .values_list("actor_id", flat=True)
            .first()
        )
        if (
            proposer is not None
            and user is not None
            and proposer == user.pk
            and not scope_of(user).is_superuser
        ):
            raise _forbidden(_("The handling is approved by someone other than who proposed it."))
        complaint.status = ComplaintStatus.HANDLED
        complaint.decided_at = at
        complaint.decided_by = _actor(user)
        complaint.handled_at = at
        complaint.result = complaint.proposal
        complaint.save(update_fields=["status", "decided_at", "decided_by", "handled_at", "result"])
        daily_facts.on_complaint_decided(complaint)
        measures = _take_measures(complaint, user, at)
        record_event(
            complaint,
            "approved",
            user,
            at,
            "\n".join(x for x in (note, "、".join(str(m.get_kind_display()) for m in measures)) if x),
        )
    refresh(complaint)
    return complaint


@transaction.atomic
def complaint_return(
    *, complaint: Complaint, user: User | None, reason: str, at: dt.datetime | None = None
) -> Complaint:
    """Send a proposal back (the head, self-handled; the room, transferred) with a reason."""
    at = moment(at)
    complaint = lock(complaint)
    require_status(complaint, (ComplaintStatus.PROPOSED,), _("sent back"))
    allowed = (
        is_room(user, complaint) if complaint.mode == ComplaintMode.TRANSFER else is_head(user, complaint)
    )
    if not allowed:
        raise _forbidden(_("Only who approves the proposal may send it back."))
    reason = _text(reason, field="reason", missing=_("Say why the proposal is sent back."))
    complaint.status = ComplaintStatus.HANDLING
    complaint.save(update_fields=["status"])
    record_event(complaint, "returned", user, at, reason)
    if complaint.mode == ComplaintMode.TRANSFER:
        _tell_staff(
            complaint,
            _unit_people(complaint),
            _("Complaint %(number)s: the supervision room does not consent to your handling")
            % {"number": complaint.number},
            reason,
            "complaint.returned",
            at,
        )
    refresh(complaint)
    return complaint


@transaction.atomic
def complaint_report_result(
    *,
    complaint: Complaint,
    user: User | None,
    result: str,
    upload: UploadedFile | None = None,
    at: dt.datetime | None = None,
) -> Complaint:
    """The handling unit, having acted with the room's consent, reports the result in
    writing (书面报告); the agreed measures are recorded."""
    at = moment(at)
    complaint = lock(complaint)
    if not is_unit(user, complaint):
        raise _forbidden(_("Only the handling unit reports the result of a transferred complaint."))
    if complaint.status in (ComplaintStatus.HANDLING, ComplaintStatus.PROPOSED):
        raise SupervisionError(
            _(
                "The supervision room has not consented to your handling yet: report your findings and "
                "proposed handling, and act only once it consents."
            ),
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    require_status(complaint, (ComplaintStatus.CONSENTED,), _("reported as handled"))
    result = _text(result, field="result", missing=_("Write down what was done."))
    if upload is not None:
        _check_files([upload], "upload")
        _document(
            complaint, upload, ComplaintDocumentKind.REPORT, _("Written report of the result"), user, at
        )
    complaint.status = ComplaintStatus.HANDLED
    complaint.result = result
    complaint.handled_at = at
    complaint.decided_at = at
    complaint.decided_by = _actor(user)
    complaint.save(update_fields=["status", "result", "handled_at", "decided_at", "decided_by"])
    daily_facts.on_complaint_decided(complaint)
    measures = _take_measures(complaint, user, at)
    record_event(
        complaint,
        "result",
        user,
        at,
        "\n".join(x for x in (result, "、".join(str(m.get_kind_display()) for m in measures)) if x),
    )
    _tell_staff(
        complaint,
        _room_people(complaint),
        _("Complaint %(number)s: %(unit)s reports the result")
        % {"number": complaint.number, "unit": complaint.handling_unit.name},  # type: ignore[union-attr]
        result[:500],
        "complaint.result",
        at,
    )
    refresh(complaint)
    return complaint


def _may_tell_complainant(user: User | None, complaint: Complaint) -> bool:
    if complaint.mode == ComplaintMode.TRANSFER:
        return is_unit(user, complaint) or is_room(user, complaint)
    return is_room(user, complaint)


@transaction.atomic
def complaint_tell_delay(
    *, complaint: Complaint, user: User | None, text: str, at: dt.datetime | None = None
) -> Complaint:
    """Explain a delay to the complainant within the limit (说明情况): the feedback is then
    due with the handling."""
    at = moment(at)
    complaint = lock(complaint)
    if not _may_tell_complainant(user, complaint):
        raise _forbidden(
            _(
                "Only the supervision room (or, when transferred, the handling unit) writes to the complainant."
            )
        )
    require_status(complaint, OPEN_WORK, _("explained to the complainant"))
    text = _text(text, field="text", missing=_("Write what the complainant is told."))
    how = _tell_complainant(complaint, text, at)
    complaint.interim_at = at
    if complaint.handling_due is not None and (
        complaint.feedback_due is None or complaint.handling_due > complaint.feedback_due
    ):
        complaint.feedback_due = complaint.handling_due
    complaint.save(update_fields=["interim_at", "feedback_due"])
    record_event(complaint, "interim", user, at, f"{text}\n({how})")
    refresh(complaint)
    return complaint


@transaction.atomic
def complaint_feedback(
    *, complaint: Complaint, user: User | None, text: str, at: dt.datetime | None = None
) -> Complaint:
    """Give the complainant the result: the room for a self-handled complaint; the
    handling unit for a transferred one (which reports it to the room, in the history)."""
    at = moment(at)
    complaint = lock(complaint)
    allowed = (
        is_unit(user, complaint) if complaint.mode == ComplaintMode.TRANSFER else is_room(user, complaint)
    )
    if not allowed:
        raise _forbidden(
            _("Feedback on a transferred complaint is given by its handling unit.")
            if complaint.mode == ComplaintMode.TRANSFER
            else _("Feedback on this complaint is given by the supervision room.")
        )
    require_status(complaint, (ComplaintStatus.HANDLED,), _("answered with feedback"))
    if complaint.feedback_at is not None:
        raise SupervisionError(_("Feedback has already been given."), SupervisionErrorCode.ILLEGAL_IN_STATE)
    text = _text(text, field="text", missing=_("Write the feedback given to the complainant."))
    how = _tell_complainant(complaint, text, at)
    complaint.feedback = text
    complaint.feedback_at = at
    complaint.feedback_by = _actor(user)
    complaint.save(update_fields=["feedback", "feedback_at", "feedback_by"])
    record_event(complaint, "feedback", user, at, f"{text}\n({how})")
    if complaint.mode == ComplaintMode.TRANSFER:
        _tell_staff(
            complaint,
            _room_people(complaint),
            _("Complaint %(number)s: the handling unit has given its feedback")
            % {"number": complaint.number},
            text[:500],
            "complaint.feedback",
            at,
        )
    refresh(complaint)
    return complaint


@transaction.atomic
def complaint_reinvestigate(
    *,
    complaint: Complaint,
    user: User | None,
    reason: str,
    direct: bool = False,
    at: dt.datetime | None = None,
) -> Complaint:
    """The room finds the handling improper: the unit investigates again (重新调查处理), or
    the room takes it over (``direct``, 直接调查处理). New limits run from today."""
    at = moment(at)
    complaint = lock(complaint)
    require_room(user, complaint)
    require_status(complaint, (ComplaintStatus.HANDLED,), _("re-investigated"))
    reason = _text(reason, field="reason", missing=_("Say what was improper in the handling."))
    daily_facts.on_complaint_reopened(complaint)  # the verdict set aside no longer counts
    day = _day(at)
    if direct or complaint.mode == ComplaintMode.SELF:
        complaint.mode = ComplaintMode.SELF
        complaint.handling_limit = SELF_WORKDAYS
        complaint.handling_due = calendar.add_workdays(day, SELF_WORKDAYS)
        complaint.feedback_due = calendar.add_workdays(day, FEEDBACK_WORKDAYS)
    else:
        complaint.handling_limit = TRANSFER_WORKDAYS
        complaint.handling_due = calendar.add_workdays(day, TRANSFER_WORKDAYS)
        complaint.feedback_due = complaint.handling_due
    complaint.reinvestigations += 1
    complaint.status = ComplaintStatus.HANDLING
    complaint.feedback_at = None
    complaint.interim_at = None
    complaint.substantiated = None
    complaint.save(
        update_fields=[
            "mode",
            "handling_limit",
            "handling_due",
            "feedback_due",
            "reinvestigations",
            "status",
            "feedback_at",
            "interim_at",
            "substantiated",
        ]
    )
    record_event(
        complaint,
        "reinvestigate",
        user,
        at,
        (_("The room investigates it itself.") if direct else _("The handling unit investigates again."))
        + "\n"
        + reason,
    )
    if complaint.mode == ComplaintMode.TRANSFER:
        _tell_staff(
            complaint,
            _unit_people(complaint),
            _("Complaint %(number)s: investigate again by %(due)s")
            % {"number": complaint.number, "due": complaint.handling_due.isoformat()},
            reason,
            "complaint.reinvestigate",
            at,
        )
    refresh(complaint)
    return complaint


@transaction.atomic
def complaint_attach(
    *,
    complaint: Complaint,
    user: User | None,
    upload: UploadedFile,
    kind: str,
    title: str = "",
    at: dt.datetime | None = None,
) -> ComplaintDocument:
    """Add a document to an open complaint (the room, or the handling unit)."""
    at = moment(at)
    complaint = lock(complaint)
    if not (is_room(user, complaint) or is_unit(user, complaint)):
        raise _forbidden(_("Only the supervision room or the handling unit adds documents."))
    if not complaint.is_open:
        raise SupervisionError(
            _("An archived or closed complaint takes no more documents."),
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    if kind not in ComplaintDocumentKind.values:
        raise SupervisionError(_("Choose the kind of document."), SupervisionErrorCode.BAD_INPUT, "kind")
    _check_files([upload], "upload")
    return _document(complaint, upload, kind, _text(title, field="title", limit=200), user, at)


def tell_room(complaint: Complaint, subject: str, body: str, kind: str, at: dt.datetime) -> int:
    """Tell the supervision room of a complaint (for the archive and notices modules)."""
    return _tell_staff(complaint, _room_people(complaint), subject, body, kind, at)


__all__ = [
    "ACK_WORKDAYS",
    "FEEDBACK_WORKDAYS",
    "SELF_MAX_WORKDAYS",
    "SELF_WORKDAYS",
    "TRANSFER_WORKDAYS",
    "MeasureSpec",
    "complaint_accept",
    "complaint_answer",
    "complaint_approve",
    "complaint_attach",
    "complaint_extend",
    "complaint_feedback",
    "complaint_investigate",
    "complaint_propose",
    "complaint_register",
    "complaint_reinvestigate",
    "complaint_report_result",
    "complaint_return",
    "complaint_tell_delay",
    "complaints_for",
    "refresh",
    "sees_identity",
    "sweep_complaints",
]
