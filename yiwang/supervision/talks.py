"""Admonition talks (约谈) of the supervision room: services and reads.

Seed 004 part 1 (五、监察要求; 监察员岗位职责 3): window staff who break the approval
rules or the centre's management, or against whom a complaint is substantiated, are
talked to and given a time-limited rectification (限期整改); whoever misses a talk
without a valid reason gets a bad record (不良记录) and their department is told; whoever
has been talked to three times or more (约谈三次以上) brings a talk with their department's
administrative head (单位行政负责人).

Escalation, as decided here: when a staff member's held staff-level talks within the
last ``SUPERVISION_TALKS_WINDOW_MONTHS`` (12) months reach
``SUPERVISION_TALKS_BEFORE_HEAD`` (3), a head-level talk is scheduled automatically
``SUPERVISION_HEAD_TALK_WORKDAYS`` (3) working days later at 09:00 in the supervision
room, and the head and the supervisors are told. There is at most one head talk about a
staff member within any such window: a fourth or fifth talk within 12 months of the head
talk adds nothing (the head has been talked to about them); once the head talk is older
than the window, the count within the window reaching the threshold escalates again. A
head talk scheduled by hand about the same person counts as well, cancelled or not (a
cancelled one is rescheduled by hand). Misses are bad records, not talks, and do not
count towards the threshold; neither do talks with a head about someone else.

Only supervisors act: one whose scope covers the talk (or the one who scheduled it,
while they still hold a supervisor role). Leaders in scope read; a staff member reads
their own talks. Every change is a ``TalkEvent`` in the same transaction, and the
notifications are written in it too (``notify.send``), so a refused action tells nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from yiwang.cases.models import Case
from yiwang.core import calendar
from yiwang.org.models import PATH_LENGTH, Department, Role, RoleAssignment, Staff
from yiwang.org.permissions import can_act, scope_of, staff_of, visible
from yiwang.supervision.models import Complaint, Talk, TalkEvent, TalkLevel, TalkReason, TalkStatus
from yiwang.supervision.selectors import HistoryLine, history
from yiwang.supervision.services import SupervisionError, SupervisionErrorCode, overseers, tell

User = AbstractBaseUser | AnonymousUser

WATCH_ROLES: tuple[Role, ...] = (Role.SUPERVISOR, Role.LEADER)
TEXT_LIMIT = 2000
PLACE_LIMIT = Talk._meta.get_field("place").max_length or 200
RECTIFY_MAX_WORKDAYS = 60
HEAD_TALK_TIME = dt.time(9, 0)

ACTION_LABELS: dict[str, Any] = {
    "scheduled": pgettext_lazy("talk action", "scheduled"),
    "held": pgettext_lazy("talk action", "held and recorded"),
    "missed": pgettext_lazy("talk action", "missed"),
    "excused": pgettext_lazy("talk action", "missed with a valid reason"),
    "cancelled": pgettext_lazy("talk action", "cancelled"),
    "escalated": pgettext_lazy("talk action", "escalated to the department's head"),
    "no_head": pgettext_lazy("talk action", "no head on record to escalate to"),
    "notified": pgettext_lazy("talk action", "people told"),
}


def talks_before_head() -> int:
    return max(1, int(getattr(settings, "SUPERVISION_TALKS_BEFORE_HEAD", 3)))


def window_months() -> int:
    return max(1, int(getattr(settings, "SUPERVISION_TALKS_WINDOW_MONTHS", 12)))


def head_talk_workdays() -> int:
    return max(0, int(getattr(settings, "SUPERVISION_HEAD_TALK_WORKDAYS", 3)))


def window_start(at: dt.datetime, months: int | None = None) -> dt.datetime:
    """The same local moment ``months`` months before ``at`` (29 February → 28th)."""
    months = window_months() if months is None else months
    local = timezone.localtime(at)
    index = local.year * 12 + local.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = local.day
    while True:
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- reads


def may_use_talks(user: User | None) -> bool:
    """Supervisors and leaders, and any active staff member (who sees their own talks)."""
    if scope_of(user).has_role(*WATCH_ROLES):
        return True
    staff = staff_of(user)
    return staff is not None and staff.is_active


def may_schedule(user: User | None) -> bool:
    return scope_of(user).has_role(Role.SUPERVISOR)


def talks_for(user: User | None) -> QuerySet[Talk]:
    """The talks a user may read: those in their supervisor or leader scope, and their own."""
    watched = visible(user, Talk.objects.all(), roles=WATCH_ROLES)
    staff = staff_of(user)
    if staff is None or not staff.is_active:
        return watched
    return watched | Talk.objects.filter(staff_id=staff.pk)


def talk_list(user: User | None) -> QuerySet[Talk]:
    return (
        talks_for(user).select_related("staff", "department", "concerning").order_by("-scheduled_at", "-pk")
    )


def talk_for(user: User | None, pk: int) -> Talk | None:
    return (
        talks_for(user)
        .select_related(
            "staff__department",
            "department",
            "region",
            "case",
            "complaint",
            "concerning__department",
            "escalated_from",
            "escalation",
            "created_by__staff",
            "recorded_by__staff",
        )
        .filter(pk=pk)
        .first()
    )


def staff_in_scope(user: User | None) -> QuerySet[Staff]:
    """Whom a supervisor may schedule a talk with (anyone active in scope but themselves)."""
    staff = visible(user, Staff.objects.filter(is_active=True), roles=(Role.SUPERVISOR,))
    if user is not None and user.pk is not None:
        staff = staff.exclude(user_id=user.pk)
    return staff.select_related("department").order_by("department__region__path", "department__name", "name")


def can_schedule_with(user: User | None, staff: Staff) -> bool:
    return can_act(user, staff, Role.SUPERVISOR)


def may_act(user: User | None, talk: Talk) -> bool:
    """Whether the user may record, mark missed or cancel the talk (in any state)."""
    scope = scope_of(user)
    if not scope.has_role(Role.SUPERVISOR):
        return False
    if can_act(user, talk, Role.SUPERVISOR):
        return True
    return user is not None and talk.created_by_id is not None and talk.created_by_id == user.pk


@dataclass(frozen=True)
class TalkRecord:
    """A staff member's record of talks: what a supervisor weighs before the next one."""

    staff_id: int
    since: dt.datetime
    threshold: int
    held_in_window: int  # staff-level talks held since ``since``: the escalation count
    held: int  # every talk held with them
    missed: int  # bad records (missed without a valid reason)
    excused: int
    scheduled: int
    head_talks: int  # head-level talks about them, not cancelled

    @property
    def talks(self) -> int:
        return self.held + self.missed + self.excused

    @property
    def escalation_reached(self) -> bool:
        return self.held_in_window >= self.threshold


