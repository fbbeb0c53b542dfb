"""Demo appointments (在线预约): the service centers that serve an item taking appointments
open 09:00–11:30 and 14:00–17:00 in half-hour slots of three places, and ``zhangsan``
(when the demo citizen exists) holds one confirmed appointment on the next working day,
one awaiting confirmation a few working days later, and one attended last week, all made
through the hall services, so the citizen's and the staff's pages show every state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.utils import timezone

from yiwang.catalog.models import Item, ItemVersion
from yiwang.core import calendar
from yiwang.hall import selectors, services
from yiwang.hall.models import Appointment, Slot, SlotRule, item_q
from yiwang.org.models import ServiceCenter, Staff
from yiwang.portal.models import Account

TIME_RANGES = "09:00-11:30, 14:00-17:00"
SLOT_MINUTES = 30
CAPACITY = 3
CITIZEN = "zhangsan"


def seed_hall(now: dt.datetime | None = None) -> int:
    """Create the demo slot rules and appointments that are missing; return how many rows
    (rules and appointments) were created. Safe to run again."""
    now = now or timezone.now()
    today = selectors.local_now(now).date()
    versions = list(
        ItemVersion.objects.in_force(today)
        .filter(appointment=True)
        .select_related("item", "item__department", "item__region")
        .order_by("item__code")
    )
    created = _seed_rules(versions)
    centers = ServiceCenter.objects.filter(slot_rules__is_active=True).distinct()
    for center in centers:
        services.open_bookable_slots(center=center, at=now)
    created += _seed_appointments(versions, now=now, today=today)
    return created


def _seed_rules(versions: list[ItemVersion]) -> int:
    """A general rule at the first center of each appointment item's region; a rule of the
    item's own where no window of its department serves it there."""
    created = 0
    for version in versions:
        item = version.item
        if selectors.centers_for(item):
            continue
        center = ServiceCenter.objects.filter(region_id=item.region_id).order_by("pk").first()
        if center is None:
            continue
        if not SlotRule.objects.filter(center=center, item__isnull=True).exists():
            _rule(center, None)
            created += 1
        if not selectors.centers_for(item):
            _rule(center, item)
            created += 1
    return created


def _rule(center: ServiceCenter, item: Item | None) -> SlotRule:
    rule = SlotRule(
        center=center, item=item, time_ranges=TIME_RANGES, slot_minutes=SLOT_MINUTES, capacity=CAPACITY
    )
    rule.full_clean()
    rule.save()
    return rule


def _handler(choice: selectors.CenterChoice, version: ItemVersion) -> Any:
    """A staff user who may handle appointments for the item at the center (a window
    operator or a member of the implementing department), or None."""
    probe = Appointment(center=choice.center, item=version.item)
    for staff in Staff.objects.filter(is_active=True).select_related("user").order_by("pk"):
        if selectors.may_handle(staff.user, probe):
            return staff.user
    return None


def _first_slot(choice: selectors.CenterChoice, day: dt.date) -> Slot | None:
    return (
        Slot.objects.filter(
            item_q(choice.item_id), center=choice.center, date=day, is_open=True, booked__lt=F("capacity")
        )
        .order_by("start")
        .first()
    )


def _seed_appointments(versions: list[ItemVersion], *, now: dt.datetime, today: dt.date) -> int:
    account = Account.objects.filter(user__username=CITIZEN).select_related("user").first()
    if account is None or Appointment.objects.filter(account=account).exists():
        return 0
    plans = []
    for version in versions:
        choices = selectors.centers_for(version.item)
        if choices:
            plans.append((version, choices[0], _handler(choices[0], version)))
    staffed = [plan for plan in plans if plan[2] is not None]
    if not staffed:
        return 0
    created = 0
    # Last week's visit, attended; booked the working day before it.
    version, choice, staff = staffed[0]
    past_day = calendar.add_workdays(today, -5)
    if selectors.calendar_known(past_day):
        booked_at = timezone.make_aware(
            dt.datetime.combine(calendar.add_workdays(past_day, -1), dt.time(16, 0))
        )
        services.sync_slots(center=choice.center, start=past_day, end=past_day)
        slot = _first_slot(choice, past_day)
        if slot is not None:
            done = services.book(account=account, item=version.item, slot=slot, at=booked_at)
            services.confirm(appointment=done, staff_user=staff, at=booked_at + dt.timedelta(minutes=40))
            services.check_in(appointment=done, staff_user=staff, at=slot.starts_at + dt.timedelta(minutes=5))
            created += 1
    # The next working day, confirmed (the reminder task reminds of it); and one a few
    # working days later awaiting confirmation, for another service where there is one.
    coming = [
        (calendar.next_workday(today), staffed[-1]),
        (calendar.add_workdays(today, 3), next((p for p in plans if p[0] is not staffed[-1][0]), plans[0])),
    ]
    for day, (version, choice, staff) in coming:
        slot = _first_slot(choice, day)
        if slot is None or slot.starts_at <= selectors.local_now(now) or not selectors.bookable_day(day):
            continue
        appointment = services.book(account=account, item=version.item, slot=slot, note="演示预约", at=now)
        created += 1
        if day == coming[0][0] and staff is not None:
            services.confirm(appointment=appointment, staff_user=staff, at=now)
    return created
