"""Booking on a phone and confirming on the workbench, in headless Chromium; screenshots
at phone and desktop width go to the temporary folder's ``shots/``."""

from __future__ import annotations

import os
from typing import Any

import pytest
import time_machine
from django.test import Client

from yiwang.browser_fixtures import screenshot
from yiwang.hall.models import Appointment, AppointmentStatus
from yiwang.hall.tests.conftest import NOW

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself
# are safe (one thread, no loop work in between).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _page(browser: Any, live_server: Any, user: Any, viewport: dict[str, int], *, phone: bool = False) -> Any:
    """A browser signed in as ``user`` with a session made by the test client (whatever
    sign-in page the portal has), in English."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, is_mobile=phone)
    context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url},
            {"name": "django_language", "value": "en", "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.django_db(transaction=True)
def test_book_on_a_phone_and_confirm_at_the_window(
    browser, live_server, ledger_flushable, general_rule, bookable_item, citizen, window_op
) -> None:
    with time_machine.travel(NOW, tick=True):
        page = _page(browser, live_server, citizen.user, PHONE, phone=True)
        page.goto(f"{live_server.url}/book/items/{bookable_item.item.code}/")
        screenshot(page, "hall-book-days-phone")
        page.get_by_role("link", name="make-up working day").first.click()
        page.wait_for_selector("input[name=slot]")
        page.keyboard.press("Tab")
        page.locator("label.slot", has_text="14:00").click()
        page.fill("input[name=note]", "带齐材料")
        screenshot(page, "hall-book-slot-phone")
        page.get_by_role("button", name="Book this time").click()
        page.wait_for_selector(".appointment__ticket")
        screenshot(page, "hall-appointment-phone")
        appointment = Appointment.objects.get()
        assert f"{appointment.date:%Y-%m-%d}" == "2026-02-14"
        assert page.locator(".code--big").inner_text() == appointment.code

        staff = _page(browser, live_server, window_op, DESKTOP)
        staff.goto(f"{live_server.url}/work/appointments/?when=upcoming")
        screenshot(staff, "hall-staff-list-desktop")
        staff.get_by_role("link", name=appointment.code).click()
        staff.get_by_role("button", name="Confirm").click()
        staff.wait_for_selector(".notice--success")
        screenshot(staff, "hall-staff-detail-desktop")
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CONFIRMED

        page.goto(f"{live_server.url}/book/")
        screenshot(page, "hall-mine-phone")
        assert "confirmed" in page.locator(".appt-status").first.inner_text()
