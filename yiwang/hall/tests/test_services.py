"""Booking, confirming, cancelling, checking in and reminding: who may, when, and that a
refusal says why and changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.db import IntegrityError, transaction
from django.test.utils import override_settings
from django.utils import translation

from yiwang.core.models import Notification, OutboundMessage
from yiwang.hall import services
from yiwang.hall.models import Appointment, AppointmentStatus, Slot, SlotRule
from yiwang.hall.services import HallError
from yiwang.hall.tests.conftest import NOW, at, slot_at
from yiwang.org.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def slots(general_rule) -> Any:
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    return general_rule.center


def snapshot() -> tuple[Any, ...]:
    return (
        sorted(Appointment.objects.values_list("pk", "status", "slot_id", "cancelled_at", "confirmed_at")),
        sorted(Slot.objects.values_list("pk", "booked", "capacity", "is_open")),
        Notification.objects.count(),
        OutboundMessage.objects.count(),
    )


def refused(code: str, call: Any, **kwargs: Any) -> HallError:
    before = snapshot()
    with translation.override("en"), pytest.raises(HallError) as exc:
        call(**kwargs)
    assert exc.value.error_code == code, exc.value.text
    assert snapshot() == before
    return exc.value


def book(account: Any, item_version: Any, slot: Slot, when: dt.datetime = NOW) -> Appointment:
    return services.book(account=account, item=item_version.item, slot=slot, at=when)


# --------------------------------------------------------------------------- booking


def test_book_takes_a_place_and_tells_the_citizen(slots, bookable_item, citizen) -> None:
    slot = slot_at(slots, "2026-02-14", "09:30")  # the make-up Saturday
    appointment = book(citizen, bookable_item, slot)
    slot.refresh_from_db()
    assert slot.booked == 1
    assert appointment.status == AppointmentStatus.REQUESTED
    assert appointment.date == dt.date(2026, 2, 14) and appointment.center == slots
    assert len(appointment.code) == 8
    note = Notification.objects.get(recipient=citizen.user)
    assert note.kind == "appointment.requested"
    assert note.link == f"/book/appointments/{appointment.code}/"
    assert OutboundMessage.objects.filter(channel="sms", address="13800138000").count() == 1


def test_unverified_account_may_book(slots, bookable_item, unverified_citizen) -> None:
    appointment = book(unverified_citizen, bookable_item, slot_at(slots, "2026-02-13"))
    assert appointment.account == unverified_citizen


def test_no_account_refused(slots, bookable_item) -> None:
    refused(
        "no_account", services.book, account=None, item=bookable_item.item, slot=slot_at(slots, "2026-02-13")
    )


def test_capacity_respected(slots, bookable_item, citizen, wangwu, unverified_citizen, enterprise) -> None:
    slot = slot_at(slots, "2026-02-13")
    for account in (citizen, wangwu, unverified_citizen):
        book(account, bookable_item, slot)
    error = refused("full", services.book, account=enterprise, item=bookable_item.item, slot=slot, at=NOW)
    assert error.field == "slot"
    assert "fully booked" in error.text
    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 3


def test_double_booking_refused_with_a_clear_message(slots, bookable_item, citizen) -> None:
    book(citizen, bookable_item, slot_at(slots, "2026-02-13", "09:00"))
    error = refused(
        "double_booking",
        services.book,
        account=citizen,
        item=bookable_item.item,
        slot=slot_at(slots, "2026-02-13", "14:00"),
        at=NOW,
    )
    assert error.text == (
        "You already have an appointment for this service on 2026-02-13; cancel it first if you want another time."
    )
    # Another day is fine.
    book(citizen, bookable_item, slot_at(slots, "2026-02-24", "14:00"))


def test_the_constraint_refuses_a_second_active_appointment(slots, bookable_item, citizen) -> None:
    """The partial unique index itself, below the service's check (both databases)."""
    first = book(citizen, bookable_item, slot_at(slots, "2026-02-13", "09:00"))
    other = slot_at(slots, "2026-02-13", "14:00")
    fields = {
        "slot": other,
        "center": slots,
        "date": other.date,
        "item": bookable_item.item,
        "account": citizen,
        "requested_at": NOW,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(code="TESTCODE", status=AppointmentStatus.CONFIRMED, **fields)
    # Cancelled and closed appointments do not count.
    Appointment.objects.create(code="CANCELD1", status=AppointmentStatus.CANCELLED, **fields)
    Appointment.objects.filter(pk=first.pk).update(status=AppointmentStatus.ATTENDED)
    Appointment.objects.create(code="ACTIVE02", **fields)


def test_the_database_refuses_overbooking(slots) -> None:
    slot = slot_at(slots, "2026-02-13")
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=4)