def talk_record_of(staff: Staff, *, at: dt.datetime | None = None) -> TalkRecord:
    """Counts of one staff member's talks and bad records (one query)."""
    at = at or timezone.now()
    since = window_start(at)
    own = Q(staff_id=staff.pk)
    row = Talk.objects.filter(own | Q(concerning_id=staff.pk)).aggregate(
        held_in_window=Count(
            "pk",
            filter=own & Q(level=TalkLevel.STAFF, status=TalkStatus.HELD, held_at__gt=since, held_at__lte=at),
        ),
        held=Count("pk", filter=own & Q(status=TalkStatus.HELD)),
        missed=Count("pk", filter=own & Q(status=TalkStatus.MISSED, bad_record=True)),
        excused=Count("pk", filter=own & Q(status=TalkStatus.MISSED, bad_record=False)),
        scheduled=Count("pk", filter=own & Q(status=TalkStatus.SCHEDULED)),
        head_talks=Count(
            "pk", filter=Q(concerning_id=staff.pk, level=TalkLevel.HEAD) & ~Q(status=TalkStatus.CANCELLED)
        ),
    )
    return TalkRecord(staff_id=staff.pk, since=since, threshold=talks_before_head(), **row)


def talk_history(talk: Talk) -> list[HistoryLine]:
    return history(talk.events.all(), ACTION_LABELS)


def supervision_room_place(department: Department) -> str:
    """Where talks about ``department`` take place by default: the supervision room of
    its region, or of the nearest region above it."""
    path = department.region.path
    prefixes = [path[:n] for n in sorted(PATH_LENGTH.values()) if n <= len(path)]
    room = (
        Department.objects.filter(is_supervision_room=True, is_active=True, region__path__in=prefixes)
        .order_by("-region__path", "pk")
        .first()
    )
    if room is None:
        return _("the electronic supervision room")
    return f"{room.name}（{room.address}）" if room.address else room.name


# --------------------------------------------------------------------------- writes


