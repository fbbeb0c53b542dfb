"""Notification channels: the in-app inbox, email and SMS.

``send`` is what other apps call (supervision for warnings and cards, later the hotline
and the portal): it writes every inbox row and every outbox row of a batch in bulk, in
the caller's transaction, so a rolled-back alert notifies nobody. Nothing leaves the
site there: ``deliver_pending``, run every minute by the periodic task
``yiwang.core.tasks.deliver_notifications``, sends the outbox afterwards and retries
failures with a growing delay.

Addresses are personal data: logs and the admin only ever show them masked
(``mask_address``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from yiwang.core import sms
from yiwang.core.identifiers import mask, mask_mobile
from yiwang.core.models import Notification, OutboundChannel, OutboundMessage, OutboundStatus

logger = logging.getLogger("yiwang.core.notify")

INBOX = "inbox"
EMAIL = OutboundChannel.EMAIL.value
SMS = OutboundChannel.SMS.value
CHANNELS: tuple[str, ...] = (INBOX, EMAIL, SMS)

# Delay before the next attempt after the n-th failure; the last one repeats.
BACKOFF_MINUTES: tuple[int, ...] = (1, 5, 30, 120, 720)
# A worker claims a batch for this long; it stops starting sends early enough to finish
# inside the claim, and gives back what it did not reach.
CLAIM = dt.timedelta(minutes=15)
BULK_BATCH = 500
MAX_ERROR_CHARS = 1000

_MOBILE_RE = re.compile(r"^1[0-9]{10}$")
_SUBJECT_MAX = Notification._meta.get_field("subject").max_length or 200
_LINK_MAX = Notification._meta.get_field("link").max_length or 500
_KIND_MAX = Notification._meta.get_field("kind").max_length or 50

# Inbox reads accept the request's user as it comes: an anonymous visitor has no messages.
AnyUser = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Message:
    """One notification for one user. ``link`` is a path on this site (``/work/...``);
    ``kind`` a short code such as ``alert.yellow``; ``channels`` any of inbox, email, sms.
    The inbox and email carry subject and body; an SMS carries the subject only, so keep
    it short (70 characters make one segment)."""

    recipient: AbstractBaseUser
    subject: str
    body: str
    link: str = ""
    kind: str = ""
    channels: tuple[str, ...] = CHANNELS

    def __post_init__(self) -> None:
        if self.recipient is None or self.recipient.pk is None:
            raise ValueError("notify.Message: the recipient must be a saved user")
        subject = self.subject.strip()
        if not subject:
            raise ValueError("notify.Message: the subject is empty")
        if "\n" in subject or "\r" in subject:
            raise ValueError("notify.Message: the subject must be one line")
        if len(subject) > _SUBJECT_MAX:
            raise ValueError(f"notify.Message: the subject is longer than {_SUBJECT_MAX} characters")
        if self.link and not _is_site_path(self.link):
            raise ValueError(f"notify.Message: the link must be a path on this site, not {self.link!r}")
        if len(self.link) > _LINK_MAX:
            raise ValueError(f"notify.Message: the link is longer than {_LINK_MAX} characters")
        if len(self.kind) > _KIND_MAX:
            raise ValueError(f"notify.Message: the kind is longer than {_KIND_MAX} characters")
        unknown = set(self.channels) - set(CHANNELS)
        if unknown or not self.channels:
            raise ValueError(
                f"notify.Message: channels must be some of {', '.join(CHANNELS)}; got {self.channels!r}"
            )
        object.__setattr__(self, "subject", subject)
        object.__setattr__(self, "channels", tuple(self.channels))


def _is_site_path(link: str) -> bool:
    """A path on this site: starts with one slash (``//host`` would leave the site)."""
    return link.startswith("/") and not link.startswith("//") and "\\" not in link and "\n" not in link


def mask_email(address: str) -> str:
    """``zhangsan@example.com`` → ``z*******@example.com``."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return mask(address.strip(), 1, 0)
    return f"{mask(local, 1, 0)}@{domain}"


def mask_address(channel: str, address: str) -> str:
    return mask_mobile(address) if channel == SMS else mask_email(address)


# --------------------------------------------------------------------------- send


def send(messages: Iterable[Message], *, at: dt.datetime | None = None) -> int:
    """Write the inbox rows and outbox rows of ``messages``; return how many distinct
    messages were accepted.

    The same recipient and subject twice in one call is one message (reaching a user
    through the union of the channels asked for): a handler who is also the head of the
    department gets one yellow card, not two. Email goes to ``user.email``, SMS to the
    user's mobile (a staff member's work mobile, else their portal account's); a channel
    without a (valid) address is skipped, and users who can no longer sign in get inbox
    rows only. The query count does not grow with the number of messages (bulk inserts),
    and everything is written in the caller's transaction."""
    now = at or timezone.now()
    merged: dict[tuple[Any, str], tuple[Message, set[str]]] = {}
    for message in messages:
        key = (message.recipient.pk, message.subject)
        if key in merged:
            merged[key][1].update(message.channels)
        else:
            merged[key] = (message, set(message.channels))
    if not merged:
        return 0
    mobiles = _mobiles_of({m.recipient.pk for m, channels in merged.values() if SMS in channels})

    notifications: list[Notification] = []
    outbox: list[OutboundMessage] = []
    for message, channels in merged.values():
        user = message.recipient
        if INBOX in channels:
            notifications.append(
                Notification(
                    recipient_id=user.pk,
                    kind=message.kind,
                    subject=message.subject,
                    body=message.body,
                    link=message.link,
                    created_at=now,
                )
            )
        if not user.is_active:
            continue
        outgoing = {EMAIL: _email_of(user) if EMAIL in channels else "", SMS: mobiles.get(user.pk, "")}
        for channel, address in outgoing.items():
            if channel in channels and address:
                outbox.append(
                    OutboundMessage(
                        channel=channel,
                        address=address,
                        recipient_id=user.pk,
                        subject=message.subject,
                        body=_email_body(message) if channel == EMAIL else message.subject,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, batch_size=BULK_BATCH)
        OutboundMessage.objects.bulk_create(outbox, batch_size=BULK_BATCH)
    return len(merged)


def send_sms_to(mobile: str, text: str, *, at: dt.datetime | None = None) -> bool:
    """Queue one SMS to a number that belongs to no account (a complainant who called in,
    say). Returns False, queuing nothing, when the number is not a mainland mobile."""
    number = (mobile or "").strip()
    text = " ".join((text or "").split())
    if not _MOBILE_RE.match(number) or not text:
        return False
    now = at or timezone.now()
    OutboundMessage.objects.create(
        channel=SMS,
        address=number,
        subject=text[:_SUBJECT_MAX],
        body=text,
        next_attempt_at=now,
        created_at=now,
    )
    return True


def _email_of(user: AbstractBaseUser) -> str:
    address = (getattr(user, "email", "") or "").strip()
    if not address:
        return ""
    try:
        validate_email(address)
    except ValidationError:
        logger.warning(
            "notify: user %s has an invalid email address %s; not emailed", user.pk, mask_email(address)
        )
        return ""
    return address


def _mobiles_of(user_ids: set[Any]) -> dict[Any, str]:
    """Mobile numbers among ``user_ids``, in one query per 500 users: a staff member's
    work mobile (none while the staff row is inactive), else the mobile of the user's
    citizen or enterprise account (``yiwang.portal``)."""
    from django.contrib.auth import get_user_model

    # org and portal build on core; imported where needed, for the names of their relations
    from yiwang.org.models import Staff
    from yiwang.portal.models import Account

    staff = Staff._meta.get_field("user").related_query_name()
    account = Account._meta.get_field("user").related_query_name()
    found: dict[Any, str] = {}
    ids = sorted(user_ids)
    for start in range(0, len(ids), BULK_BATCH):
        rows = (
            get_user_model()
            .objects.filter(pk__in=ids[start : start + BULK_BATCH])
            .values_list("pk", f"{staff}__is_active", f"{staff}__mobile", f"{account}__mobile")
        )
        for user_id, staff_active, staff_mobile, account_mobile in rows:
            # No staff row (None): a citizen or enterprise user, reached on their account's mobile.
            mobile = account_mobile if staff_active is None else (staff_mobile if staff_active else "")
            number = (mobile or "").strip()
            if not number:
                continue
            if not _MOBILE_RE.match(number):
                logger.warning(
                    "notify: user %s has an invalid mobile %s; no SMS", user_id, mask_mobile(number)
                )
                continue
            found[user_id] = number
    return found


def _email_body(message: Message) -> str:
    parts = [message.body.strip()] if message.body.strip() else []
    if message.link and settings.NOTIFY_SITE_URL:
        parts.append(settings.NOTIFY_SITE_URL + message.link)
    return "\n\n".join(parts) or message.subject


# --------------------------------------------------------------------------- deliver


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # failed this time, will be tried again later
    failed: int = 0  # given up: permanent error or NOTIFY_MAX_ATTEMPTS reached
    released: int = 0  # claimed but not reached in this run; due again at once

    @property
    def total(self) -> int:
        return self.sent + self.retrying + self.failed + self.released


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def backoff(attempts: int) -> dt.timedelta:
    """The delay after the ``attempts``-th failure: 1, 5, 30, 120, then 720 minutes."""
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def deliver_pending(now: dt.datetime | None = None, limit: int = 500) -> DeliveryReport:
    """Send up to ``limit`` outbox rows due at ``now`` (default: the current time).

    Safe on any number of workers at once: a worker first claims its rows in a short
    transaction (``select_for_update(skip_locked=True)`` on PostgreSQL; SQLite serialises
    writers) by moving their next attempt past the claim period, then sends outside any
    transaction and records each outcome at once. No row is sent by two workers, and a
    sent row is never sent again. A worker that dies mid-batch leaves its unsent rows to
    be picked up when the claim runs out."""
    now = now or timezone.now()
    rows = _claim(now, limit)
    if not rows:
        return DeliveryReport()
    per_send = max(float(settings.SMS_GATEWAY_TIMEOUT), float(settings.EMAIL_TIMEOUT or 60)) + 30
    stop_at = time.monotonic() + max(CLAIM.total_seconds() - per_send, 0)
    counts = {"sent": 0, "retrying": 0, "failed": 0, "released": 0}
    channel_state = _Senders()
    try:
        for index, row in enumerate(rows):
            if time.monotonic() > stop_at:
                counts["released"] = _release(rows[index:], now)
                break
            try:
                channel_state.send(row)
            except Exception as exc:
                counts[_record_failure(row, exc, now)] += 1
            else:
                _record_success(row)
                counts["sent"] += 1
    finally:
        channel_state.close()
    report = DeliveryReport(**counts)
    logger.info(
        "notify: outbox run: %d sent, %d to retry, %d given up, %d left for later",
        report.sent,
        report.retrying,
        report.failed,
        report.released,
    )
    return report


def _claim(now: dt.datetime, limit: int) -> list[OutboundMessage]:
    with transaction.atomic():
        rows = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if rows:
            OutboundMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
                next_attempt_at=now + CLAIM
            )
    return rows


def _release(rows: list[OutboundMessage], now: dt.datetime) -> int:
    return OutboundMessage.objects.filter(
        pk__in=[row.pk for row in rows], status=OutboundStatus.PENDING
    ).update(next_attempt_at=now)


class _Senders:
    """The SMS backend and the mail connection of one run, opened when first needed."""

    def __init__(self) -> None:
        self._sms: sms.SmsBackend | None = None
        self._mail: Any = None

    def send(self, row: OutboundMessage) -> None:
        if row.channel == SMS:
            if self._sms is None:
                self._sms = sms.get_backend()
            self._sms.send(row.address, row.body)
            return
        if row.channel != EMAIL:
            raise DeliveryError(f"unknown channel {row.channel!r}", permanent=True)
        if self._mail is None:
            connection = mail.get_connection()
            connection.open()  # one connection for the whole run; SMTP would reconnect per message
            self._mail = connection
        email = mail.EmailMessage(
            subject=row.subject,
            body=row.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[row.address],
            connection=self._mail,
        )
        try:
            accepted = email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"the mail server refused the address: {exc}", permanent=True) from None
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()  # the next message gets a fresh connection
            raise
        if accepted != 1:
            raise DeliveryError("the mail backend did not accept the message")

    def close(self) -> None:
        if self._mail is not None:
            with contextlib.suppress(Exception):  # closing a broken connection: nothing to do
                self._mail.close()
            self._mail = None


