"""Appointments (在线预约): slot rules, the slots they open on working days, and bookings.

Seed 000: a citizen books the time to handle an item; staff of the implementing
department (or the center's window operators) confirm it, and it is handled as agreed.

Capacity is guarded twice: the booking service raises ``Slot.booked`` with a conditional
UPDATE (``booked < capacity``), and the database refuses any row where ``booked`` exceeds
``capacity``. A citizen holds at most one active appointment per item and day: a partial
unique index over (account, item, date) for the active states, so two simultaneous
requests cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LOCAL = ZoneInfo("Asia/Shanghai")

_RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")
ISO_WEEKDAYS = "1234567"


class HallErrorCode(models.TextChoices):
    """Stable machine codes of refused appointment actions."""

    NO_ACCOUNT = "no_account", _("no citizen or enterprise account")
    NO_APPOINTMENTS = "no_appointments", _("item takes no appointments")
    WRONG_CENTER = "wrong_center", _("slot at a center that does not serve the item")
    SLOT_CLOSED = "slot_closed", _("slot closed")
    SLOT_PAST = "slot_past", _("slot already started")
    TOO_FAR_AHEAD = "too_far_ahead", _("slot too far ahead")
    NOT_WORKDAY = "not_workday", _("not a working day")
    CALENDAR_UNKNOWN = "calendar_unknown", _("holiday schedule not yet published")
    FULL = "full", _("slot fully booked")
    DOUBLE_BOOKING = "double_booking", _("already booked that day")
    FORBIDDEN = "forbidden", _("not allowed for this user")
    ILLEGAL_IN_STATE = "illegal_in_state", _("not possible in the appointment's state")
    REASON_REQUIRED = "reason_required", _("reason required")
    NOT_ON_THE_DAY = "not_on_the_day", _("only on the day of the appointment")
    TOO_EARLY = "too_early", _("before the appointment's time")


def parse_ranges(text: str) -> list[tuple[dt.time, dt.time]]:
    """``"09:00-11:30, 14:00-17:00"`` → [(9:00, 11:30), (14:00, 17:00)]; ``ValueError`` with a
    reason on anything else (a bad time, an empty or backwards range, overlaps)."""
    ranges: list[tuple[dt.time, dt.time]] = []
    for part in re.split(r"[,，;；\n]+", text or ""):
        if not part.strip():
            continue
        match = _RANGE_RE.match(part)
        if match is None:
            raise ValueError(
                _("“%(part)s” is not a time range such as 09:00-11:30.") % {"part": part.strip()}
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(_("“%(part)s” contains an impossible time.") % {"part": part.strip()})
        start = dt.time(h1, m1)
        end = dt.time(23, 59) if h2 == 24 else dt.time(h2, m2)
        if end <= start:
            raise ValueError(_("“%(part)s” ends before it starts.") % {"part": part.strip()})
        ranges.append((start, end))
    if not ranges:
        raise ValueError(_("Enter at least one time range, such as 09:00-11:30."))
    ranges.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(ranges):
        if s2 < e1:
            raise ValueError(_("The time ranges overlap."))
    return ranges


def item_q(item_id: int | None) -> Q:
    """Rows of item ``item_id``, or the general ones (no item) for None."""
    return Q(item__isnull=True) if item_id is None else Q(item_id=item_id)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


class SlotRule(models.Model):
    """When a service center takes appointments: on which weekdays, in which time ranges,
    in slots of how many minutes, for how many people each.

    Without an item the rule serves every item with appointments whose department has an
    active window at the center; with an item it serves that item alone, in slots of its
    own (the item's general slots at that center are then not offered for it).
    Statutory holidays never get slots; a make-up working day (调休, a worked Saturday or
    Sunday) gets them when ``on_makeup_days`` is set, whatever its weekday.
    """

    center = models.ForeignKey(
        "org.ServiceCenter",
        verbose_name=_("service center"),
        on_delete=models.CASCADE,
        related_name="slot_rules",
    )
    item = models.ForeignKey(
        "catalog.Item",
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="slot_rules",
        help_text=_("Leave empty for all items with appointments whose department has a window here."),
    )
    weekdays = models.CharField(
        _("weekdays"),
        max_length=7,
        default="12345",
        help_text=_("ISO weekday digits: 1 = Monday … 7 = Sunday; 12345 = Monday to Friday."),
    )
    on_makeup_days = models.BooleanField(
        _("on make-up working days"),
        default=True,
        help_text=_("Also open on a Saturday or Sunday the calendar makes a working day (调休)."),
    )
    time_ranges = models.CharField(
        _("time ranges"),
        max_length=200,
        default="09:00-11:30, 14:00-17:00",
        help_text=_("Comma-separated, such as 09:00-11:30, 14:00-17:00."),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    capacity = models.PositiveSmallIntegerField(
        _("people per slot"), default=3, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_region_field = "center__region"
    scope_department_field = None

    class Meta:
        verbose_name = _("appointment slot rule")
        verbose_name_plural = _("appointment slot rules")
        ordering = ["center", "item", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="hall_rule_slot_minutes"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="hall_rule_capacity"),
        ]

    def __str__(self) -> str:
        what = str(self.item) if self.item_id else _("all items")
        return f"{self.center} · {what} · {self.time_ranges}"

    def ranges(self) -> list[tuple[dt.time, dt.time]]:
        return parse_ranges(self.time_ranges)

    def iso_weekdays(self) -> frozenset[int]:
        return frozenset(int(c) for c in self.weekdays if c in ISO_WEEKDAYS)

    def applies_on(self, day: dt.date, *, makeup: bool) -> bool:
        """Does the rule open slots on ``day``, a working day (``makeup``: a worked weekend day)?"""
        return self.on_makeup_days if makeup else day.isoweekday() in self.iso_weekdays()

    def slot_times(self) -> list[tuple[dt.time, dt.time]]:
        """The (start, end) of each slot of a day: whole slots only, inside each range."""
        length = self.slot_minutes
        times: list[tuple[dt.time, dt.time]] = []
        for start, end in self.ranges():
            m = _minutes(start)
            while m + length <= _minutes(end):
                times.append((dt.time(m // 60, m % 60), dt.time((m + length) // 60, (m + length) % 60)))
                m += length
        return times

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        digits = (self.weekdays or "").strip()
        if not digits or any(c not in ISO_WEEKDAYS for c in digits) or len(set(digits)) != len(digits):
            errors["weekdays"] = ValidationError(
                _("Write the weekdays as digits 1 (Monday) to 7 (Sunday), each once, such as 12345."),
                code="weekdays",
            )
        else:
            self.weekdays = "".join(sorted(digits))
        try:
            ranges = parse_ranges(self.time_ranges)
        except ValueError as exc:
            errors["time_ranges"] = ValidationError(str(exc), code="time_ranges")
        else:
            self.time_ranges = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in ranges)
            if self.slot_minutes and not any(
                _minutes(e) - _minutes(s) >= self.slot_minutes for s, e in ranges
            ):
                errors["slot_minutes"] = ValidationError(
                    _("No time range is long enough for one slot of %(n)d minutes."),
                    code="slot_minutes",
                    params={"n": self.slot_minutes},
                )
        item = self.item if self.item_id else None
        if item is not None and self.center_id and item.region_id != self.center.region_id:
            errors["item"] = ValidationError(
                _("%(item)s is handled in %(region)s; choose a service center there."),
                code="item_region",
                params={"item": item.code, "region": item.region.name},
            )
        if not errors and self.is_active and self.center_id and "weekdays" not in errors:
            clash = self._overlapping_rule()
            if clash is not None:
                errors["time_ranges"] = ValidationError(
                    _("These times overlap another active rule of the same center and item (%(rule)s)."),
                    code="rule_overlap",
                    params={"rule": clash.time_ranges},
                )
        if errors:
            raise ValidationError(errors)

    def _overlapping_rule(self) -> SlotRule | None:
        """Another active rule of the same center and item open on a common day with an
        overlapping time range: their slots would be the same places twice."""
        others = SlotRule.objects.filter(
            item_q(self.item_id), center_id=self.center_id, is_active=True
        ).exclude(pk=self.pk)
        mine = self.ranges()
        for other in others:
            common_day = bool(self.iso_weekdays() & other.iso_weekdays()) or (
                self.on_makeup_days and other.on_makeup_days
            )
            if not common_day:
                continue
            try:
                theirs = other.ranges()
            except ValueError:
                continue
            if any(s1 < e2 and s2 < e1 for s1, e1 in mine for s2, e2 in theirs):
                return other
        return None


class Slot(models.Model):
    """A bookable period at a center on one working day, made from a rule by
    ``services.sync_slots``. ``item`` empty: shared by the items of the center's general
    rule. A slot no rule produces any more is deleted when nobody booked it, otherwise
    closed (``is_open`` false) so that its bookings are still honoured."""

    center = models.ForeignKey(
        "org.ServiceCenter", verbose_name=_("service center"), on_delete=models.CASCADE, related_name="slots"
    )
    item = models.ForeignKey(
        "catalog.Item",
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="slots",
    )
    rule = models.ForeignKey(
        SlotRule,
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="slots",
    )
    date = models.DateField(_("date"))
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    is_open = models.BooleanField(_("open for booking"), default=True)

    scope_region_field = "center__region"
    scope_department_field = None

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        ordering = ["center", "date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__gte=0) & Q(booked__lte=F("capacity")), name="hall_slot_within_capacity"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="hall_slot_ends_after_start"),
            models.UniqueConstraint(
                fields=["center", "date", "start"],
                condition=Q(item__isnull=True),
                name="hall_slot_unique_general",
            ),
            models.UniqueConstraint(
                fields=["center", "item", "date", "start"],
                condition=Q(item__isnull=False),
                name="hall_slot_unique_item",
            ),
        ]
        indexes = [models.Index(fields=["center", "date"], name="hall_slot_center_date")]

    def __str__(self) -> str:
        return f"{self.center} {self.date:%Y-%m-%d} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start, tzinfo=LOCAL)

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.end, tzinfo=LOCAL)


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("appointment status", "awaiting confirmation")
    CONFIRMED = "confirmed", pgettext_lazy("appointment status", "confirmed")
    CANCELLED = "cancelled", pgettext_lazy("appointment status", "cancelled")
    ATTENDED = "attended", pgettext_lazy("appointment status", "attended")
    NO_SHOW = "no_show", pgettext_lazy("appointment status", "did not come")


ACTIVE_STATUSES: tuple[str, ...] = (AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)


class Appointment(models.Model):
    """One citizen's booking of one slot for one item.

    ``center`` and ``date`` repeat the slot's: the partial unique index on (account, item,
    date) and the staff's scope filters need them on this row."""

    code = models.CharField(_("appointment code"), max_length=12, unique=True)
    slot = models.ForeignKey(
        Slot, verbose_name=_("slot"), on_delete=models.PROTECT, related_name="appointments"
    )
    center = models.ForeignKey(
        "org.ServiceCenter", verbose_name=_("service center"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    item = models.ForeignKey(
        "catalog.Item", verbose_name=_("item"), on_delete=models.PROTECT, related_name="appointments"
    )
    account = models.ForeignKey(
        "portal.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="appointments"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.REQUESTED
    )
    note = models.CharField(_("note to the department"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("checked in or marked absent at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in or marked absent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    scope_region_field = "center__region"
    scope_department_field = "item__department"

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "item", "date"],
                condition=Q(status__in=["requested", "confirmed"]),
                name="hall_one_active_per_item_and_day",
                violation_error_message=_("You already have an appointment for this service on that day."),
            ),
        ]
        indexes = [
            models.Index(fields=["center", "date", "status"], name="hall_appt_center_day"),
            models.Index(fields=["account", "date"], name="hall_appt_account_day"),
            models.Index(
                fields=["date"],
                condition=Q(status="confirmed", reminder_sent_at__isnull=True),
                name="hall_appt_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