def _actor(user: User | None) -> Any:
    """The user to record as having acted (None for the system or an anonymous caller)."""
    return user if user is not None and user.is_authenticated else None


def _event(talk: Talk, action: str, user: User | None, at: dt.datetime, note: str = "") -> TalkEvent:
    return TalkEvent.objects.create(
        talk=talk,
        action=action,
        actor=_actor(user),
        at=at,
        note=note,
    )


def _moment(at: dt.datetime | None) -> dt.datetime:
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise SupervisionError(_("The moment must carry a time zone."), SupervisionErrorCode.BAD_INPUT)
    return at


def _text(value: str | None, *, field: str, missing: str, limit: int = TEXT_LIMIT) -> str:
    text = (value or "").strip()
    if not text:
        raise SupervisionError(missing, SupervisionErrorCode.BAD_INPUT, field)
    if len(text) > limit:
        raise SupervisionError(
            _("Keep it within %(n)d characters.") % {"n": limit}, SupervisionErrorCode.BAD_INPUT, field
        )
    return text


def _locked(talk: Talk) -> Talk:
    return (
        Talk.objects.select_for_update().select_related("staff__user", "department__region").get(pk=talk.pk)
    )


def _check_actor(user: User | None, talk: Talk) -> None:
    if not may_act(user, talk):
        raise SupervisionError(
            _("Only a supervisor whose scope covers %(department)s may act on this talk.")
            % {"department": talk.department.name},
            SupervisionErrorCode.FORBIDDEN,
        )


def _check_open(talk: Talk, doing: str) -> None:
    if talk.status != TalkStatus.SCHEDULED:
        raise SupervisionError(
            _("This talk is “%(status)s”: it cannot be %(doing)s.")
            % {"status": talk.get_status_display(), "doing": doing},
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )


def _link(talk: Talk) -> str:
    return reverse("supervision:talk", args=[talk.pk])


def _tell(
    talk: Talk, users: Iterable[AbstractBaseUser], subject: str, body: str, kind: str, at: dt.datetime
) -> int:
    people, sent = tell(users, subject=subject, body=body, link=_link(talk), kind=kind, at=at)
    if people:
        _event(talk, "notified", None, at, str(people))
    return sent


def _heads(department: Department, *, besides: int) -> list[Staff]:
    """The administrative head(s) of ``department`` (leaders with that department as their
    scope), else of the nearest department above it that has one; never ``besides``."""
    for department_id in [department.pk, *department.ancestor_ids()]:
        rows = (
            RoleAssignment.objects.filter(
                role=Role.LEADER,
                department_id=department_id,
                staff__is_active=True,
                staff__user__is_active=True,
            )
            .exclude(staff_id=besides)
            .select_related("staff__user", "staff__department__region")
            .order_by("pk")
        )
        heads = list({row.staff_id: row.staff for row in rows}.values())
        if heads:
            return heads
    return []


