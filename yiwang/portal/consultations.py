"""在线咨询: questions on an item and the department's answers (services and selectors).

Anyone may ask: a signed-in account (verified or not: seed 000 lets unregistered
citizens consult) or a visitor who leaves a name and a mobile or an email. The question
goes to the item's department, which answers within ``PORTAL_CONSULT_ANSWER_WORKDAYS``
working days; the asker is told (their inbox, else SMS or email with the query link,
whose token is their only key). A good answer is published to the item's FAQ, with the
question as the department rewrites it, free of personal details.

Who answers: staff of the item's department in an answering role (``ANSWER_ROLES``,
through ``yiwang.org.permissions``); other departments' staff are refused. A refused
action raises ``PortalError`` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Case as DbCase
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.catalog.models import Item, ItemVersion
from yiwang.core import calendar
from yiwang.core.models import OutboundMessage
from yiwang.core.notify import EMAIL, Message, send, send_sms_to
from yiwang.org.models import Role, RoleAssignment
from yiwang.org.permissions import can_view, visible
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account, Consultation, ConsultationStatus

User = AbstractBaseUser | AnonymousUser

QUESTION_MIN = 5
QUESTION_MAX = 2000
ANSWER_MIN = 2
ANSWER_MAX = 4000
NAME_MAX = 50
PUBLISHED_MAX = Consultation._meta.get_field("published_question").max_length or 300
REASON_MAX = Consultation._meta.get_field("close_reason").max_length or 300
FAQ_LIMIT = 30

# Staff who answer for a department: its handlers, window operators and administrators.
ANSWER_ROLES: tuple[Role, ...] = (Role.HANDLER, Role.WINDOW_OPERATOR, Role.SYSTEM_ADMIN, Role.MAINTAINER)
# Those who may also read the department's consultations (its head, the supervisors).
READ_ROLES: tuple[Role, ...] = (*ANSWER_ROLES, Role.LEADER, Role.SUPERVISOR)

# Anonymous asking: at most ASK_LIMIT questions per ASK_WINDOW seconds from one address.
ASK_LIMIT = 5
ASK_WINDOW = 3600

_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# What a published question must not carry (DOMAIN: personal identifiers never shown).
_PERSONAL = (
    re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"),  # a mobile number
    re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])"),  # a resident ID number
    re.compile(r"(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])"),  # a landline
    re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"),  # an email address
)


# --------------------------------------------------------------------------- helpers


def _moment(at: dt.datetime | None) -> dt.datetime:
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise PortalError(_("The moment must carry a time zone."), "bad_input", "at")
    return at


def _text(value: str | None, *, field: str, least: int, most: int, missing: str, short: str) -> str:
    text = (value or "").strip()
    if not text:
        raise PortalError(missing, "required", field)
    if len(text) < least:
        raise PortalError(short, "too_short", field)
    if len(text) > most:
        raise PortalError(
            _("Keep it within %(n)d characters (now %(len)d).") % {"n": most, "len": len(text)},
            "too_long",
            field,
        )
    return text


def normalise_mobile(value: str | None) -> str:
    return (value or "").strip().replace(" ", "").replace("-", "")


def _check_mobile(mobile: str) -> str:
    mobile = normalise_mobile(mobile)
    if mobile and not _MOBILE_RE.match(mobile):
        raise PortalError(
            _("“%(value)s” is not a mainland mobile number (11 digits starting with 1).") % {"value": mobile},
            "bad_mobile",
            "contact_mobile",
        )
    return mobile


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise PortalError(
                _("“%(value)s” is not an email address.") % {"value": email}, "bad_email", "contact_email"
            ) from None
    return email


def due_for(asked_on: dt.date) -> dt.date:
    """The answer's due date: the n-th working day after the day asked (that day never counts)."""
    try:
        return calendar.add_workdays(asked_on, settings.PORTAL_CONSULT_ANSWER_WORKDAYS)
    except NotImplementedError:  # a year the working-day calendar does not cover yet
        raise PortalError(
            _("The working-day calendar for %(year)d is not available yet: please ask again later.")
            % {"year": asked_on.year},
            "calendar_unknown",
        ) from None


def query_path(consultation: Consultation) -> str:
    return reverse("portal:consultation", args=[consultation.query_token])


def _full_url(path: str) -> str:
    return f"{settings.NOTIFY_SITE_URL}{path}" if settings.NOTIFY_SITE_URL else path


def _email_to(address: str, subject: str, body: str, at: dt.datetime) -> None:
    """Queue an email to an address that belongs to no account (the outbox delivers it,
    as ``notify.send_sms_to`` does for a mobile)."""
    OutboundMessage.objects.create(
        channel=EMAIL,
        address=address,
        subject=subject[:200],
        body=body,
        next_attempt_at=at,
        created_at=at,
    )


