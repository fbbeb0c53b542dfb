"""Every write to appointments: opening slots from the rules, booking, confirming,
cancelling, checking in, marking absent, and the reminders.

Each function checks who may act and in which state, writes in one transaction and tells
the citizen (inbox, email and SMS to the account's mobile through
``yiwang.core.notify.send``, queued in the same transaction, so a refused or rolled-back
action tells nobody). A refusal raises ``HallError`` (a ``PortalError``
with a field and a stable code from ``HallErrorCode``) and writes nothing.

Booking needs a signed-in citizen or enterprise account, verified or not: the identity is
checked at the window when the citizen comes, as for any visit, and an unverified
account holds at most one active appointment per item and day like everyone else.

Concurrency: a slot's places are taken with a conditional UPDATE
(``booked = booked + 1 WHERE booked < capacity``), which PostgreSQL re-evaluates on the
latest row after a concurrent writer commits and SQLite runs one writer at a time; the
database's check constraint ``booked <= capacity`` backs it up. The partial unique index
on (account, item, date) over the active states refuses a second simultaneous request of
the same citizen. State changes are conditional UPDATEs on the expected state, so two
staff pressing "confirm" and "cancel" at once cannot both win.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F, PositiveSmallIntegerField, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiwang.catalog.models import Item
from yiwang.core import calendar, notify
from yiwang.hall import selectors
from yiwang.hall.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    HallErrorCode,
    Slot,
    SlotRule,
)
from yiwang.org.models import ServiceCenter
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account

logger = logging.getLogger("yiwang.hall")

User = AbstractBaseUser | AnonymousUser

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out at a window
CODE_LENGTH = 8
# Reminders go out in the daytime only: an SMS at midnight helps nobody.
REMINDER_FROM = dt.time(8, 0)
REMINDER_UNTIL = dt.time(21, 0)
REMINDER_BATCH = 500


class HallError(PortalError):
    """A refused appointment action (``error_code`` is a ``HallErrorCode``)."""


# --------------------------------------------------------------------------- slots


@dataclass(frozen=True)
class SyncReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    closed: int = 0


def _desired_slots(
    rules: Iterable[SlotRule], start: dt.date, end: dt.date
) -> dict[tuple[int | None, dt.date, dt.time], tuple[SlotRule, dt.time]]:
    """(item, date, start) → (rule, end) of every slot the rules open between the dates."""
    plans: list[tuple[SlotRule, list[tuple[dt.time, dt.time]]]] = []
    for rule in rules:
        try:
            plans.append((rule, rule.slot_times()))
        except ValueError:
            logger.warning(
                "hall: slot rule %s has unreadable time ranges %r; skipped", rule.pk, rule.time_ranges
            )
    desired: dict[tuple[int | None, dt.date, dt.time], tuple[SlotRule, dt.time]] = {}
    day = start
    while day <= end:
        if selectors.bookable_day(day):
            makeup = day.weekday() >= 5
            for rule, times in plans:
                if rule.applies_on(day, makeup=makeup):
                    for s, e in times:
                        desired.setdefault((rule.item_id, day, s), (rule, e))
        day += dt.timedelta(days=1)
    return desired


def sync_slots(*, center: ServiceCenter, start: dt.date, end: dt.date) -> SyncReport:
    """Make the center's slots between ``start`` and ``end`` those its active rules open
    on working days: create the missing ones, update the capacity and end of changed
    ones (never below the places already booked), delete those no rule opens any more
    unless someone booked them, and close those (their bookings stand).

    Idempotent and safe to run concurrently with itself and with bookings (conflicting
    inserts are ignored; deletes and updates are conditional). A day of a year whose
    holiday schedule is unknown gets no slots. Runs when the booking page is opened and
    when a rule is saved, so a changed rule or calendar shows at once."""
    if end < start:
        return SyncReport()
    rules = list(SlotRule.objects.filter(center=center, is_active=True).order_by("pk"))
    desired = _desired_slots(rules, start, end)
    existing: dict[tuple[int | None, dt.date, dt.time], Mapping[str, Any]] = {
        (row["item_id"], row["date"], row["start"]): row
        for row in Slot.objects.filter(center=center, date__gte=start, date__lte=end).values(
            "pk", "item_id", "date", "start", "end", "capacity", "booked", "is_open", "rule_id"
        )
    }
    created = updated = 0
    new = [
        Slot(
            center=center, item_id=key[0], date=key[1], start=key[2], end=e, capacity=rule.capacity, rule=rule
        )
        for key, (rule, e) in desired.items()
        if key not in existing
    ]
    if new:
        created = len(Slot.objects.bulk_create(new, ignore_conflicts=True, batch_size=500))
    for key, (rule, e) in desired.items():
        row = existing.get(key)
        if row is None:
            continue
        if (
            row["end"] != e
            or row["capacity"] != rule.capacity
            or not row["is_open"]
            or row["rule_id"] != rule.pk
        ):
            updated += Slot.objects.filter(pk=row["pk"]).update(
                end=e,
                capacity=Greatest(
                    Value(rule.capacity), F("booked"), output_field=PositiveSmallIntegerField()
                ),
                is_open=True,
                rule=rule,
            )
    stale = [row["pk"] for key, row in existing.items() if key not in desired and row["is_open"]]
    deleted = closed = 0
    if stale:
        deleted, _detail = Slot.objects.filter(pk__in=stale, booked=0, appointments__isnull=True).delete()
        closed = Slot.objects.filter(pk__in=stale, is_open=True).update(is_open=False)
    return SyncReport(created=created, updated=updated, deleted=deleted, closed=closed)


def open_bookable_slots(*, center: ServiceCenter, at: dt.datetime | None = None) -> SyncReport:
    """``sync_slots`` over the days a citizen may book now."""
    today = selectors.local_now(at).date()
    return sync_slots(center=center, start=today, end=selectors.last_bookable_day(today))


# --------------------------------------------------------------------------- helpers


def _refuse(message: str, code: HallErrorCode, field: str | None = None) -> HallError:
    return HallError(message, code=code.value, field=field)


def _when(appointment: Appointment) -> str:
    slot = appointment.slot
    return f"{slot.date:%Y-%m-%d} {slot.start:%H:%M}-{slot.end:%H:%M}"


def _item_name(appointment: Appointment, on: dt.date) -> str:
    return selectors.item_names([appointment.item_id], on).get(appointment.item_id, appointment.item.code)


def _message(
    appointment: Appointment, *, kind: str, subject: str, body: str, sms: bool = True
) -> notify.Message:
    """The citizen's notice: inbox and email, and its subject by SMS unless ``sms`` is off."""
    return notify.Message(
        recipient=appointment.account.user,
        subject=subject,
        body=body,
        link=reverse("hall:appointment", args=[appointment.code]),
        kind=f"appointment.{kind}",
        channels=(notify.INBOX, notify.EMAIL, notify.SMS) if sms else (notify.INBOX, notify.EMAIL),
    )


