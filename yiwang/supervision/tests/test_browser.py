"""The supervision console in headless Chromium, each person in their own browser: a
supervisor finds a red-card case on the console, opens it, opens the card and escalates
it with a note; a department's handler submits the explanation of the yellow card; the
big screen draws its charts from the local ECharts.

Screenshots go to $TMPDIR/shots (never into the repository).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

import pytest
from django.utils import timezone

from yiwang.browser_fixtures import screenshot, signed_in
from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import APPLICANT_ID, SHANGHAI
from yiwang.core import calendar
from yiwang.supervision import services
from yiwang.supervision.models import Alert, AlertStatus, Notice, RuleSet

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# in a thread with a running loop unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
SCREEN = {"width": 1920, "height": 1080}
CASE_ONLY = [
    {"target": "case", "level": "warning", "anchor": "remaining", "workdays": 2},
    {"target": "case", "level": "yellow", "anchor": "overdue", "workdays": 0},
    {"target": "case", "level": "red", "anchor": "overdue", "workdays": 1},
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledger_flushable"),
]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _shot(page: Any, name: str, full_page: bool = True) -> None:
    screenshot(page, name, full_page)


def _signed_in(
    browser: Any, live_server: Any, user: Any, start: str, viewport: dict[str, int] = DESKTOP
) -> Any:
    return signed_in(browser, live_server, user, start, viewport, phone=viewport is PHONE)


def _moment(day: dt.date, time: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day.isoformat()}T{time}").replace(tzinfo=SHANGHAI)


def _accepted(version: Any, window_user: Any, day: dt.date, name: str) -> Case:
    case = cases.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name=name,
        applicant_id_number=APPLICANT_ID,
        user=window_user,
        at=_moment(day),
    )
    if day <= timezone.localdate():
        cases.case_accept(case=case, user=window_user, at=_moment(day, "10:00"))
    return case


@pytest.fixture
def county_cases(food_licence: Any, window_user: Any, handler_user: Any) -> dict[str, Case]:
    """A red, a yellow, a warned, a normal and a suspended case of today's county, swept now
    (the item's limit is 10 working days)."""
    rule_set = RuleSet.objects.create(code="case-only", name="承诺时限三段式")
    services.ruleset_new_version(rule_set=rule_set, stages=CASE_ONLY)
    services.ruleset_assign(rule_set=rule_set)
    today = timezone.localdate()
    made = {
        "red": _accepted(food_licence, window_user, calendar.add_workdays(today, -13), "张红"),
        "yellow": _accepted(food_licence, window_user, calendar.add_workdays(today, -10), "李黄"),
        "warning": _accepted(food_licence, window_user, calendar.add_workdays(today, -9), "王预"),
        "normal": _accepted(food_licence, window_user, calendar.add_workdays(today, -2), "赵常"),
        "suspended": _accepted(food_licence, window_user, calendar.add_workdays(today, -3), "钱停"),
    }
    cases.case_suspend(
        case=made["suspended"],
        user=handler_user,
        kind="site_inspection",
        reason="需现场勘查",
        expected_days=5,
        at=_moment(calendar.add_workdays(today, -1), "15:00"),
    )
    services.sweep(timezone.now(), notify=False)
    return made


def test_a_supervisor_escalates_a_red_card_and_the_department_explains_the_yellow(
    browser: Any,
    live_server: Any,
    county_cases: dict[str, Case],
    county_supervisor: Any,
    handler: Any,
) -> None:
    from playwright.sync_api import expect

    red_case = county_cases["red"]
    red = Alert.objects.get(case=red_case, level="red")
    yellow = Alert.objects.get(case=red_case, level="yellow")

    # given the county's supervisor at the console
    supervisor = _signed_in(browser, live_server, county_supervisor.user, "/supervision/")
    try:
        # then the red case is on top, with its light, and every light is counted
        first = supervisor.locator("#results tbody tr").first
        expect(first).to_have_attribute("data-light", "red")
        expect(first.locator(".case-number")).to_have_text(red_case.number)
        expect(supervisor.locator(".lights__item--red .lights__count")).to_have_text("1")
        expect(supervisor.locator(".lights__item--suspended .lights__count")).to_have_text("1")
        _shot(supervisor, "supervision-console")

        # when they narrow the list to red cards (htmx), only that case remains
        supervisor.click(".lights__item--red")
        supervisor.wait_for_url("**/supervision/?light=red")
        expect(supervisor.locator("#results tbody tr")).to_have_count(1)

        # when they open the case
        supervisor.click(f"#results a.case-number:text-is('{red_case.number}')")
        supervisor.wait_for_url(f"**/supervision/cases/{red_case.number}/")
        expect(supervisor.locator("#alerts tbody tr")).to_have_count(3)
        expect(supervisor.locator("#timeline .timeline__event").first).to_be_visible()
        expect(supervisor.locator("#issue-notice")).to_be_visible()
        _shot(supervisor, "supervision-case")

        # and open the red card and escalate it with a note
        supervisor.click("#alerts .alert-row--red a.alert-link")
        supervisor.wait_for_url(f"**/supervision/alerts/{red.pk}/")
        supervisor.fill("#id_conclude-note", "红牌后仍未办结，督促立即办理并报告结果")
        with supervisor.expect_navigation():
            supervisor.click("#conclude button[value=escalate]")
        # then the card is escalated, an urging notice issued, and the form is gone
        expect(supervisor.locator("#alert-status")).to_have_class(re.compile(r"status--escalated"))
        expect(supervisor.locator("#conclude")).to_have_count(0)
        expect(supervisor.locator("#notices .notice-link")).to_have_count(1)
        expect(supervisor.locator("#history .timeline__event--escalate")).to_contain_text("王监察")
        _shot(supervisor, "supervision-alert-escalated")
    finally:
        supervisor.context.close()
    red.refresh_from_db()
    assert red.status == AlertStatus.ESCALATED
    assert Notice.objects.filter(alert=red, kind="urging").count() == 1

    # the department's handler finds the yellow card in their alerts and explains it
    staff = _signed_in(browser, live_server, handler.user, "/supervision/alerts/", PHONE)
    try:
        expect(staff.locator(f"a[href='/supervision/alerts/{yellow.pk}/']")).to_be_visible()
        assert staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        staff.click(f"a[href='/supervision/alerts/{yellow.pk}/']")
        staff.wait_for_url(f"**/supervision/alerts/{yellow.pk}/")
        # an empty explanation is refused in place, nothing changes
        with staff.expect_navigation():
            staff.click("#explain button[type=submit]")
        expect(staff.locator("#explain .field__error")).to_be_visible()
        expect(staff.locator("#alert-status")).to_have_class(re.compile(r"status--raised"))
        staff.fill("#id_explain-text", "现场勘查安排延误，已于今日完成审核，明日办结。")
        with staff.expect_navigation():
            staff.click("#explain button[type=submit]")
        expect(staff.locator("#alert-status")).to_have_class(re.compile(r"status--explained"))
        expect(staff.locator("#explain")).to_have_count(0)
        assert staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _shot(staff, "supervision-phone-explained")
    finally:
        staff.context.close()
    yellow.refresh_from_db()
    assert yellow.status == AlertStatus.EXPLAINED and yellow.explained_by == handler.user


def test_the_big_screen_draws_its_charts(
    browser: Any, live_server: Any, county_cases: dict[str, Case], county_supervisor: Any
) -> None:
    from playwright.sync_api import expect

    page = _signed_in(browser, live_server, county_supervisor.user, "/supervision/screen/", SCREEN)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    try:
        page.reload()
        expect(page.locator("#screen")).to_have_attribute("data-loaded", "true")
        expect(page.locator("#kpi-running")).to_have_text("5")
        expect(page.locator("#kpi-red")).to_have_text("1")
        for chart in ("#chart-lights", "#chart-departments", "#chart-trend"):
            expect(page.locator(f"{chart} canvas")).to_have_count(1)
        page.wait_for_timeout(1200)  # the charts' entry animation
        _shot(page, "supervision-screen", full_page=False)
    finally:
        page.context.close()
    assert [url for url in outside if not url.startswith("data:")] == []