def test_past_slot_refused(slots, bookable_item, citizen) -> None:
    refused(
        "slot_past",
        services.book,
        account=citizen,
        item=bookable_item.item,
        slot=slot_at(slots, "2026-02-12", "09:30"),  # earlier today
        at=NOW,
    )
    # A later slot of today is fine.
    book(citizen, bookable_item, slot_at(slots, "2026-02-12", "10:30"))


def test_too_far_ahead_refused(slots, bookable_item, citizen) -> None:
    services.sync_slots(center=slots, start=dt.date(2026, 3, 5), end=dt.date(2026, 3, 5))
    error = refused(
        "too_far_ahead",
        services.book,
        account=citizen,
        item=bookable_item.item,
        slot=slot_at(slots, "2026-03-05"),
        at=NOW,
    )
    assert "2026-03-04" in error.text


def test_holiday_slot_refused(slots, bookable_item, citizen) -> None:
    """A slot left on a day that stopped being a working day (made by hand here)."""
    holiday = Slot.objects.create(
        center=slots, date=dt.date(2026, 2, 17), start=dt.time(9), end=dt.time(9, 30), capacity=3
    )
    refused("not_workday", services.book, account=citizen, item=bookable_item.item, slot=holiday, at=NOW)


def test_unknown_year_refused(slots, bookable_item, citizen) -> None:
    january = Slot.objects.create(
        center=slots, date=dt.date(2027, 1, 4), start=dt.time(9), end=dt.time(9, 30), capacity=3
    )
    error = refused(
        "calendar_unknown",
        services.book,
        account=citizen,
        item=bookable_item.item,
        slot=january,
        at=at("2026-12-24"),
    )
    assert "2027" in error.text


def test_closed_slot_refused(slots, bookable_item, citizen) -> None:
    slot = slot_at(slots, "2026-02-13")
    Slot.objects.filter(pk=slot.pk).update(is_open=False)
    refused("slot_closed", services.book, account=citizen, item=bookable_item.item, slot=slot, at=NOW)


def test_another_regions_center_refused(slots, other_center, bookable_item, citizen) -> None:
    services.open_bookable_slots(center=other_center, at=NOW)
    refused(
        "wrong_center",
        services.book,
        account=citizen,
        item=bookable_item.item,
        slot=slot_at(other_center, "2026-02-13"),
        at=NOW,
    )


def test_item_without_appointments_refused(slots, plain_item, citizen) -> None:
    error = refused(
        "no_appointments",
        services.book,
        account=citizen,
        item=plain_item.item,
        slot=slot_at(slots, "2026-02-13"),
        at=NOW,
    )
    assert error.field == "item"


def test_item_rules_and_windows_decide_which_slots_serve_an_item(
    slots, bookable_item, citizen, county
) -> None:
    from yiwang.catalog.factories import published_item
    from yiwang.org.factories import DepartmentFactory

    health = cast(Department, DepartmentFactory(name="邯山区卫生健康局", region=county))
    vaccine = published_item(
        code="HS-WJ-001",
        name="预防接种证补办",
        department=health,
        region=county,
        fields={"appointment": True},
    )
    # No window of the health bureau at the center: its general slots do not serve the item.
    refused(
        "wrong_center",
        services.book,
        account=citizen,
        item=vaccine.item,
        slot=slot_at(slots, "2026-02-13"),
        at=NOW,
    )
    # A rule of the item's own opens slots for it alone, and the general ones stay closed to it.
    rule = SlotRule(
        center=slots, item=vaccine.item, weekdays="24", time_ranges="14:00-16:00", slot_minutes=60, capacity=5
    )
    rule.full_clean()
    rule.save()
    services.open_bookable_slots(center=slots, at=NOW)
    own = Slot.objects.get(center=slots, item=vaccine.item, date="2026-02-24", start="14:00")
    assert own.capacity == 5
    assert not Slot.objects.filter(item=vaccine.item, date="2026-02-25").exists()  # a Wednesday
    assert Slot.objects.filter(item=vaccine.item, date="2026-02-14").exists()  # the make-up Saturday
    refused(
        "wrong_center",
        services.book,
        account=citizen,
        item=vaccine.item,
        slot=slot_at(slots, "2026-02-24"),
        at=NOW,
    )
    book(citizen, vaccine, own)
    # …and the food licence cannot take the vaccine's slots.
    refused("wrong_center", services.book, account=citizen, item=bookable_item.item, slot=own, at=NOW)


