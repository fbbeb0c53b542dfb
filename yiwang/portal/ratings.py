"""在线评议 / 好差评: the rating scales, rating a case, the follow-up of a poor rating, and
the reads the pages need.

Who may rate: the applicant, i.e. the case's ``applicant_user``, or a user acting for the
case's applicant ID number through a verified account (their own, or an enterprise they
are an active agent (经办人) of). Other users are told nothing about the case: the pages
answer 404.

When: once the service has ended. One rating per service event (国办发〔2019〕51号), and
a refusal to accept (不予受理) is a service event too — the applicant came, was served and
turned away, and the national scheme asks for their rating of exactly that — so a case
may be rated when it is completed (``completed``), delivered (``delivered``) or refused
(``refused``). A withdrawn case was not served to its end, and a transferred one is served
by the competent department under its own case: neither is rated. Once per case (the
``Rating`` row is unique per case).

The scale is the one in force when rating (``settings.PORTAL_RATING_SCALE``): the seeds'
four levels by default, or the national five levels. A rating stores its scale, level and
whether it counts as satisfied or poor, so changing the setting later changes no past
rating or figure.

A poor rating opens a ``RatingFollowUp`` for the case's department, to be answered (what
was found, what was rectified) within ``PORTAL_RATING_FOLLOWUP_WORKDAYS`` working days
after the rating day; the department's staff and the supervisors covering it are told.
After the answer, the rater is revisited (回访) by a supervisor covering the department or
a hotline agent, never by the department itself. A follow-up not answered by its due
date is overdue; ``tell_overdue`` tells the department and the supervisors once.

The daily facts count each rating when it is saved (``yiwang.supervision.facts`` listens
for new ratings), so the performance pages read real satisfaction figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Q, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from yiwang.cases.models import Case, CaseState
from yiwang.core import calendar
from yiwang.core.notify import Message, send
from yiwang.org.models import Department, Role, RoleAssignment
from yiwang.org.permissions import scope_of, staff_of, visible
from yiwang.portal.accounts import account_of, may_act_for_case
from yiwang.portal.errors import PortalError
from yiwang.portal.models.accounts import Account
from yiwang.portal.models.ratings import FollowUpStatus, Rating, RatingFollowUp, RatingLevel, RevisitResult

User = AbstractBaseUser | AnonymousUser

COMMENT_MAX = 500
TEXT_MAX = 2000  # a department's answer, its rectification, a revisit note

# Cases whose service has ended in a way the applicant can rate.
RATEABLE_STATES = frozenset({CaseState.COMPLETED, CaseState.DELIVERED, CaseState.REFUSED})

# The department's own people: those who answer a poor rating (department-scoped roles).
DEPARTMENT_ROLES: tuple[Role, ...] = (Role.HANDLER, Role.MAINTAINER, Role.SYSTEM_ADMIN, Role.LEADER)
# Those who revisit the rater (outside the department).
REVISIT_ROLES: tuple[Role, ...] = (Role.SUPERVISOR, Role.HOTLINE_AGENT)
# Those who see the follow-ups of their scope.
VIEW_ROLES: tuple[Role, ...] = (*DEPARTMENT_ROLES, Role.SUPERVISOR, Role.HOTLINE_AGENT)


class RatingErrorCode:
    """The stable codes of ``PortalError`` raised here."""

    NOT_YOURS = "not_yours"
    NOT_RATEABLE = "not_rateable"
    ALREADY_RATED = "already_rated"
    BAD_LEVEL = "bad_level"
    COMMENT_TOO_LONG = "comment_too_long"
    FORBIDDEN = "forbidden"
    OWN_DEPARTMENT = "own_department"
    OUT_OF_ORDER = "out_of_order"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    BAD_INPUT = "bad_input"


# --------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class Level:
    value: str
    label: Any  # lazy text
    satisfied: bool
    poor: bool


@dataclass(frozen=True)
class Scale:
    """A rating scale: its levels from best to worst."""

    size: int
    levels: tuple[Level, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(level.value for level in self.levels)

    def level(self, value: str) -> Level | None:
        return next((level for level in self.levels if level.value == value), None)


_LABELS = {
    RatingLevel.VERY_SATISFIED: pgettext_lazy("rating level", "Very satisfied"),
    RatingLevel.SATISFIED: pgettext_lazy("rating level", "Satisfied"),
    RatingLevel.BASICALLY_SATISFIED: pgettext_lazy("rating level", "Basically satisfied"),
    RatingLevel.AVERAGE: pgettext_lazy("rating level", "Average"),
    RatingLevel.DISSATISFIED: pgettext_lazy("rating level", "Dissatisfied"),
    RatingLevel.VERY_DISSATISFIED: pgettext_lazy("rating level", "Very dissatisfied"),
}


def _scale(size: int, levels: Sequence[RatingLevel], satisfied: int, poor: int) -> Scale:
    """The first ``satisfied`` levels count as satisfied, the last ``poor`` as poor."""
    return Scale(
        size,
        tuple(
            Level(level.value, _LABELS[level], i < satisfied, i >= len(levels) - poor)
            for i, level in enumerate(levels)
        ),
    )


SCALES: dict[int, Scale] = {
    # Seed 000: 满意, 基本满意, 一般, 不满意.
    4: _scale(
        4,
        (
            RatingLevel.SATISFIED,
            RatingLevel.BASICALLY_SATISFIED,
            RatingLevel.AVERAGE,
            RatingLevel.DISSATISFIED,
        ),
        satisfied=2,
        poor=1,
    ),
    # 国办发〔2019〕51号: 非常满意, 满意, 基本满意, 不满意, 非常不满意.
    5: _scale(
        5,
        (
            RatingLevel.VERY_SATISFIED,
            RatingLevel.SATISFIED,
            RatingLevel.BASICALLY_SATISFIED,
            RatingLevel.DISSATISFIED,
            RatingLevel.VERY_DISSATISFIED,
        ),
        satisfied=3,
        poor=2,
    ),
}


def scale_in_force() -> Scale:
    return SCALES[settings.PORTAL_RATING_SCALE]


def level_label(value: str) -> Any:
    """The label of a stored level (whatever scale it was given on)."""
    return _LABELS.get(value, value)  # type: ignore[call-overload]


# --------------------------------------------------------------------------- who


def rater_account(case: Case, user: User | None) -> Account | None:
    """The account of the person rating this case, or None when it is not theirs
    (``yiwang.portal.accounts.may_act_for_case``: they filed it, or it was filed under the
    identity of a verified account they act for, their own or an enterprise's they are an
    agent of). The rating records the person (their own account): the revisit calls them,
    and the department's answer reaches them."""
    own = account_of(user)
    if own is None or not may_act_for_case(user, case):
        return None
    return own