@transaction.atomic
def talk_schedule(
    *,
    user: User | None,
    staff: Staff,
    reason: str,
    reason_text: str,
    scheduled_at: dt.datetime | None,
    place: str = "",
    case: Case | None = None,
    level: str = TalkLevel.STAFF,
    concerning: Staff | None = None,
    complaint: Complaint | None = None,
    at: dt.datetime | None = None,
) -> Talk:
    """A supervisor schedules a talk with a staff member of their scope, and tells them.
    A talk about an efficiency complaint (``complaint``) is with someone of the department
    complained about, by the room handling it, and goes into the complaint's history."""
    at = _moment(at)
    if not can_schedule_with(user, staff):
        raise SupervisionError(
            _("Only a supervisor whose scope covers %(department)s may schedule a talk with its staff.")
            % {"department": staff.department.name},
            SupervisionErrorCode.FORBIDDEN,
            "staff",
        )
    me = staff_of(user)
    if me is not None and me.pk == staff.pk:
        raise SupervisionError(
            _("You cannot schedule a talk with yourself."), SupervisionErrorCode.BAD_INPUT, "staff"
        )
    if not staff.is_active:
        raise SupervisionError(
            _("%(name)s no longer works here.") % {"name": staff.name},
            SupervisionErrorCode.BAD_INPUT,
            "staff",
        )
    if level not in TalkLevel.values:
        raise SupervisionError(_("Choose who is talked to."), SupervisionErrorCode.BAD_INPUT, "level")
    if level == TalkLevel.STAFF and concerning is not None:
        raise SupervisionError(
            _("Only a talk with a department's head is about another staff member."),
            SupervisionErrorCode.BAD_INPUT,
            "concerning",
        )
    if reason not in TalkReason.values:
        raise SupervisionError(_("Choose the reason for the talk."), SupervisionErrorCode.BAD_INPUT, "reason")
    reason_text = _text(reason_text, field="reason_text", missing=_("Say what the talk is about."))
    if scheduled_at is None:
        raise SupervisionError(
            _("Give the date and time of the talk."), SupervisionErrorCode.BAD_INPUT, "scheduled_at"
        )
    if timezone.is_naive(scheduled_at):
        raise SupervisionError(
            _("The time of the talk must carry a time zone."), SupervisionErrorCode.BAD_INPUT, "scheduled_at"
        )
    if scheduled_at <= at:
        raise SupervisionError(
            _("%(when)s has passed: a talk is scheduled for a later time.") % {"when": _when(scheduled_at)},
            SupervisionErrorCode.BAD_INPUT,
            "scheduled_at",
        )
    place = (place or "").strip() or supervision_room_place(staff.department)
    if len(place) > PLACE_LIMIT:
        raise SupervisionError(
            _("Keep it within %(n)d characters.") % {"n": PLACE_LIMIT},
            SupervisionErrorCode.BAD_INPUT,
            "place",
        )
    if case is not None and not can_act(user, case, Role.SUPERVISOR):
        raise SupervisionError(
            _("No case with this number within your scope."), SupervisionErrorCode.BAD_INPUT, "case"
        )
    if complaint is not None:
        from yiwang.supervision.complaints import is_room

        if not is_room(user, complaint):
            raise SupervisionError(
                _("No such complaint within your scope."), SupervisionErrorCode.BAD_INPUT, "complaint"
            )
        if staff.department_id != complaint.department_id:
            raise SupervisionError(
                _("Complaint %(number)s is about %(department)s: talk with someone who works there.")
                % {"number": complaint.number, "department": complaint.department.name},
                SupervisionErrorCode.BAD_INPUT,
                "staff",
            )
        if case is None:
            case = complaint.case
    talk = _create(
        user=user,
        staff=staff,
        reason=reason,
        reason_text=reason_text,
        scheduled_at=scheduled_at,
        place=place,
        case=case,
        level=level,
        concerning=concerning,
        at=at,
        complaint=complaint,
    )
    if complaint is not None:
        from yiwang.supervision.complaints import record_event

        record_event(
            complaint,
            "talk",
            user,
            at,
            _("With %(name)s on %(when)s, %(place)s")
            % {"name": staff.name, "when": _when(scheduled_at), "place": place},
        )
    return talk


def _create(
    *,
    user: User | None,
    staff: Staff,
    reason: str,
    reason_text: str,
    scheduled_at: dt.datetime,
    place: str,
    case: Case | None,
    level: str,
    concerning: Staff | None,
    at: dt.datetime,
    escalated_from: Talk | None = None,
    note: str = "",
    notify: bool = True,
    complaint: Complaint | None = None,
) -> Talk:
    actor = _actor(user)
    talk = Talk.objects.create(
        staff=staff,
        department_id=staff.department_id,
        region_id=staff.department.region_id,
        level=level,
        concerning=concerning,
        escalated_from=escalated_from,
        reason=reason,
        reason_text=reason_text,
        case=case,
        complaint=complaint,
        scheduled_at=scheduled_at,
        place=place,
        created_by=actor,
        created_at=at,
    )
    _event(
        talk,
        "scheduled",
        user,
        at,
        note or _("%(when)s, %(place)s") % {"when": _when(scheduled_at), "place": place},
    )
    if not notify:
        return talk
    subject = _("Admonition talk on %(when)s at %(place)s") % {"when": _when(scheduled_at), "place": place}
    body = "\n".join(
        [
            _("You are asked to attend an admonition talk of the supervision room."),
            _("Reason: %(reason)s") % {"reason": talk.get_reason_display()},
            reason_text,
            _("If you cannot attend for a valid reason, tell the supervision room beforehand."),
        ]
    )
    _tell(talk, [staff.user], subject[:200], body, "talk.scheduled", at)
    return talk