def _tell_asker(consultation: Consultation, subject: str, body: str, kind: str, at: dt.datetime) -> str:
    """Tell the asker: an account by its inbox (and email), a visitor by SMS, else email.
    Returns the channel used ("inbox", "sms", "email" or "")."""
    path = query_path(consultation)
    if consultation.account_id is not None:
        send(
            [Message(recipient=consultation.account.user, subject=subject, body=body, link=path, kind=kind)],
            at=at,
        )
        return "inbox"
    link = _full_url(path)
    if consultation.contact_mobile and send_sms_to(consultation.contact_mobile, f"{subject} {link}", at=at):
        return "sms"
    if consultation.contact_email:
        _email_to(consultation.contact_email, subject, f"{body}\n\n{link}", at)
        return "email"
    return ""


def _lock(consultation: Consultation) -> Consultation:
    return (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("item", "department", "region", "account__user")
        .get(pk=consultation.pk)
    )


def may_answer(user: User | None, consultation: Consultation) -> bool:
    """Staff of the consultation's department in an answering role (or a superuser)."""
    return can_view(user, consultation, roles=ANSWER_ROLES)


def _require_department(user: User | None, consultation: Consultation) -> None:
    if not may_answer(user, consultation):
        raise PortalError(
            _("Only the staff of %(department)s answer questions on its services.")
            % {"department": consultation.department.name},
            "forbidden",
        )


def _item_offered(item: Item, on: dt.date) -> bool:
    return ItemVersion.objects.in_force(on).filter(item_id=item.pk).exists()


# --------------------------------------------------------------------------- rate limit


def _ask_key(client: str) -> str:
    return "portal:consult-ask:" + hashlib.sha256(client.encode()).hexdigest()[:32]


def may_ask_anonymously(client: str) -> bool:
    """Whether the visitor at ``client`` (an address or session key) may ask again now."""
    return int(cache.get(_ask_key(client), 0)) < ASK_LIMIT


def note_anonymous_ask(client: str) -> None:
    key = _ask_key(client)
    if cache.add(key, 1, ASK_WINDOW):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, ASK_WINDOW)


# --------------------------------------------------------------------------- services


@transaction.atomic
def consult_ask(
    *,
    item: Item,
    question: str,
    account: Account | None = None,
    contact_name: str = "",
    contact_mobile: str = "",
    contact_email: str = "",
    at: dt.datetime | None = None,
) -> Consultation:
    """Ask the item's department a question. A signed-in account's own particulars are the
    contact unless others are given; a visitor gives a name and a mobile or an email."""
    at = _moment(at)
    today = timezone.localtime(at).date()
    question = _text(
        question,
        field="question",
        least=QUESTION_MIN,
        most=QUESTION_MAX,
        missing=_("Write your question."),
        short=_("Write your question in at least %(n)d characters.") % {"n": QUESTION_MIN},
    )
    if account is not None:
        name = (contact_name or "").strip() or account.name
        mobile = _check_mobile(contact_mobile or account.mobile)
        email = _check_email(contact_email or account.email)
        name = name[:NAME_MAX]
    else:
        name = (contact_name or "").strip()
        if not name:
            raise PortalError(_("Give your name, so the answer can address you."), "required", "contact_name")
        if len(name) > NAME_MAX:
            raise PortalError(
                _("Keep the name within %(n)d characters.") % {"n": NAME_MAX}, "too_long", "contact_name"
            )
        mobile = _check_mobile(contact_mobile)
        email = _check_email(contact_email)
        if not mobile and not email:
            raise PortalError(
                _("Give a mobile number or an email address: the answer and its link are sent there."),
                "no_contact",
                "contact_mobile",
            )
    if not _item_offered(item, today):
        raise PortalError(_("This service is not offered at present."), "not_offered", "item")
    consultation = Consultation.objects.create(
        item=item,
        department_id=item.department_id,
        region_id=item.region_id,
        account=account,
        contact_name=name,
        contact_mobile=mobile,
        contact_email=email,
        question=question,
        asked_at=at,
        due_date=due_for(today),
        query_token=secrets.token_urlsafe(32),
    )
    subject = _("Question received: the answer is due by %(date)s") % {
        "date": consultation.due_date.isoformat()
    }
    body = _(
        "Your question on %(item)s reached %(department)s on %(day)s. "
        "The answer is due by %(date)s; you can read it with this link."
    ) % {
        "item": item.code,
        "department": consultation.department.name,
        "day": today.isoformat(),
        "date": consultation.due_date.isoformat(),
    }
    _tell_asker(consultation, subject, body, "consultation.received", at)
    return consultation