# --------------------------------------------------------------------------- staff actions


@pytest.fixture
def requested(slots, bookable_item, citizen) -> Appointment:
    return book(citizen, bookable_item, slot_at(slots, "2026-02-13", "09:00"))


def test_confirm_by_department_staff(requested, dept_staff) -> None:
    services.confirm(appointment=requested, staff_user=dept_staff, at=NOW)
    requested.refresh_from_db()
    assert requested.status == AppointmentStatus.CONFIRMED
    assert requested.confirmed_by == dept_staff and requested.confirmed_at == NOW
    assert (
        Notification.objects.filter(kind="appointment.confirmed", recipient=requested.account.user).count()
        == 1
    )


def test_confirm_by_the_centers_window_operator(requested, window_op) -> None:
    services.confirm(appointment=requested, staff_user=window_op, at=NOW)
    assert Appointment.objects.get().status == AppointmentStatus.CONFIRMED


@pytest.mark.parametrize("who", ["other_dept_staff", "other_window_op", "supervisor_only", "wangwu"])
def test_confirm_by_others_refused(requested, who, request) -> None:
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    refused("forbidden", services.confirm, appointment=requested, staff_user=user, at=NOW)


def test_confirm_twice_refused(requested, dept_staff) -> None:
    services.confirm(appointment=requested, staff_user=dept_staff, at=NOW)
    error = refused(
        "illegal_in_state", services.confirm, appointment=requested, staff_user=dept_staff, at=NOW
    )
    assert "confirmed" in error.text


def test_confirm_after_the_time_refused(requested, dept_staff) -> None:
    refused(
        "slot_past",
        services.confirm,
        appointment=requested,
        staff_user=dept_staff,
        at=at("2026-02-13", "09:30"),
    )


def test_citizen_cancels_and_the_place_is_free(
    requested, citizen, wangwu, unverified_citizen, enterprise, bookable_item
) -> None:
    slot = requested.slot
    book(wangwu, bookable_item, slot)
    book(unverified_citizen, bookable_item, slot)
    refused("full", services.book, account=enterprise, item=bookable_item.item, slot=slot, at=NOW)
    services.cancel(appointment=requested, by_user=citizen.user, at=NOW)
    requested.refresh_from_db()
    assert requested.status == AppointmentStatus.CANCELLED and requested.cancelled_by == citizen.user
    slot.refresh_from_db()
    assert slot.booked == 2
    book(enterprise, bookable_item, slot)
    # The citizen may book again that day once the first is cancelled.
    book(citizen, bookable_item, slot_at(slot.center, "2026-02-13", "15:00"))


def test_citizen_cannot_cancel_after_the_start(requested, citizen) -> None:
    refused(
        "slot_past",
        services.cancel,
        appointment=requested,
        by_user=citizen.user,
        at=at("2026-02-13", "09:05"),
    )


def test_another_citizen_cannot_cancel(requested, wangwu) -> None:
    refused("forbidden", services.cancel, appointment=requested, by_user=wangwu.user, reason="x", at=NOW)


def test_staff_cancel_needs_a_reason_and_tells_it(requested, window_op) -> None:
    error = refused(
        "reason_required", services.cancel, appointment=requested, by_user=window_op, reason="  ", at=NOW
    )
    assert error.field == "reason"
    services.cancel(appointment=requested, by_user=window_op, reason="窗口设备检修", at=NOW)
    requested.refresh_from_db()
    assert requested.cancel_reason == "窗口设备检修"
    assert requested.slot.booked == 0
    body = Notification.objects.get(kind="appointment.cancelled").body
    assert "窗口设备检修" in body
    refused(
        "illegal_in_state", services.cancel, appointment=requested, by_user=window_op, reason="again", at=NOW
    )