def _record_success(row: OutboundMessage) -> None:
    OutboundMessage.objects.filter(pk=row.pk).update(
        status=OutboundStatus.SENT, attempts=row.attempts + 1, sent_at=timezone.now(), last_error=""
    )


def _record_failure(row: OutboundMessage, exc: Exception, now: dt.datetime) -> str:
    attempts = row.attempts + 1
    error = _scrub(f"{type(exc).__name__}: {exc}", row.address)[:MAX_ERROR_CHARS]
    give_up = getattr(exc, "permanent", False) or attempts >= settings.NOTIFY_MAX_ATTEMPTS
    changes: dict[str, Any] = {"attempts": attempts, "last_error": error}
    if give_up:
        changes.update(status=OutboundStatus.FAILED, next_attempt_at=now)
    else:
        changes["next_attempt_at"] = now + backoff(attempts)
    OutboundMessage.objects.filter(pk=row.pk).update(**changes)
    logger.warning(
        "notify: %s %s to %s, attempt %d: %s; %s",
        row.channel,
        row.pk,
        mask_address(row.channel, row.address),
        attempts,
        error,
        "given up" if give_up else f"next try at {changes['next_attempt_at']:%Y-%m-%d %H:%M}",
    )
    return "failed" if give_up else "retrying"


def _scrub(text: str, address: str) -> str:
    """Error texts of mail servers quote the address; logs and the admin must not."""
    return text.replace(address, mask_address(SMS if _MOBILE_RE.match(address) else EMAIL, address))


def retry(messages: QuerySet[OutboundMessage], *, at: dt.datetime | None = None) -> int:
    """Make failed or waiting messages due now with a fresh count of attempts (after the
    address or the gateway was fixed). Sent messages are left alone."""
    return messages.exclude(status=OutboundStatus.SENT).update(
        status=OutboundStatus.PENDING, attempts=0, next_attempt_at=at or timezone.now()
    )


# --------------------------------------------------------------------------- inbox


def inbox(user: AnyUser) -> QuerySet[Notification]:
    """The user's notifications, unread first, newest first."""
    return (
        Notification.objects.filter(recipient_id=user.pk)
        .annotate(read=ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField()))
        .order_by("read", "-created_at", "-pk")
    )


def unread_count(user: AnyUser) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def mark_read(*, user: AnyUser, notification_id: int, at: dt.datetime | None = None) -> Notification:
    """Mark one of the user's own notifications read (again: no change). Raises
    ``Notification.DoesNotExist`` for anyone else's."""
    notification = Notification.objects.get(pk=notification_id, recipient_id=user.pk)
    if notification.read_at is None:
        notification.read_at = at or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, user: AnyUser, at: dt.datetime | None = None) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=at or timezone.now()
    )