@transaction.atomic
def consult_answer(
    *, consultation: Consultation, user: User | None, answer: str, at: dt.datetime | None = None
) -> Consultation:
    """The department answers; the asker is told."""
    at = _moment(at)
    consultation = _lock(consultation)
    _require_department(user, consultation)
    if consultation.status == ConsultationStatus.ANSWERED:
        raise PortalError(_("This question has already been answered."), "already_answered")
    if consultation.status != ConsultationStatus.OPEN:
        raise PortalError(_("This question was closed: it can no longer be answered."), "closed")
    consultation.answer = _text(
        answer,
        field="answer",
        least=ANSWER_MIN,
        most=ANSWER_MAX,
        missing=_("Write the answer."),
        short=_("Write the answer in at least %(n)d characters.") % {"n": ANSWER_MIN},
    )
    consultation.status = ConsultationStatus.ANSWERED
    consultation.answered_by = user  # type: ignore[assignment]
    consultation.answered_at = at
    consultation.save(update_fields=["answer", "status", "answered_by", "answered_at"])
    _tell_asker(
        consultation,
        _("Your question has been answered by %(department)s") % {"department": consultation.department.name},
        consultation.answer[:500],
        "consultation.answered",
        at,
    )
    return consultation


def personal_details_in(text: str, consultation: Consultation) -> bool:
    """Whether ``text`` carries a mobile, ID number, landline, email or the asker's name."""
    if any(p.search(text) for p in _PERSONAL):
        return True
    name = consultation.contact_name.strip()
    candidates = {name}
    if consultation.account_id is not None:
        candidates.add(consultation.account.name.strip())
    return any(len(n) >= 2 and n in text for n in candidates)


@transaction.atomic
def consult_publish(
    *,
    consultation: Consultation,
    user: User | None,
    question_as_published: str,
    at: dt.datetime | None = None,
) -> Consultation:
    """Publish an answered question to the item's FAQ, under a question rewritten by the
    department without personal details (publishing again replaces that text)."""
    at = _moment(at)
    consultation = _lock(consultation)
    _require_department(user, consultation)
    if consultation.status != ConsultationStatus.ANSWERED:
        raise PortalError(
            _("Only an answered question can be published to the FAQ."), "not_answered", "published_question"
        )
    text = _text(
        question_as_published,
        field="published_question",
        least=QUESTION_MIN,
        most=PUBLISHED_MAX,
        missing=_("Write the question as it should appear in the FAQ."),
        short=_("Write the published question in at least %(n)d characters.") % {"n": QUESTION_MIN},
    )
    if personal_details_in(text, consultation):
        raise PortalError(
            _(
                "The published question still carries personal details (a name, a number or an address): "
                "remove them first."
            ),
            "personal_details",
            "published_question",
        )
    if consultation.published_at is None:
        consultation.published_at = at
    consultation.published_question = text
    consultation.save(update_fields=["published_at", "published_question"])
    return consultation


@transaction.atomic
def consult_unpublish(
    *, consultation: Consultation, user: User | None, at: dt.datetime | None = None
) -> Consultation:
    """Take an answer off the FAQ (its published wording is kept for a later publication)."""
    _moment(at)
    consultation = _lock(consultation)
    _require_department(user, consultation)
    if consultation.published_at is None:
        raise PortalError(_("This answer is not published."), "not_published")
    consultation.published_at = None
    consultation.save(update_fields=["published_at"])
    return consultation


@transaction.atomic
def consult_close(
    *, consultation: Consultation, user: User | None, reason: str, at: dt.datetime | None = None
) -> Consultation:
    """Close an open question without an answer (a duplicate, not a question, abuse),
    telling the asker why."""
    at = _moment(at)
    consultation = _lock(consultation)
    _require_department(user, consultation)
    if consultation.status != ConsultationStatus.OPEN:
        raise PortalError(
            _("Only a question awaiting an answer can be closed; this one is “%(status)s”.")
            % {"status": consultation.get_status_display()},
            "not_open",
        )
    consultation.close_reason = _text(
        reason,
        field="reason",
        least=2,
        most=REASON_MAX,
        missing=_("Say why the question is closed without an answer."),
        short=_("Say why the question is closed without an answer."),
    )
    consultation.status = ConsultationStatus.CLOSED
    consultation.closed_at = at
    consultation.closed_by = user  # type: ignore[assignment]
    consultation.save(update_fields=["close_reason", "status", "closed_at", "closed_by"])
    _tell_asker(
        consultation,
        _("Your question to %(department)s was closed without an answer")
        % {"department": consultation.department.name},
        consultation.close_reason,
        "consultation.closed",
        at,
    )
    return consultation


# --------------------------------------------------------------------------- selectors


def consultation_by_token(token: str) -> Consultation | None:
    if not token or len(token) > 64:
        return None
    return (
        Consultation.objects.select_related("item__entry", "department", "region")
        .filter(query_token=token)
        .first()
    )


