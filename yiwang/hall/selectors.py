"""Reads for appointments: which centers serve an item, which days and slots are open,
a citizen's appointments and the staff's lists. Every list carries its joins, so a page
costs a fixed number of queries however many rows it shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from yiwang.catalog.models import Item, ItemVersion
from yiwang.core import calendar
from yiwang.hall.models import LOCAL, Appointment, AppointmentStatus, Slot, SlotRule, item_q
from yiwang.org.models import Department, Role, ServiceCenter, Window
from yiwang.org.permissions import can_act, scope_of, visible

User = AbstractBaseUser | AnonymousUser

# Who handles appointments: the center's window operators (a region grant) and the staff
# of the implementing department (a department grant) in these roles.
ACTING_ROLES: tuple[Role, ...] = (Role.WINDOW_OPERATOR, Role.HANDLER, Role.REVIEWER, Role.APPROVER)


def local_now(at: dt.datetime | None = None) -> dt.datetime:
    return timezone.localtime(at or timezone.now(), LOCAL)


# --------------------------------------------------------------------------- calendar


def last_bookable_day(today: dt.date) -> dt.date:
    """The last day a citizen may book on ``today``: ``HALL_BOOKING_WORKDAYS_AHEAD``
    working days ahead (today's own slots count too, while they have not started)."""
    return calendar.add_workdays(today, settings.HALL_BOOKING_WORKDAYS_AHEAD)


def calendar_known(day: dt.date) -> bool:
    """Is the holiday schedule of ``day``'s year known (the package or a complete override
    year)? An unknown year would fall back to Monday to Friday and might open slots on a
    holiday not yet published, so it is not bookable."""
    return calendar.coverage(day.year).covered


def unknown_years(start: dt.date, end: dt.date) -> list[int]:
    return calendar.uncovered_years(range(start.year, end.year + 1))


def bookable_day(day: dt.date) -> bool:
    return calendar_known(day) and calendar.is_workday(day)


# --------------------------------------------------------------------------- items and centers


def version_in_force(item: Item, on: dt.date) -> ItemVersion | None:
    return ItemVersion.objects.in_force(on).filter(item_id=item.pk).first()


def bookable_version(code: str, on: dt.date) -> ItemVersion | None:
    """The version in force of item ``code``, with its item, department and region."""
    return (
        ItemVersion.objects.in_force(on)
        .filter(item__code=code)
        .select_related("item", "item__department", "item__region")
        .first()
    )


def _department_and_ancestors(department: Department) -> list[int]:
    return [department.pk, *department.ancestor_ids()]


@dataclass(frozen=True)
class CenterChoice:
    """A center that takes appointments for an item, and which of its slots serve it:
    the item's own (``item_id``) or the center's general slots (None)."""

    center: ServiceCenter
    item_id: int | None


def centers_for(item: Item) -> list[CenterChoice]:
    """The service centers in the item's region that take appointments for it: those with
    an active rule for the item itself, and those with an active general rule and an
    active window serving the item's department (or a department above it)."""
    departments = _department_and_ancestors(item.department)
    own_rule = SlotRule.objects.filter(center=OuterRef("pk"), item_id=item.pk, is_active=True)
    general_rule = SlotRule.objects.filter(center=OuterRef("pk"), item__isnull=True, is_active=True)
    window = Window.objects.filter(center=OuterRef("pk"), is_active=True, departments__in=departments)
    rows = (
        ServiceCenter.objects.filter(region_id=item.region_id)
        .annotate(own=Exists(own_rule), general=Exists(general_rule), window=Exists(window))
        .filter(Q(own=True) | (Q(general=True) & Q(window=True)))
        .select_related("region")
        .order_by("name", "pk")
    )
    return [CenterChoice(center, item.pk if center.own else None) for center in rows]


def slot_item_for(center: ServiceCenter, item: Item) -> tuple[bool, int | None]:
    """(does the center serve the item?, the ``Slot.item_id`` of its slots for it)."""
    if center.region_id != item.region_id:
        return False, None
    for choice in centers_for(item):
        if choice.center.pk == center.pk:
            return True, choice.item_id
    return False, None


# --------------------------------------------------------------------------- days and slots


def _open_slots(center: ServiceCenter, item_id: int | None, now: dt.datetime) -> QuerySet[Slot]:
    local = local_now(now)
    today = local.date()
    return Slot.objects.filter(
        item_q(item_id),
        center=center,
        is_open=True,
        booked__lt=F("capacity"),
        date__gte=today,
        date__lte=last_bookable_day(today),
    ).exclude(date=today, start__lte=local.time())


@dataclass(frozen=True)
class DayChoice:
    date: dt.date
    remaining: int
    is_makeup: bool  # a worked Saturday or Sunday (调休)


def bookable_days(center: ServiceCenter, item_id: int | None, now: dt.datetime) -> list[DayChoice]:
    """Days with at least one open slot with places left, and how many places: one query."""
    rows = (
        _open_slots(center, item_id, now)
        .values("date")
        .annotate(places=Sum(F("capacity") - F("booked")))
        .order_by("date")
    )
    return [
        DayChoice(row["date"], row["places"], row["date"].weekday() >= 5)
        for row in rows
        if bookable_day(row["date"])
    ]


def slots_of_day(center: ServiceCenter, item_id: int | None, day: dt.date, now: dt.datetime) -> list[Slot]:
    """The open slots of ``day`` with places left, earliest first."""
    if not bookable_day(day):
        return []
    return list(_open_slots(center, item_id, now).filter(date=day).order_by("start"))


# --------------------------------------------------------------------------- appointments


_DETAIL_RELATED = ("slot", "center", "center__region", "item", "item__department", "account", "account__user")


def item_names(item_ids: Iterable[int], on: dt.date) -> dict[int, str]:
    """The names items go by on ``on`` (their version in force, else their latest published
    version, else the catalog entry's name), in two queries whatever their number."""
    ids = set(item_ids)
    if not ids:
        return {}
    names: dict[int, str] = {}
    settled: set[int] = set()
    versions = (
        ItemVersion.objects.filter(item_id__in=ids)
        .exclude(status="draft")
        .order_by("item_id", "version")
        .values_list("item_id", "name", "status", "effective_from", "effective_to")
    )
    for item_id, name, status, start, end in versions:
        if item_id in settled:
            continue
        names[item_id] = name  # the latest published version, unless one is in force
        if status == "published" and start is not None and start <= on and (end is None or end > on):
            settled.add(item_id)
    missing = ids - set(names)
    for item_id, name in Item.objects.filter(pk__in=missing).values_list("pk", "entry__name"):
        names[item_id] = name
    return names


def appointments_of(account_id: int) -> QuerySet[Appointment]:
    """An account's appointments: coming ones first (soonest first), then past ones."""
    return (
        Appointment.objects.filter(account_id=account_id)
        .select_related(*_DETAIL_RELATED)
        .order_by("-date", "-slot__start", "-pk")
    )


def appointment_of_account(code: str, account_id: int) -> Appointment | None:
    return appointments_of(account_id).filter(code=code).first()


def staff_appointments(user: User) -> QuerySet[Appointment]:
    """The appointments a staff member may handle: at centers in their region grants and
    for items of their departments, through the acting roles."""
    return visible(user, Appointment.objects.select_related(*_DETAIL_RELATED), roles=ACTING_ROLES)


WHEN_TODAY = "today"
WHEN_UPCOMING = "upcoming"
WHEN_PAST = "past"
WHEN_ALL = "all"


def filter_staff_list(
    queryset: QuerySet[Appointment],
    *,
    today: dt.date,
    when: str = WHEN_TODAY,
    status: str = "",
    center_id: int | None = None,
    code: str = "",
) -> QuerySet[Appointment]:
    if code:
        # A code read out at the window finds the appointment whatever its day.
        return queryset.filter(code=code.strip().upper())
    if when == WHEN_TODAY:
        queryset = queryset.filter(date=today)
    elif when == WHEN_UPCOMING:
        queryset = queryset.filter(date__gt=today)
    elif when == WHEN_PAST:
        queryset = queryset.filter(date__lt=today)
    if status in AppointmentStatus.values:
        queryset = queryset.filter(status=status)
    if center_id is not None:
        queryset = queryset.filter(center_id=center_id)
    order = ("-date", "-slot__start", "pk") if when == WHEN_PAST else ("date", "slot__start", "pk")
    return queryset.order_by(*order)


def staff_centers(user: User) -> list[ServiceCenter]:
    """The centers a staff member's region grants reach (for the list's filter)."""
    scope = scope_of(user)
    queryset = ServiceCenter.objects.select_related("region").order_by("region__path", "name")
    if scope.is_superuser:
        return list(queryset)
    paths = {g.region_path for g in scope.grants_for(ACTING_ROLES) if g.region_path is not None}
    if not paths:
        # Department-only staff: the centers where their appointments are.
        return list(queryset.filter(pk__in=staff_appointments(user).values("center_id")))
    q = Q()
    for path in paths:
        q |= Q(region__path__startswith=path)
    return list(queryset.filter(q))


def may_handle(user: User | None, appointment: Appointment) -> bool:
    """May ``user`` confirm, cancel, check in or mark absent this appointment?"""
    if user is None or not user.is_authenticated:
        return False
    if scope_of(user).is_superuser:
        return True
    return any(can_act(user, appointment, role) for role in ACTING_ROLES)


def handles_appointments(user: User | None) -> bool:
    return user is not None and scope_of(user).has_role(*ACTING_ROLES)


def reminders_due(today: dt.date) -> QuerySet[Appointment]:
    """Confirmed appointments whose reminder is due on ``today``: those on the next working
    day (today is the working day before them, or a day off after it)."""
    return Appointment.objects.filter(
        status=AppointmentStatus.CONFIRMED,
        reminder_sent_at__isnull=True,
        date__gt=today,
        date__lte=calendar.next_workday(today),
    )
