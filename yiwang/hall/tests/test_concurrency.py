"""Simultaneous requests on PostgreSQL, where they really run in parallel: a slot never
takes more people than its capacity, a citizen never gets two appointments for the same
item and day, and two reminder workers send each reminder once. (SQLite runs one writer
at a time, so there is nothing to race; the constraints behind these guarantees are
tested on both databases in test_services.py.)"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections

from yiwang.core.identifiers import build_resident_id
from yiwang.core.models import Notification
from yiwang.hall import services
from yiwang.hall.models import Appointment, AppointmentStatus, Slot
from yiwang.hall.services import HallError
from yiwang.hall.tests.conftest import NOW, at, slot_at
from yiwang.portal.factories import citizen_account

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers"
    ),
    pytest.mark.django_db(transaction=True),
]


def race(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run the calls in threads released at the same moment; their results and errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            result = call()
            with lock:
                results.append(result)
        except BaseException as exc:  # collected and checked by the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def test_simultaneous_bookings_never_exceed_capacity(general_rule, bookable_item) -> None:
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    slot = slot_at(general_rule.center, "2026-02-13")
    accounts = [
        citizen_account(
            username=f"racer{i}",
            name=f"市民{i}",
            id_number=build_resident_id("130402", dt.date(1990, 1, 1 + i), 11 + 2 * i),
            mobile=f"1380000{i:04d}",
        )
        for i in range(8)
    ]
    calls: list[Callable[[], Any]] = [
        partial(services.book, account=account, item=bookable_item.item, slot=slot, at=NOW)
        for account in accounts
    ]
    results, errors = race(calls)
    assert len(results) == 3
    assert len(errors) == 5
    assert all(isinstance(e, HallError) and e.error_code == "full" for e in errors), errors
    slot.refresh_from_db()
    assert slot.booked == 3
    assert Appointment.objects.filter(slot=slot, status=AppointmentStatus.REQUESTED).count() == 3
    # Only the successful ones were told.
    assert Notification.objects.filter(kind="appointment.requested").count() == 3


def test_simultaneous_requests_of_one_citizen_book_once(general_rule, bookable_item, citizen) -> None:
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    times = ["09:00", "09:30", "10:00", "14:00", "15:00", "16:00"]
    slots = [slot_at(general_rule.center, "2026-02-13", t) for t in times]
    calls: list[Callable[[], Any]] = [
        partial(services.book, account=citizen, item=bookable_item.item, slot=s, at=NOW) for s in slots
    ]
    results, errors = race(calls)
    assert len(results) == 1
    assert len(errors) == 5
    assert all(isinstance(e, HallError) and e.error_code == "double_booking" for e in errors), errors
    assert Appointment.objects.count() == 1
    # The losers' places were given back with their rolled-back transactions.
    assert sum(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked", flat=True)) == 1
    assert Notification.objects.count() == 1


def test_two_reminder_workers_send_each_reminder_once(general_rule, bookable_item, dept_staff) -> None:
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    for i in range(12):
        account = citizen_account(
            username=f"remind{i}",
            name=f"市民{i}",
            id_number=build_resident_id("130402", dt.date(1991, 2, 1 + i), 21 + 2 * i),
            mobile=f"1390000{i:04d}",
        )
        start = ["09:00", "09:30", "10:00", "10:30"][i % 4]
        appointment = services.book(
            account=account,
            item=bookable_item.item,
            slot=slot_at(general_rule.center, "2026-02-13", start),
            at=NOW,
        )
        services.confirm(appointment=appointment, staff_user=dept_staff, at=NOW)
    moment = at("2026-02-12", "18:00")
    results, errors = race([lambda: services.send_reminders(moment, batch=5) for _ in range(3)])
    assert errors == []
    assert sum(results) == 12
    assert Notification.objects.filter(kind="appointment.reminder").count() == 12
    assert not Appointment.objects.filter(reminder_sent_at__isnull=True).exists()