@transaction.atomic
def talk_record_held(
    *,
    talk: Talk,
    user: User | None,
    record: str,
    rectification: str = "",
    rectify_workdays: int | None = None,
    at: dt.datetime | None = None,
) -> Talk:
    """Record a talk that took place: what was said and the rectification required within
    so many working days. The staff-level talk that reaches the threshold schedules the
    talk with the department's head (see the module's docstring)."""
    at = _moment(at)
    talk = _locked(talk)
    _check_actor(user, talk)
    _check_open(talk, pgettext("talk", "recorded as held"))
    if timezone.localtime(at).date() < timezone.localtime(talk.scheduled_at).date():
        raise SupervisionError(
            _("This talk is scheduled for %(when)s: record it once it has taken place.")
            % {"when": _when(talk.scheduled_at)},
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    record = _text(record, field="record", missing=_("Write down what was said in the talk."))
    rectification = (rectification or "").strip()
    if len(rectification) > TEXT_LIMIT:
        raise SupervisionError(
            _("Keep it within %(n)d characters.") % {"n": TEXT_LIMIT},
            SupervisionErrorCode.BAD_INPUT,
            "rectification",
        )
    rectify_by = None
    if rectification or rectify_workdays is not None:
        if not rectification:
            raise SupervisionError(
                _("Say what is to be rectified within that time."),
                SupervisionErrorCode.BAD_INPUT,
                "rectification",
            )
        if rectify_workdays is None or not 1 <= rectify_workdays <= RECTIFY_MAX_WORKDAYS:
            raise SupervisionError(
                _("Give the rectification a time limit of 1 to %(n)d working days.")
                % {"n": RECTIFY_MAX_WORKDAYS},
                SupervisionErrorCode.BAD_INPUT,
                "rectify_workdays",
            )
        rectify_by = calendar.add_workdays(timezone.localtime(at).date(), rectify_workdays)
    # The staff member's talks are counted under a lock on them: two supervisors
    # recording the third and fourth talk at once escalate once.
    Staff.objects.select_for_update().filter(pk=talk.staff_id).first()
    talk.status = TalkStatus.HELD
    talk.record = record
    talk.rectification = rectification
    talk.rectify_workdays = rectify_workdays if rectification else None
    talk.rectify_by = rectify_by
    talk.held_at = at
    talk.recorded_by = _actor(user)
    talk.save(
        update_fields=[
            "status",
            "record",
            "rectification",
            "rectify_workdays",
            "rectify_by",
            "held_at",
            "recorded_by",
        ]
    )
    note = record
    if rectify_by is not None:
        note += "\n" + _("Rectify by %(date)s: %(what)s") % {
            "date": rectify_by.isoformat(),
            "what": rectification,
        }
    _event(talk, "held", user, at, note)
    if talk.level == TalkLevel.STAFF:
        _escalate_if_due(talk, user, at)
    return talk


def _escalate_if_due(talk: Talk, user: User | None, at: dt.datetime) -> Talk | None:
    threshold = talks_before_head()
    since = window_start(at)
    held = list(
        Talk.objects.filter(
            staff_id=talk.staff_id,
            level=TalkLevel.STAFF,
            status=TalkStatus.HELD,
            held_at__gt=since,
            held_at__lte=at,
        )
        .order_by("held_at", "pk")
        .values_list("held_at", flat=True)
    )
    if len(held) < threshold:
        return None
    if Talk.objects.filter(level=TalkLevel.HEAD, concerning_id=talk.staff_id, created_at__gt=since).exists():
        return None  # the head has been (or is being) talked to about them within the window
    staff = talk.staff
    department = talk.department
    facts = _(
        "%(name)s of %(department)s has been talked to %(n)d times within %(months)d months (%(dates)s)."
    ) % {
        "name": staff.name,
        "department": department.name,
        "n": len(held),
        "months": window_months(),
        "dates": "、".join(timezone.localtime(h).strftime("%Y-%m-%d") for h in held),  # type: ignore[arg-type]
    }
    heads = _heads(department, besides=staff.pk)
    if not heads:
        _event(talk, "no_head", None, at, facts)
        _tell(
            talk,
            overseers(department_id=department.pk, region_path=department.region.path),
            _("%(name)s has been talked to %(n)d times: no head of %(department)s is on record")
            % {"name": staff.name, "n": len(held), "department": department.name},
            facts + "\n" + _("Record the department's head, then schedule the talk with them by hand."),
            "talk.no_head",
            at,
        )
        return None
    head = heads[0]
    day = calendar.add_workdays(timezone.localtime(at).date(), head_talk_workdays())
    when = timezone.make_aware(dt.datetime.combine(day, HEAD_TALK_TIME))
    head_talk = _create(
        user=user,
        staff=head,
        reason=TalkReason.REPEATED,
        reason_text=facts,
        scheduled_at=when,
        place=supervision_room_place(department),
        case=None,
        level=TalkLevel.HEAD,
        concerning=staff,
        at=at,
        escalated_from=talk,
        note=_("Scheduled automatically: %(facts)s") % {"facts": facts},
        notify=False,  # the head hears of it with the supervisors, below
    )
    _event(
        talk,
        "escalated",
        None,
        at,
        _("Talk with %(head)s, head of %(department)s, on %(when)s.")
        % {"head": head.name, "department": head.department.name, "when": _when(when)},
    )
    people: list[AbstractBaseUser] = [h.user for h in heads]
    people += overseers(department_id=department.pk, region_path=department.region.path)
    if head.department_id != department.pk:
        people += overseers(department_id=head.department_id, region_path=head.department.region.path)
    _tell(
        head_talk,
        people,
        _("%(name)s has been talked to %(n)d times: talk with the head of %(department)s on %(when)s")
        % {"name": staff.name, "n": len(held), "department": department.name, "when": _when(when)},
        facts + "\n" + _("Place: %(place)s") % {"place": head_talk.place},
        "talk.escalated",
        at,
    )
    return head_talk


@transaction.atomic
def talk_record_missed(
    *,
    talk: Talk,
    user: User | None,
    excused: bool = False,
    note: str = "",
    at: dt.datetime | None = None,
) -> Talk:
    """The person did not come. Without a valid reason it is a bad record (不良记录), and
    the department's head and the person are told (通报); with one (``excused``, the reason
    in ``note``) it is only recorded, and a new talk is scheduled as usual."""
    at = _moment(at)
    talk = _locked(talk)
    _check_actor(user, talk)
    _check_open(talk, pgettext("talk", "recorded as missed"))
    if at < talk.scheduled_at:
        raise SupervisionError(
            _("This talk is scheduled for %(when)s: it cannot have been missed yet.")
            % {"when": _when(talk.scheduled_at)},
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    note = (note or "").strip()
    if excused:
        note = _text(note, field="note", missing=_("Say what the valid reason for the absence was."))
    elif len(note) > TEXT_LIMIT:
        raise SupervisionError(
            _("Keep it within %(n)d characters.") % {"n": TEXT_LIMIT}, SupervisionErrorCode.BAD_INPUT, "note"
        )
    talk.status = TalkStatus.MISSED
    talk.excused = excused
    talk.bad_record = not excused
    talk.closing_note = note
    talk.recorded_by = _actor(user)
    talk.save(update_fields=["status", "excused", "bad_record", "closing_note", "recorded_by"])
    _event(talk, "excused" if excused else "missed", user, at, note)
    if not excused:
        staff = talk.staff
        subject = _("%(name)s missed the admonition talk of %(when)s without a valid reason") % {
            "name": staff.name,
            "when": _when(talk.scheduled_at),
        }
        body = "\n".join(
            x
            for x in (
                _("This is recorded as a bad record (不良记录) of %(name)s, %(department)s.")
                % {"name": staff.name, "department": talk.department.name},
                note,
            )
            if x
        )
        heads = [h.user for h in _heads(talk.department, besides=staff.pk)]
        _tell(talk, [*heads, staff.user], subject[:200], body, "talk.missed", at)
    return talk


@transaction.atomic
def talk_cancel(*, talk: Talk, user: User | None, reason: str, at: dt.datetime | None = None) -> Talk:
    """Call a scheduled talk off, saying why; the person is told."""
    at = _moment(at)
    talk = _locked(talk)
    _check_actor(user, talk)
    _check_open(talk, pgettext("talk", "called off"))
    reason = _text(reason, field="reason", missing=_("Say why the talk is cancelled."))
    talk.status = TalkStatus.CANCELLED
    talk.closing_note = reason
    talk.save(update_fields=["status", "closing_note"])
    _event(talk, "cancelled", user, at, reason)
    _tell(
        talk,
        [talk.staff.user],
        _("The admonition talk of %(when)s is cancelled") % {"when": _when(talk.scheduled_at)},
        reason,
        "talk.cancelled",
        at,
    )
    return talk