def published_answers(item: Item, limit: int = FAQ_LIMIT) -> list[Consultation]:
    """The item's published questions and answers, the latest first (the guide's FAQ)."""
    return list(
        Consultation.objects.filter(item=item, published_at__isnull=False)
        .select_related("department")
        .only("published_question", "answer", "answered_at", "published_at", "department__name")
        .order_by("-published_at", "-pk")[:limit]
    )


def my_consultations(account: Account) -> QuerySet[Consultation]:
    return (
        Consultation.objects.filter(account=account)
        .select_related("item__entry", "department")
        .order_by("-asked_at", "-pk")
    )


QUEUE_FILTERS = ("open", "overdue", "answered", "published", "closed", "all")


def staff_queue(user: User | None, *, today: dt.date, show: str = "open") -> QuerySet[Consultation]:
    """The consultations the user's departments must answer, overdue ones first, then by
    due date; ``show`` narrows it (see ``QUEUE_FILTERS``)."""
    qs = visible(user, Consultation.objects.all(), roles=READ_ROLES)
    if show == "open":
        qs = qs.filter(status=ConsultationStatus.OPEN)
    elif show == "overdue":
        qs = qs.filter(status=ConsultationStatus.OPEN, due_date__lt=today)
    elif show == "answered":
        qs = qs.filter(status=ConsultationStatus.ANSWERED)
    elif show == "published":
        qs = qs.filter(published_at__isnull=False)
    elif show == "closed":
        qs = qs.filter(status=ConsultationStatus.CLOSED)
    return (
        qs.select_related("item__entry", "department")
        .annotate(
            overdue_first=DbCase(
                When(status=ConsultationStatus.OPEN, due_date__lt=today, then=Value(0)),
                When(status=ConsultationStatus.OPEN, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("overdue_first", "due_date", "asked_at", "pk")
    )


def staff_consultation(user: User | None, pk: int) -> Consultation | None:
    return (
        visible(user, Consultation.objects.all(), roles=READ_ROLES)
        .select_related("item__entry", "department", "region", "account", "answered_by__staff", "closed_by")
        .filter(pk=pk)
        .first()
    )


def overdue_consultations(today: dt.date) -> QuerySet[Consultation]:
    """Open consultations whose answer was due before ``today``."""
    return Consultation.objects.filter(status=ConsultationStatus.OPEN, due_date__lt=today)


def is_overdue(consultation: Consultation, today: dt.date) -> bool:
    return consultation.status == ConsultationStatus.OPEN and consultation.due_date < today


# --------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class ReminderReport:
    consultations: int = 0
    messages: int = 0


def _answerers(department_ids: Iterable[int]) -> dict[int, list[Any]]:
    """The active staff who answer for each department (roles limited to it, or staff of
    it with a region-wide answering role), and its head; one query."""
    ids = set(department_ids)
    rows = (
        RoleAssignment.objects.filter(
            role__in=(*ANSWER_ROLES, Role.LEADER), staff__is_active=True, staff__user__is_active=True
        )
        .filter(Q(department_id__in=ids) | Q(department__isnull=True, staff__department_id__in=ids))
        .exclude(role=Role.LEADER, department__isnull=True)
        .select_related("staff__user")
    )
    found: dict[int, dict[Any, Any]] = {}
    for row in rows:
        dept = row.department_id or row.staff.department_id
        found.setdefault(dept, {})[row.staff.user.pk] = row.staff.user
    return {dept: list(users.values()) for dept, users in found.items()}


def tell_overdue(now: dt.datetime | None = None, *, batch: int = 500) -> ReminderReport:
    """Tell each department, once per consultation, of the questions whose answer is
    overdue. Safe on several workers at once: rows are claimed with SKIP LOCKED where the
    database has it, and each is marked told in the same transaction."""
    now = _moment(now)
    today = timezone.localtime(now).date()
    total = ReminderReport()
    while True:
        with transaction.atomic():
            qs = overdue_consultations(today).filter(overdue_told_at__isnull=True).order_by("due_date", "pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            rows = list(qs.select_related("item__entry", "department")[:batch])
            if not rows:
                return total
            people = _answerers({c.department_id for c in rows})
            messages: list[Message] = []
            for c in rows:
                subject = _("Overdue question on %(item)s: the answer was due %(date)s") % {
                    "item": c.item.entry.name,
                    "date": c.due_date.isoformat(),
                }
                link = reverse("consult_staff:answer", args=[c.pk])
                messages += [
                    Message(
                        recipient=u,
                        subject=subject[:200],
                        body=c.question[:300],
                        link=link,
                        kind="consultation.overdue",
                    )
                    for u in people.get(c.department_id, [])
                ]
            sent = send(messages, at=now)
            Consultation.objects.filter(pk__in=[c.pk for c in rows]).update(overdue_told_at=now)
            total = ReminderReport(total.consultations + len(rows), total.messages + sent)