def test_check_in_on_the_day_only(requested, window_op) -> None:
    services.confirm(appointment=requested, staff_user=window_op, at=NOW)
    refused("not_on_the_day", services.check_in, appointment=requested, staff_user=window_op, at=NOW)
    services.check_in(appointment=requested, staff_user=window_op, at=at("2026-02-13", "08:55"))
    requested.refresh_from_db()
    assert requested.status == AppointmentStatus.ATTENDED and requested.closed_by == window_op
    # Checking in keeps the place taken.
    assert requested.slot.booked == 1


def test_check_in_of_an_unconfirmed_request_confirms_it(requested, dept_staff) -> None:
    services.check_in(appointment=requested, staff_user=dept_staff, at=at("2026-02-13", "09:10"))
    requested.refresh_from_db()
    assert requested.status == AppointmentStatus.ATTENDED and requested.confirmed_by == dept_staff


def test_no_show_from_the_start_on(requested, window_op, other_window_op) -> None:
    refused(
        "too_early",
        services.mark_no_show,
        appointment=requested,
        staff_user=window_op,
        at=at("2026-02-13", "08:59"),
    )
    refused(
        "forbidden",
        services.mark_no_show,
        appointment=requested,
        staff_user=other_window_op,
        at=at("2026-02-13", "10:00"),
    )
    services.mark_no_show(appointment=requested, staff_user=window_op, at=at("2026-02-13", "10:00"))
    assert Appointment.objects.get().status == AppointmentStatus.NO_SHOW
    refused(
        "illegal_in_state",
        services.check_in,
        appointment=requested,
        staff_user=window_op,
        at=at("2026-02-13", "10:05"),
    )


# --------------------------------------------------------------------------- reminders


def _confirmed(slots, bookable_item, account, day: str, dept_staff) -> Appointment:
    appointment = book(account, bookable_item, slot_at(slots, day, "14:00"))
    return services.confirm(appointment=appointment, staff_user=dept_staff, at=NOW)


def test_reminders_once_on_the_working_day_before(slots, bookable_item, citizen, wangwu, dept_staff) -> None:
    friday = _confirmed(slots, bookable_item, citizen, "2026-02-13", dept_staff)
    after_holiday = _confirmed(slots, bookable_item, wangwu, "2026-02-24", dept_staff)
    requested_only = book(citizen, bookable_item, slot_at(slots, "2026-02-24", "09:00"))

    assert services.send_reminders(at("2026-02-12", "07:30")) == 0  # too early in the morning
    assert services.send_reminders(at("2026-02-12", "18:00")) == 1
    assert services.send_reminders(at("2026-02-12", "18:05")) == 0  # once
    friday.refresh_from_db()
    assert friday.reminder_sent_at == at("2026-02-12", "18:00")
    # The 24th follows the Spring Festival: its working day before is Saturday the 14th.
    assert services.send_reminders(at("2026-02-13", "18:00")) == 0
    assert services.send_reminders(at("2026-02-14", "18:00")) == 1
    after_holiday.refresh_from_db()
    assert after_holiday.reminder_sent_at is not None
    requested_only.refresh_from_db()
    assert requested_only.reminder_sent_at is None  # not confirmed: no reminder
    assert Notification.objects.filter(kind="appointment.reminder").count() == 2
    reminders_sms = OutboundMessage.objects.filter(channel="sms", address="13600136000")
    assert reminders_sms.count() == 3  # requested, confirmed, reminder


def test_reminder_not_sent_for_cancelled(slots, bookable_item, citizen, dept_staff) -> None:
    friday = _confirmed(slots, bookable_item, citizen, "2026-02-13", dept_staff)
    services.cancel(appointment=friday, by_user=citizen.user, at=NOW)
    assert services.send_reminders(at("2026-02-12", "18:00")) == 0


def test_reminder_task_calls_the_service(slots, bookable_item, citizen, dept_staff) -> None:
    import time_machine

    from yiwang.hall.tasks import send_reminders

    _confirmed(slots, bookable_item, citizen, "2026-02-13", dept_staff)
    with time_machine.travel(at("2026-02-12", "18:00"), tick=False):
        assert send_reminders.delay().get() == 1
        assert send_reminders.delay().get() == 0


@override_settings(HALL_BOOKING_WORKDAYS_AHEAD=2)
def test_booking_window_setting(slots, bookable_item, citizen) -> None:
    refused(
        "too_far_ahead",
        services.book,
        account=citizen,
        item=bookable_item.item,
        slot=slot_at(slots, "2026-02-24"),
        at=NOW,
    )
    book(citizen, bookable_item, slot_at(slots, "2026-02-14"))