def _tell_one(
    appointment: Appointment, *, kind: str, subject: str, body: str, at: dt.datetime, sms: bool = True
) -> None:
    notify.send([_message(appointment, kind=kind, subject=subject, body=body, sms=sms)], at=at)


def _notice_language() -> Any:
    """Notices are written in the site's language (zh-Hans), whoever triggered them."""
    return translation.override(settings.LANGUAGE_CODE)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _transition(appointment: Appointment, *, expected: Iterable[str], changes: dict[str, Any]) -> Appointment:
    """Apply ``changes`` if the row is still in one of the ``expected`` states; else refuse
    naming the state it is in now. The UPDATE is the check, so concurrent actions
    cannot both pass."""
    expected = tuple(expected)
    if not Appointment.objects.filter(pk=appointment.pk, status__in=expected).update(**changes):
        current = Appointment.objects.filter(pk=appointment.pk).values_list("status", flat=True).first()
        label = AppointmentStatus(current).label if current else "—"
        raise _refuse(
            _("This appointment is now “%(status)s”; the action is no longer possible.") % {"status": label},
            HallErrorCode.ILLEGAL_IN_STATE,
        )
    for name, value in changes.items():
        setattr(appointment, name, value)
    return appointment


def _require_staff(user: User, appointment: Appointment) -> None:
    if not selectors.may_handle(user, appointment):
        raise _refuse(
            _(
                "Only window operators of this service center and staff of the implementing "
                "department may handle this appointment."
            ),
            HallErrorCode.FORBIDDEN,
        )