def is_rateable(case: Case) -> bool:
    return case.state in RATEABLE_STATES


def _ancestors(department_id: int) -> list[int]:
    """The department and those above it (a grant on a department covers those below)."""
    ids = []
    current: int | None = department_id
    while current is not None and current not in ids:
        ids.append(current)
        current = Department.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return ids


def _covers(row: RoleAssignment, path: str) -> bool:
    return row.region is None or path.startswith(row.region.path)


def people_to_tell(department: Department) -> list[AbstractBaseUser]:
    """Whom a poor rating concerns: the department's own staff who answer it (handlers,
    administrators and the head, by department-scoped role assignments covering it) and
    the supervisors whose scope covers it (a region above it, or the department)."""
    path = department.region.path
    above = _ancestors(department.pk)
    rows = (
        RoleAssignment.objects.filter(staff__is_active=True, staff__user__is_active=True)
        .filter(
            Q(role__in=DEPARTMENT_ROLES, department_id__in=above)
            | Q(role=Role.SUPERVISOR, department__isnull=True)
            | Q(role=Role.SUPERVISOR, department_id__in=above)
        )
        .select_related("region", "staff__user")
        .order_by("pk")
    )
    return list({row.staff.user.pk: row.staff.user for row in rows if _covers(row, path)}.values())


def _placement(follow_up: RatingFollowUp) -> tuple[str, int]:
    return follow_up.department.region.path, follow_up.department_id


