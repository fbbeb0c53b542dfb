"""Slot rules and the slots they open: working days only, as the calendar says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from yiwang.core.models import CalendarDay
from yiwang.hall import selectors, services
from yiwang.hall.models import Appointment, Slot, SlotRule, parse_ranges
from yiwang.hall.tests.conftest import NOW, at, slot_at

pytestmark = pytest.mark.django_db


def _days(center) -> list[str]:
    return sorted(
        {f"{d:%Y-%m-%d}" for d in Slot.objects.filter(center=center).values_list("date", flat=True)}
    )


def test_parse_ranges() -> None:
    assert parse_ranges("09:00-11:30, 14:00-17:00") == [
        (dt.time(9), dt.time(11, 30)),
        (dt.time(14), dt.time(17)),
    ]
    assert parse_ranges("14:00–17:00；9:00-11:30") == [
        (dt.time(9), dt.time(11, 30)),
        (dt.time(14), dt.time(17)),
    ]
    for bad in ("", "9-11", "11:00-09:00", "09:00-12:00, 11:00-13:00", "25:00-26:00", "09:70-10:00"):
        with pytest.raises(ValueError):
            parse_ranges(bad)


def test_rule_validation(hall_center, other_center, bookable_item) -> None:
    with pytest.raises(ValidationError) as exc:
        SlotRule(center=hall_center, weekdays="1289", time_ranges="9:00-09:10", slot_minutes=30).full_clean()
    assert set(exc.value.message_dict) == {"weekdays", "slot_minutes"}
    # An item is served only in its own region.
    with pytest.raises(ValidationError) as exc:
        SlotRule(center=other_center, item=bookable_item.item).full_clean()
    assert "item" in exc.value.message_dict


def test_overlapping_rules_refused(general_rule) -> None:
    friday = SlotRule(
        center=general_rule.center, weekdays="5", on_makeup_days=False, time_ranges="16:30-18:00"
    )
    with pytest.raises(ValidationError) as exc:
        friday.full_clean()
    assert exc.value.message_dict["time_ranges"]
    SlotRule(
        center=general_rule.center, weekdays="5", on_makeup_days=False, time_ranges="17:00-18:00"
    ).full_clean()


def test_slot_times(general_rule) -> None:
    times = general_rule.slot_times()
    assert len(times) == 5 + 6
    assert times[0] == (dt.time(9), dt.time(9, 30))
    assert times[4] == (dt.time(11), dt.time(11, 30))
    assert times[-1] == (dt.time(16, 30), dt.time(17))


def test_slots_only_on_working_days_spring_festival(general_rule) -> None:
    report = services.open_bookable_slots(center=general_rule.center, at=NOW)
    days = _days(general_rule.center)
    # 2026-02-14 is a Saturday the calendar makes a working day; 15th–23rd are the holiday.
    assert days == [
        "2026-02-12",
        "2026-02-13",
        "2026-02-14",
        "2026-02-24",
        "2026-02-25",
        "2026-02-26",
        "2026-02-27",
        "2026-02-28",
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
    ]
    assert report.created == 11 * 11
    assert slot_at(general_rule.center, "2026-02-14").capacity == 3


def test_national_day_closed_and_make_up_saturday_open(general_rule) -> None:
    services.open_bookable_slots(center=general_rule.center, at=at("2026-09-28", "10:00"))
    days = _days(general_rule.center)
    assert "2026-10-01" not in days
    assert not any("2026-10-01" <= d <= "2026-10-07" for d in days)
    assert "2026-10-10" in days  # a make-up working Saturday
    assert "2026-10-11" not in days  # an ordinary Sunday
    services.open_bookable_slots(center=general_rule.center, at=at("2026-09-17", "10:00"))
    assert "2026-09-20" in _days(general_rule.center)  # a make-up working Sunday


def test_make_up_days_can_be_left_out(general_rule) -> None:
    general_rule.on_makeup_days = False
    general_rule.save()
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    assert "2026-02-14" not in _days(general_rule.center)


def test_unknown_year_is_not_bookable(general_rule) -> None:
    """2027's holidays are not published (the package stops at 2026): no slots there."""
    services.open_bookable_slots(center=general_rule.center, at=at("2026-12-24", "10:00"))
    days = _days(general_rule.center)
    assert days and days[-1] == "2026-12-31"
    assert selectors.unknown_years(dt.date(2026, 12, 24), dt.date(2027, 1, 7)) == [2027]


def test_sync_is_idempotent_and_follows_rule_changes(general_rule, bookable_item, citizen) -> None:
    center = general_rule.center
    services.open_bookable_slots(center=center, at=NOW)
    count = Slot.objects.count()
    assert services.open_bookable_slots(center=center, at=NOW) == services.SyncReport()
    assert Slot.objects.count() == count

    booked = slot_at(center, "2026-02-13", "14:00")
    services.book(account=citizen, item=bookable_item.item, slot=booked, at=NOW)

    # The afternoon is dropped and capacity lowered to 2.
    general_rule.time_ranges = "09:00-11:30"
    general_rule.capacity = 2
    general_rule.save()
    report = services.open_bookable_slots(center=center, at=NOW)
    assert report.closed == 1  # the booked afternoon slot stays, closed
    assert report.deleted == count - 11 * 5 - 1
    booked.refresh_from_db()
    assert not booked.is_open and booked.booked == 1
    assert Appointment.objects.get().slot == booked
    assert set(Slot.objects.filter(is_open=True).values_list("capacity", flat=True)) == {2}


def test_capacity_never_below_bookings(general_rule, bookable_item, citizen, wangwu) -> None:
    center = general_rule.center
    services.open_bookable_slots(center=center, at=NOW)
    slot = slot_at(center, "2026-02-13")
    services.book(account=citizen, item=bookable_item.item, slot=slot, at=NOW)
    services.book(account=wangwu, item=bookable_item.item, slot=slot, at=NOW)
    general_rule.capacity = 1
    general_rule.save()
    services.open_bookable_slots(center=center, at=NOW)
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (2, 2)


def test_calendar_override_closes_a_day(general_rule) -> None:
    center = general_rule.center
    services.open_bookable_slots(center=center, at=NOW)
    assert "2026-02-13" in _days(center)
    CalendarDay.objects.create(date=dt.date(2026, 2, 13), is_workday=False, name="临时调整")
    services.open_bookable_slots(center=center, at=NOW)
    assert "2026-02-13" not in _days(center)
