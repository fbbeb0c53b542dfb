"""The demo's appointments: rules at the centers of the items that take appointments, and
``zhangsan``'s appointments in every state, made through the services; a second run adds
nothing."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from yiwang.demo.hall import seed_hall
from yiwang.demo.seed import seed_demo
from yiwang.hall import selectors
from yiwang.hall.models import Appointment, AppointmentStatus, SlotRule
from yiwang.hall.tests.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings: Any) -> None:
    """The demo as ``make run`` loads it (its seeding calls ``seed_hall``), on ``NOW``."""
    with time_machine.travel(NOW, tick=False):
        seed_demo(cases=0)


def test_seed_hall(demo) -> None:
    from yiwang.portal.models import Account

    citizen = Account.objects.get(user__username="zhangsan")
    rules = list(SlotRule.objects.select_related("center"))
    assert rules
    assert all(
        (r.time_ranges, r.slot_minutes, r.capacity) == ("09:00-11:30, 14:00-17:00", 30, 3) for r in rules
    )
    from yiwang.catalog.models import ItemVersion

    for version in ItemVersion.objects.in_force(NOW.date()).filter(appointment=True).select_related("item"):
        assert selectors.centers_for(version.item), version.item.code
    statuses = sorted(Appointment.objects.filter(account=citizen).values_list("status", flat=True))
    assert statuses == sorted(
        [AppointmentStatus.ATTENDED, AppointmentStatus.CONFIRMED, AppointmentStatus.REQUESTED]
    )
    assert seed_hall(NOW) == 0