def may_answer(user: User | None, follow_up: RatingFollowUp) -> bool:
    """The department answers: a department-scoped role of the department (or above it)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    path, dept = _placement(follow_up)
    return any(
        g.department_ids is not None and g.covers(path, dept) for g in scope.grants_for(DEPARTMENT_ROLES)
    )


def is_own_department(user: User | None, follow_up: RatingFollowUp) -> bool:
    """Whether the user belongs to the department rated (works there, or holds one of its
    department roles): they may not revisit their own rater."""
    staff = staff_of(user)
    if staff is not None and staff.department_id in _descendants(follow_up.department_id):
        return True
    scope = scope_of(user)
    path, dept = _placement(follow_up)
    return any(
        g.department_ids is not None and g.covers(path, dept) for g in scope.grants_for(DEPARTMENT_ROLES)
    )


def _descendants(department_id: int) -> set[int]:
    found = {department_id}
    frontier = {department_id}
    while frontier:
        frontier = set(Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def may_revisit(user: User | None, follow_up: RatingFollowUp) -> bool:
    """A supervisor or hotline agent covering the department, not of the department."""
    scope = scope_of(user)
    if not scope.is_superuser:
        path, dept = _placement(follow_up)
        if not any(g.covers(path, dept) for g in scope.grants_for(REVISIT_ROLES)):
            return False
    return not is_own_department(user, follow_up)


# --------------------------------------------------------------------------- services


def _text(value: str | None, field: str, *, required: bool, limit: int, what: str) -> str:
    text = (value or "").strip()
    if required and not text:
        raise PortalError(_("Write %(what)s.") % {"what": what}, RatingErrorCode.REQUIRED, field)
    if len(text) > limit:
        raise PortalError(
            _("%(what)s is %(n)d characters long; at most %(limit)d are kept. Please shorten it.")
            % {"what": what[:1].upper() + what[1:], "n": len(text), "limit": limit},
            RatingErrorCode.TOO_LONG,
            field,
        )
    return text


def _staff_link(follow_up: RatingFollowUp) -> str:
    return reverse("rating_staff:detail", args=[follow_up.pk])


def _rater_link(case: Case) -> str:
    return reverse("portal:rate", args=[case.number])


def _tell(
    users: Iterable[AbstractBaseUser], *, subject: str, body: str, link: str, kind: str, at: dt.datetime
) -> int:
    people = {u.pk: u for u in users if u is not None and u.pk is not None}
    if not people:
        return 0
    return send(
        [
            Message(recipient=u, subject=subject[:200], body=body, link=link, kind=kind)
            for u in people.values()
        ],
        at=at,
    )


@transaction.atomic
def rate_case(
    *, case: Case, user: User | None, level: str, comment: str = "", at: dt.datetime | None = None
) -> Rating:
    """Rate a case whose service has ended; a poor rating opens its follow-up."""
    at = at or timezone.now()
    account = rater_account(case, user)
    if account is None:
        raise PortalError(_("Only the applicant can rate this case."), RatingErrorCode.NOT_YOURS)
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("department__region", "item_version")
        .get(pk=case.pk)
    )
    if not is_rateable(locked):
        raise PortalError(
            _(
                "This case cannot be rated yet: you can rate it once it is completed (its state now: %(state)s)."
            )
            % {"state": CaseState(locked.state).label},
            RatingErrorCode.NOT_RATEABLE,
        )
    if Rating.objects.filter(case_id=locked.pk).exists():
        raise PortalError(
            _("You have already rated this case. Each case is rated once."), RatingErrorCode.ALREADY_RATED
        )
    ended = locked.completed_at or locked.closed_at
    if ended is not None and at < ended:
        raise PortalError(
            _("A rating cannot be given before the service ended."), RatingErrorCode.BAD_INPUT, "at"
        )
    scale = scale_in_force()
    chosen = scale.level(level or "")
    if chosen is None:
        raise PortalError(
            _("Choose one of the levels shown: %(levels)s.")
            % {"levels": "、".join(str(lv.label) for lv in scale.levels)},
            RatingErrorCode.BAD_LEVEL,
            "level",
        )
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise PortalError(
            _("Your comment is %(n)d characters long; at most %(limit)d fit. Please shorten it.")
            % {"n": len(text), "limit": COMMENT_MAX},
            RatingErrorCode.COMMENT_TOO_LONG,
            "comment",
        )
    try:
        with transaction.atomic():  # a savepoint: a concurrent rating may win the race
            rating = _create(locked, account, scale, chosen, text, at)
    except IntegrityError:
        raise PortalError(
            _("You have already rated this case. Each case is rated once."), RatingErrorCode.ALREADY_RATED
        ) from None
    if chosen.poor:
        _open_follow_up(rating, locked, at)
    return rating


def _create(case: Case, account: Account, scale: Scale, chosen: Level, text: str, at: dt.datetime) -> Rating:
    return Rating.objects.create(
        case=case,
        account=account,
        department_id=case.department_id,
        region_id=case.region_id,
        scale=scale.size,
        level=chosen.value,
        is_poor=chosen.poor,
        is_satisfied=chosen.satisfied,
        comment=text,
        rated_at=at,
    )


def _open_follow_up(rating: Rating, case: Case, at: dt.datetime) -> RatingFollowUp:
    department = case.department
    follow_up = RatingFollowUp.objects.create(
        rating=rating,
        department=department,
        opened_at=at,
        due_date=calendar.add_workdays(timezone.localdate(at), settings.PORTAL_RATING_FOLLOWUP_WORKDAYS),
    )
    with translation.override(settings.LANGUAGE_CODE):  # staff read the site's language
        subject = _("Poor rating of case %(number)s: answer by %(due)s") % {
            "number": case.number,
            "due": follow_up.due_date.isoformat(),
        }
        body = _(
            "The applicant rated case %(number)s (%(item)s) “%(level)s”.%(comment)s "
            "Find out what went wrong, rectify it and write your answer by %(due)s; "
            "the applicant will then be revisited."
        ) % {
            "number": case.number,
            "item": case.item_version.name,
            "level": level_label(rating.level),
            "comment": (" " + _("Their comment: %(comment)s") % {"comment": rating.comment})
            if rating.comment
            else "",
            "due": follow_up.due_date.isoformat(),
        }
    _tell(
        people_to_tell(department),
        subject=subject,
        body=body,
        link=_staff_link(follow_up),
        kind="rating.poor",
        at=at,
    )
    return follow_up


def _lock_follow_up(follow_up: RatingFollowUp) -> RatingFollowUp:
    return (
        RatingFollowUp.objects.select_for_update(of=("self",))
        .select_related("department__region", "rating__case__item_version", "rating__account__user")
        .get(pk=follow_up.pk)
    )


@transaction.atomic
def followup_answer(
    *,
    follow_up: RatingFollowUp,
    user: User | None,
    answer: str,
    rectification: str,
    at: dt.datetime | None = None,
) -> RatingFollowUp:
    """The department's answer to the rater and what it rectified."""
    at = at or timezone.now()
    locked = _lock_follow_up(follow_up)
    if not may_answer(user, locked):
        raise PortalError(
            _("Only the staff of the department rated can answer this follow-up."), RatingErrorCode.FORBIDDEN
        )
    if locked.status != FollowUpStatus.OPEN:
        raise PortalError(_("This follow-up has already been answered."), RatingErrorCode.OUT_OF_ORDER)
    answer_text = _text(
        answer, "answer", required=True, limit=TEXT_MAX, what=_("the answer to the applicant")
    )
    rectification_text = _text(
        rectification, "rectification", required=True, limit=TEXT_MAX, what=_("what was rectified")
    )
    if at < locked.opened_at:
        raise PortalError(_("An answer cannot come before the rating."), RatingErrorCode.BAD_INPUT, "at")
    locked.answer = answer_text
    locked.rectification = rectification_text
    locked.answered_by = user  # type: ignore[assignment]
    locked.answered_at = at
    locked.status = FollowUpStatus.ANSWERED
    locked.save(update_fields=["answer", "rectification", "answered_by", "answered_at", "status"])
    case = locked.rating.case
    rater = locked.rating.account.user
    _tell(
        [rater],
        subject=_("The department answered your rating of case %(number)s") % {"number": case.number},
        body=locked.answer,
        link=_rater_link(case),
        kind="rating.answered",
        at=at,
    )
    return locked