def _free_place(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


# --------------------------------------------------------------------------- booking


def book(
    *,
    account: Account | None,
    item: Item,
    slot: Slot,
    note: str = "",
    at: dt.datetime | None = None,
) -> Appointment:
    """Book ``slot`` for ``item``: the appointment awaits the staff's confirmation.

    Refused (nothing written) when there is no account, the item takes no appointments,
    the slot is at a center that does not serve the item (another region's, or not for
    this item), on a day that is not a working day or of a year whose holidays are not
    published, already started, beyond ``HALL_BOOKING_WORKDAYS_AHEAD`` working days, closed
    or full, or when the account already holds an active appointment for the item that day.
    """
    now = at or timezone.now()
    local = selectors.local_now(now)
    today = local.date()
    if account is None:
        raise _refuse(
            _("Appointments are booked with a citizen or enterprise account; please sign in with one."),
            HallErrorCode.NO_ACCOUNT,
        )
    version = selectors.version_in_force(item, today)
    if version is None or not version.appointment:
        raise _refuse(
            _("This service does not take appointments online; please see its guide for where to go."),
            HallErrorCode.NO_APPOINTMENTS,
            "item",
        )
    fresh = Slot.objects.select_related("center").filter(pk=slot.pk).first()
    if fresh is None:
        raise _refuse(
            _("This time is no longer offered; please choose another one."), HallErrorCode.SLOT_CLOSED, "slot"
        )
    slot = fresh
    serves, slot_item_id = selectors.slot_item_for(slot.center, item)
    if not serves or slot.item_id != slot_item_id:
        raise _refuse(
            _(
                "%(center)s does not take appointments for this service; please choose one of the times offered."
            )
            % {"center": slot.center.name},
            HallErrorCode.WRONG_CENTER,
            "slot",
        )
    if not selectors.calendar_known(slot.date):
        raise _refuse(
            _(
                "Appointments for %(year)d open once the State Council has published that year's "
                "holiday schedule; please choose an earlier day."
            )
            % {"year": slot.date.year},
            HallErrorCode.CALENDAR_UNKNOWN,
            "slot",
        )
    if not calendar.is_workday(slot.date):
        raise _refuse(
            _("%(date)s is not a working day; please choose another day.")
            % {"date": f"{slot.date:%Y-%m-%d}"},
            HallErrorCode.NOT_WORKDAY,
            "slot",
        )
    if slot.starts_at <= local:
        raise _refuse(
            _("This time has already begun; please choose a later one."), HallErrorCode.SLOT_PAST, "slot"
        )
    last = selectors.last_bookable_day(today)
    if slot.date > last:
        raise _refuse(
            _("Appointments can be booked up to %(n)d working days ahead, until %(date)s.")
            % {"n": settings.HALL_BOOKING_WORKDAYS_AHEAD, "date": f"{last:%Y-%m-%d}"},
            HallErrorCode.TOO_FAR_AHEAD,
            "slot",
        )
    if not slot.is_open:
        raise _refuse(
            _("This time is no longer offered; please choose another one."), HallErrorCode.SLOT_CLOSED, "slot"
        )
    double = _refuse(
        _(
            "You already have an appointment for this service on %(date)s; cancel it first if you "
            "want another time."
        )
        % {"date": f"{slot.date:%Y-%m-%d}"},
        HallErrorCode.DOUBLE_BOOKING,
        "slot",
    )
    if Appointment.objects.filter(
        account=account, item=item, date=slot.date, status__in=ACTIVE_STATUSES
    ).exists():
        raise double
    note = " ".join((note or "").split())[:200]
    try:
        with transaction.atomic():
            taken = Slot.objects.filter(pk=slot.pk, is_open=True, booked__lt=F("capacity")).update(
                booked=F("booked") + 1
            )
            if not taken:
                raise _refuse(
                    _("This time has just been fully booked; please choose another one."),
                    HallErrorCode.FULL,
                    "slot",
                )
            appointment = _insert(account=account, item=item, slot=slot, note=note, at=now)
            slot.booked += 1
            appointment.slot = slot
            appointment.account = account
            appointment.item = item
            with _notice_language():
                when = _when(appointment)
                _tell_one(
                    appointment,
                    kind="requested",
                    subject=_("Appointment requested: %(item)s, %(when)s; awaiting confirmation")
                    % {"item": version.name, "when": when},
                    body=_(
                        "Your appointment %(code)s for %(item)s at %(center)s (%(address)s) on %(when)s "
                        "has been received. Staff will confirm it; you will be told."
                    )
                    % {
                        "code": appointment.code,
                        "item": version.name,
                        "center": slot.center.name,
                        "address": slot.center.address,
                        "when": when,
                    },
                    at=now,
                )
    except IntegrityError:
        # The partial unique index: the same citizen's simultaneous request won.
        if Appointment.objects.filter(
            account=account, item=item, date=slot.date, status__in=ACTIVE_STATUSES
        ).exists():
            raise double from None
        raise
    return appointment


def _insert(*, account: Account, item: Item, slot: Slot, note: str, at: dt.datetime) -> Appointment:
    """Insert the appointment with a fresh random code. A code collision (one in 10¹²) is
    retried; any other integrity error (the one-active-per-day index) propagates."""
    for _attempt in range(5):
        code = _new_code()
        if Appointment.objects.filter(code=code).exists():
            continue
        return Appointment.objects.create(
            code=code,
            slot_id=slot.pk,
            center_id=slot.center_id,
            date=slot.date,
            item=item,
            account=account,
            note=note,
            requested_at=at,
        )
    raise RuntimeError("hall: no free appointment code after 5 attempts")


# --------------------------------------------------------------------------- staff and citizen actions


def _load(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_related(
        "slot", "center", "center__region", "item", "item__department", "account", "account__user"
    ).get(pk=appointment.pk)


@transaction.atomic
def confirm(*, appointment: Appointment, staff_user: User, at: dt.datetime | None = None) -> Appointment:
    """The department or the window confirms a requested appointment (before it ends)."""
    now = at or timezone.now()
    appointment = _load(appointment)
    _require_staff(staff_user, appointment)
    if appointment.status == AppointmentStatus.REQUESTED and appointment.slot.ends_at <= selectors.local_now(
        now
    ):
        raise _refuse(
            _("This appointment's time has passed; it can no longer be confirmed."), HallErrorCode.SLOT_PAST
        )
    _transition(
        appointment,
        expected=[AppointmentStatus.REQUESTED],
        changes={
            "status": AppointmentStatus.CONFIRMED,
            "confirmed_at": now,
            "confirmed_by_id": staff_user.pk,
        },
    )
    with _notice_language():
        name, when = _item_name(appointment, selectors.local_now(now).date()), _when(appointment)
        _tell_one(
            appointment,
            kind="confirmed",
            subject=_("Appointment confirmed: %(item)s, %(when)s") % {"item": name, "when": when},
            body=_(
                "Your appointment %(code)s for %(item)s is confirmed: %(when)s at %(center)s (%(address)s). "
                "Please bring your identity document and the materials listed in the service guide."
            )
            % {
                "code": appointment.code,
                "item": name,
                "when": when,
                "center": appointment.center.name,
                "address": appointment.center.address,
            },
            at=now,
        )
    return appointment


@transaction.atomic
def cancel(
    *, appointment: Appointment, by_user: User, reason: str = "", at: dt.datetime | None = None
) -> Appointment:
    """Cancel an active appointment and free its place.

    The citizen may cancel their own until the slot starts, with or without a reason;
    staff who may handle it may cancel it at any time while it is active, always with a
    reason, which the citizen is told."""
    now = at or timezone.now()
    appointment = _load(appointment)
    reason = " ".join((reason or "").split())[:300]
    own = by_user is not None and by_user.is_authenticated and appointment.account.user_id == by_user.pk
    if own:
        if appointment.is_active and appointment.slot.starts_at <= selectors.local_now(now):
            raise _refuse(
                _(
                    "This appointment's time has begun; it can no longer be cancelled online. "
                    "Please call the service center."
                ),
                HallErrorCode.SLOT_PAST,
            )
    else:
        _require_staff(by_user, appointment)
        if not reason:
            raise _refuse(
                _("Tell the citizen why the appointment is cancelled."),
                HallErrorCode.REASON_REQUIRED,
                "reason",
            )
    _transition(
        appointment,
        expected=ACTIVE_STATUSES,
        changes={
            "status": AppointmentStatus.CANCELLED,
            "cancelled_at": now,
            "cancelled_by_id": by_user.pk,
            "cancel_reason": reason,
        },
    )
    _free_place(appointment.slot_id)
    with _notice_language():
        name, when = _item_name(appointment, selectors.local_now(now).date()), _when(appointment)
        if own:
            subject = _("Appointment cancelled: %(item)s, %(when)s") % {"item": name, "when": when}
            body = _("You cancelled your appointment %(code)s for %(item)s on %(when)s.") % {
                "code": appointment.code,
                "item": name,
                "when": when,
            }
        else:
            subject = _("Your appointment for %(item)s on %(when)s was cancelled") % {
                "item": name,
                "when": when,
            }
            body = _(
                "%(center)s cancelled your appointment %(code)s for %(item)s on %(when)s. Reason: %(reason)s "
                "You are welcome to book another time."
            ) % {
                "center": appointment.center.name,
                "code": appointment.code,
                "item": name,
                "when": when,
                "reason": reason,
            }
        _tell_one(appointment, kind="cancelled", subject=subject, body=body, at=now)
    return appointment


def _require_the_day(appointment: Appointment, now: dt.datetime) -> None:
    if selectors.local_now(now).date() != appointment.date:
        raise _refuse(
            _("Check-in is possible on the day of the appointment (%(date)s) only.")
            % {"date": f"{appointment.date:%Y-%m-%d}"},
            HallErrorCode.NOT_ON_THE_DAY,
        )


@transaction.atomic
def check_in(*, appointment: Appointment, staff_user: User, at: dt.datetime | None = None) -> Appointment:
    """The citizen came: on the day of the appointment, requested or confirmed (a request
    nobody confirmed yet is confirmed by being served)."""
    now = at or timezone.now()
    appointment = _load(appointment)
    _require_staff(staff_user, appointment)
    if appointment.is_active:
        _require_the_day(appointment, now)
    changes: dict[str, Any] = {
        "status": AppointmentStatus.ATTENDED,
        "closed_at": now,
        "closed_by_id": staff_user.pk,
    }
    if appointment.status == AppointmentStatus.REQUESTED:
        changes.update(confirmed_at=now, confirmed_by_id=staff_user.pk)
    _transition(appointment, expected=ACTIVE_STATUSES, changes=changes)
    with _notice_language():
        name = _item_name(appointment, selectors.local_now(now).date())
        _tell_one(
            appointment,
            kind="attended",
            subject=_("Checked in: %(item)s, appointment %(code)s")
            % {"item": name, "code": appointment.code},
            body=_("You were checked in at %(center)s for %(item)s. Thank you for booking.")
            % {"center": appointment.center.name, "item": name},
            at=now,
            sms=False,
        )
    return appointment


@transaction.atomic
def mark_no_show(*, appointment: Appointment, staff_user: User, at: dt.datetime | None = None) -> Appointment:
    """The citizen did not come: once the slot has begun (on the day or later)."""
    now = at or timezone.now()
    appointment = _load(appointment)
    _require_staff(staff_user, appointment)
    if appointment.is_active and appointment.slot.starts_at > selectors.local_now(now):
        raise _refuse(
            _("The appointment has not begun yet (%(when)s); it can be marked as missed from then on.")
            % {"when": _when(appointment)},
            HallErrorCode.TOO_EARLY,
        )
    _transition(
        appointment,
        expected=ACTIVE_STATUSES,
        changes={"status": AppointmentStatus.NO_SHOW, "closed_at": now, "closed_by_id": staff_user.pk},
    )
    with _notice_language():
        name, when = _item_name(appointment, selectors.local_now(now).date()), _when(appointment)
        _tell_one(
            appointment,
            kind="no_show",
            subject=_("Missed appointment: %(item)s, %(when)s") % {"item": name, "when": when},
            body=_(
                "You did not come to your appointment %(code)s for %(item)s on %(when)s. "
                "If you still need the service, please book another time."
            )
            % {"code": appointment.code, "item": name, "when": when},
            at=now,
            sms=False,
        )
    return appointment


# --------------------------------------------------------------------------- reminders


def send_reminders(now: dt.datetime | None = None, *, batch: int = REMINDER_BATCH) -> int:
    """Remind each citizen with a confirmed appointment on the next working day, once.

    Runs in the daytime only (08:00–21:00 local). Safe to run twice and on two workers
    at once: each batch is claimed with ``select_for_update(skip_locked=True)`` and
    stamped ``reminder_sent_at`` by a conditional UPDATE in the transaction that queues
    the messages. Returns how many reminders were queued."""
    now = now or timezone.now()
    local = selectors.local_now(now)
    if not (REMINDER_FROM <= local.time() < REMINDER_UNTIL):
        return 0
    today = local.date()
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                selectors.reminders_due(today)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("slot", "center", "item", "account", "account__user")
                .order_by("date", "pk")[:batch]
            )
            if not rows:
                break
            claimed = Appointment.objects.filter(
                pk__in=[row.pk for row in rows],
                status=AppointmentStatus.CONFIRMED,
                reminder_sent_at__isnull=True,
            ).update(reminder_sent_at=now)
            if claimed != len(rows):
                # Another worker stamped some between our read and write (SQLite has no
                # skip_locked): give these back untouched and read again.
                transaction.set_rollback(True)
                continue
            names = selectors.item_names({row.item_id for row in rows}, today)
            with _notice_language():
                messages = [_reminder(row, names.get(row.item_id, row.item.code)) for row in rows]
            notify.send(messages, at=now)
            sent += len(rows)
        if len(rows) < batch:
            break
    return sent


def _reminder(appointment: Appointment, name: str) -> notify.Message:
    when = _when(appointment)
    return _message(
        appointment,
        kind="reminder",
        subject=_("Reminder: %(item)s, %(when)s") % {"item": name, "when": when},
        body=_(
            "Your appointment %(code)s for %(item)s is on %(when)s at %(center)s (%(address)s). "
            "If you cannot come, please cancel it so that someone else can have the place."
        )
        % {
            "code": appointment.code,
            "item": name,
            "when": when,
            "center": appointment.center.name,
            "address": appointment.center.address,
        },
    )