@transaction.atomic
def followup_revisit(
    *,
    follow_up: RatingFollowUp,
    user: User | None,
    result: str,
    note: str,
    at: dt.datetime | None = None,
) -> RatingFollowUp:
    """回访: what the rater said of the department's answer, recorded by a supervisor or a
    hotline agent covering the department, never by the department itself."""
    at = at or timezone.now()
    locked = _lock_follow_up(follow_up)
    if is_own_department(user, locked) and not scope_of(user).is_superuser:
        raise PortalError(
            _("The department rated cannot revisit its own rater: a supervisor or the hotline does."),
            RatingErrorCode.OWN_DEPARTMENT,
        )
    if not may_revisit(user, locked):
        raise PortalError(
            _("Only a supervisor or a hotline agent covering the department can record the revisit."),
            RatingErrorCode.FORBIDDEN,
        )
    if locked.status == FollowUpStatus.OPEN:
        raise PortalError(
            _("The department has not answered yet: the rater is revisited after the answer."),
            RatingErrorCode.OUT_OF_ORDER,
        )
    if locked.status == FollowUpStatus.REVISITED:
        raise PortalError(_("The rater has already been revisited."), RatingErrorCode.OUT_OF_ORDER)
    if result not in RevisitResult.values:
        raise PortalError(
            _("Choose what the rater said: now satisfied, still dissatisfied, or not reached."),
            RatingErrorCode.BAD_INPUT,
            "result",
        )
    note_text = _text(note, "note", required=True, limit=TEXT_MAX, what=_("a note of the revisit"))
    if locked.answered_at is not None and at < locked.answered_at:
        raise PortalError(_("A revisit cannot come before the answer."), RatingErrorCode.BAD_INPUT, "at")
    locked.revisit_result = result
    locked.revisit_note = note_text
    locked.revisited_by = user  # type: ignore[assignment]
    locked.revisited_at = at
    locked.status = FollowUpStatus.REVISITED
    locked.save(update_fields=["revisit_result", "revisit_note", "revisited_by", "revisited_at", "status"])
    return locked


# --------------------------------------------------------------------------- overdue


def overdue_follow_ups(today: dt.date | None = None) -> QuerySet[RatingFollowUp]:
    """Follow-ups still unanswered after their due date."""
    today = today or timezone.localdate()
    return RatingFollowUp.objects.filter(status=FollowUpStatus.OPEN, due_date__lt=today)


TELL_BATCH = 200


def tell_overdue(*, now: dt.datetime | None = None) -> int:
    """Tell the department and its supervisors, once, of each follow-up gone overdue;
    returns how many follow-ups were told of. Safe on two workers at once: each batch
    claims its rows with ``SKIP LOCKED`` and marks them in the same transaction."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    told = 0
    while True:
        with transaction.atomic():
            batch = list(
                overdue_follow_ups(today)
                .filter(overdue_told_at__isnull=True)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("department__region", "rating__case")
                .order_by("due_date", "pk")[:TELL_BATCH]
            )
            if not batch:
                return told
            people: dict[int, list[AbstractBaseUser]] = {}
            messages: list[Message] = []
            with translation.override(settings.LANGUAGE_CODE):
                for follow_up in batch:
                    department = follow_up.department
                    if department.pk not in people:
                        people[department.pk] = people_to_tell(department)
                    subject = _(
                        "Overdue: the poor rating of case %(number)s was due to be answered by %(due)s"
                    ) % {
                        "number": follow_up.rating.case.number,
                        "due": follow_up.due_date.isoformat(),
                    }
                    body = _(
                        "%(department)s has not answered the poor rating of case %(number)s, "
                        "due %(due)s. Answer it now."
                    ) % {
                        "department": department.name,
                        "number": follow_up.rating.case.number,
                        "due": follow_up.due_date.isoformat(),
                    }
                    link = _staff_link(follow_up)
                    messages.extend(
                        Message(
                            recipient=u, subject=subject[:200], body=body, link=link, kind="rating.overdue"
                        )
                        for u in people[department.pk]
                    )
            send(messages, at=now)
            RatingFollowUp.objects.filter(pk__in=[f.pk for f in batch]).update(overdue_told_at=now)
            told += len(batch)


# --------------------------------------------------------------------------- selectors


def case_for_rating(number: str, user: User | None) -> Case | None:
    """The user's case of that number, or None (not found and not theirs look alike)."""
    case = Case.objects.filter(number=number).select_related("item_version", "department").first()
    if case is None or rater_account(case, user) is None:
        return None
    return case


def rating_of(case: Case) -> Rating | None:
    return Rating.objects.filter(case_id=case.pk).select_related("follow_up").first()


def follow_ups_for(
    user: User | None, *, show: str = "open", today: dt.date | None = None
) -> QuerySet[RatingFollowUp]:
    """The follow-ups of the user's departments or region, overdue first, then by due
    date. ``show``: ``open`` (not yet revisited), ``done`` (revisited) or ``all``."""
    today = today or timezone.localdate()
    qs = visible(user, RatingFollowUp.objects.all(), roles=VIEW_ROLES)
    if show == "open":
        qs = qs.exclude(status=FollowUpStatus.REVISITED)
    elif show == "done":
        qs = qs.filter(status=FollowUpStatus.REVISITED)
    overdue = SqlCase(
        When(status=FollowUpStatus.OPEN, due_date__lt=today, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return (
        qs.annotate(overdue=overdue)
        .select_related("department", "rating", "rating__case", "rating__case__item_version")
        .order_by("-overdue", "due_date", "pk")
    )


def follow_up_for(user: User | None, pk: int) -> RatingFollowUp | None:
    return (
        visible(user, RatingFollowUp.objects.filter(pk=pk), roles=VIEW_ROLES)
        .select_related(
            "department__region",
            "rating__case__item_version",
            "rating__account",
            "answered_by__staff",
            "revisited_by__staff",
        )
        .first()
    )
