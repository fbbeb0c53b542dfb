"""An efficiency complaint through its pages in headless Chromium, each person in their
own browser, on the real clock: 王监察 of 邯山区电子监察室 registers a telephone complaint
about 孙窗口 of 邯山区市场监督管理局, accepts it for the room to handle, records a talk and
proposes a notice of criticism; 赵领导, the head, may not stretch the limit to 16 working
days and approves; an empty feedback is refused on its field, then the feedback is given.
The department's own head, 陈局长, reads the complaint without learning who complained.

Screenshots go to $TMPDIR/shots (never into the repository).
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from yiwang.browser_fixtures import screenshot, signed_in
from yiwang.core import calendar
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Role, Staff
from yiwang.supervision.models import Complaint, ComplaintEvent, ComplaintMeasure, ComplaintStatus

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# in a thread with a running loop unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
NAME = "张投诉"
MOBILE = "13912345678"
CONTENT = "办理营业执照变更时，窗口人员态度恶劣，拒绝解释所缺材料。"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledger_flushable"),
]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def dept_head(market_dept: Department) -> Any:
    """陈局长: a leader limited to the department complained about, not the approving head."""
    staff = StaffFactory(user=UserFactory(username="head_hs"), name="陈局长", department=market_dept)
    grant(staff, Role.LEADER, department=market_dept)
    return staff.user


def _shot(page: Any, name: str, full_page: bool = True) -> None:
    screenshot(page, name, full_page)


def _signed_in(
    browser: Any, live_server: Any, user: Any, start: str, viewport: dict[str, int] = DESKTOP
) -> Any:
    return signed_in(browser, live_server, user, start, viewport, phone=viewport is PHONE)


def _zh(message: str, **params: Any) -> str:
    """A service's message as the Chinese page shows it."""
    with translation.override("zh-hans"):
        text = gettext(message)
    return text % params if params else text


def _act(page: Any, slug: str) -> Any:
    """Open the form of one action on the complaint page."""
    form = page.locator(f"#action-{slug}")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    return form


def _submit(page: Any, slug: str) -> None:
    with page.expect_navigation():
        page.click(f"#action-{slug} button[type=submit]")


def _state(c: Complaint) -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    c = Complaint.objects.get(pk=c.pk)
    return (
        c.status,
        c.handling_limit,
        c.handling_due,
        c.feedback,
        c.feedback_at,
        ComplaintEvent.objects.filter(complaint=c).count(),
        ComplaintMeasure.objects.filter(complaint=c).count(),
    )


def _fits(page: Any, viewport: dict[str, int]) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_complaint_is_registered_handled_approved_and_answered_through_the_pages(
    browser: Any,
    live_server: Any,
    county_supervisor: Staff,
    city_leader: Staff,
    market_dept: Department,
    window_user: Any,
    dept_head: Any,
) -> None:
    from playwright.sync_api import expect

    clerk = Staff.objects.get(user=window_user)
    today = timezone.localdate()
    ack_due = calendar.add_workdays(today, 3)

    # given the county's supervisor on the complaints list
    room = _signed_in(browser, live_server, county_supervisor.user, "/supervision/complaints/")
    try:
        # when they register a telephone complaint about the clerk
        room.click("#register-link")
        room.wait_for_url("**/supervision/complaints/new/")
        room.select_option("#id_channel", "phone")
        room.select_option("#id_category", "attitude")
        room.fill("#id_complainant_name", NAME)
        room.fill("#id_complainant_mobile", MOBILE)
        with room.expect_response(lambda r: "/supervision/complaints/new/?" in r.url):
            room.select_option("#id_department", str(market_dept.pk))  # htmx narrows the staff
        in_department = Staff.objects.filter(department=market_dept, is_active=True).count()
        expect(room.locator("#id_staff option")).to_have_count(1 + in_department)  # and "not named"
        room.select_option("#id_staff", str(clerk.pk))
        room.fill("#id_content", CONTENT)
        room.fill("#id_request", "要求道歉并一次性告知所缺材料。")
        with room.expect_navigation():
            room.click("#register button[type=submit]")

        # then they are on the complaint, with its number and the 3-working-day acknowledgement
        c = Complaint.objects.get()
        room.wait_for_url(f"**/supervision/complaints/{c.pk}/")
        assert (c.department, c.staff, c.complainant_name, c.complainant_mobile) == (
            market_dept,
            clerk,
            NAME,
            MOBILE,
        )
        assert c.ack_due == ack_due
        expect(room.locator("#complaint-number")).to_have_text(c.number)
        expect(room.locator("#complaint-status")).to_have_class(re.compile(r"status--registered"))
        expect(room.locator("#next-deadline")).to_contain_text(ack_due.isoformat())
        expect(room.locator("#deadlines")).to_contain_text(ack_due.isoformat())
        expect(room.locator(".work-messages .notice--success")).to_contain_text(c.number)
        expect(room.locator(".work-messages .notice--success")).to_contain_text(ack_due.isoformat())
        expect(room.locator("#complainant-name")).to_have_text(NAME)
        expect(room.locator("#identity")).to_contain_text(MOBILE)
        expect(room.locator("#complaint-staff")).to_have_text(clerk.name)

        # when they accept it for the room to handle
        _act(room, "accept").locator("input[name=accept-mode][value=self]").check()
        _submit(room, "accept")
        expect(room.locator("#complaint-status")).to_have_class(re.compile(r"status--handling"))
        handling_due = calendar.add_workdays(today, 7)
        expect(room.locator("#next-deadline")).to_contain_text(handling_due.isoformat())

        # and record a talk held today
        _act(room, "investigate")
        room.select_option("#id_investigate-kind", "talk")
        room.fill("#id_investigate-held_on", today.isoformat())
        room.fill("#id_investigate-people", "孙窗口")
        room.fill("#id_investigate-record", "当事人承认未一次性告知所缺材料。")
        _submit(room, "investigate")
        expect(room.locator("#investigations .timeline__event")).to_have_count(1)
        expect(room.locator("#investigations")).to_contain_text("当事人承认")

        # and propose: substantiated, a notice of criticism against the clerk
        _act(room, "propose").locator("input[name=propose-substantiated][value=yes]").check()
        room.fill("#id_propose-findings", "经查投诉属实。")
        room.fill("#id_propose-proposal", "对孙窗口予以通报批评。")
        room.select_option("#id_propose-m1_kind", "criticism")
        room.select_option("#id_propose-m1_staff", str(clerk.pk))
        _submit(room, "propose")
        expect(room.locator("#complaint-status")).to_have_class(re.compile(r"status--proposed"))
        expect(room.locator("#proposed-measures li")).to_have_count(1)
        expect(room.locator("#action-approve")).to_have_count(0)  # the head approves, not the room
    finally:
        room.context.close()

    # the head opens the complaint
    head = _signed_in(browser, live_server, city_leader.user, f"/supervision/complaints/{c.pk}/")
    try:
        expect(head.locator("#identity-protected")).to_be_visible()
        # an extension to 16 working days is refused next to its field, and nothing changes
        before = _state(c)
        _act(head, "extend")
        head.fill("#id_extend-workdays", "16")
        head.fill("#id_extend-reason", "需补充调查。")
        _submit(head, "extend")
        expect(head.locator("#action-extend")).to_have_attribute("open", "")
        expect(head.locator("#id_extend-workdays-error")).to_have_text(
            _zh("The handling limit can be extended to at most %(n)d working days from acceptance.", n=15)
        )
        expect(head.locator("#action-extend .field--error #id_extend-workdays")).to_have_value("16")
        expect(head.locator("#complaint-status")).to_have_class(re.compile(r"status--proposed"))
        assert _state(c) == before

        # then approves the proposal
        _act(head, "approve")
        head.fill("#id_approve-note", "同意。")
        _submit(head, "approve")
        expect(head.locator("#complaint-status")).to_have_class(re.compile(r"status--handled"))
        expect(head.locator("#measures li")).to_have_count(1)
    finally:
        head.context.close()

    # back as the supervisor
    room = _signed_in(browser, live_server, county_supervisor.user, f"/supervision/complaints/{c.pk}/")
    try:
        # an empty feedback is refused next to its field, and nothing changes
        before = _state(c)
        _act(room, "feedback")
        _submit(room, "feedback")
        expect(room.locator("#id_feedback-text-error")).to_have_text(
            _zh("Write the feedback given to the complainant.")
        )
        expect(room.locator("#complaint-status")).to_have_class(re.compile(r"status--handled"))
        expect(room.locator("#feedback")).to_have_count(0)
        assert _state(c) == before

        # when they give the feedback
        room.fill("#id_feedback-text", "经查属实，已对相关人员通报批评。")
        _submit(room, "feedback")

        # then it reads handled, with the feedback given, and the feedback form is gone
        expect(room.locator("#complaint-status")).to_have_class(re.compile(r"status--handled"))
        expect(room.locator("#feedback")).to_contain_text("经查属实，已对相关人员通报批评。")
        expect(room.locator("#action-feedback")).to_have_count(0)
        expect(room.locator("#action-archive")).to_have_count(1)
        expect(room.locator("#next-deadline")).to_have_count(0)
        expect(room.locator("#deadlines .done")).to_have_count(3)
        _shot(room, "complaint-desktop")
        _fits(room, DESKTOP)

        # the list shows it handled, and the statistics count it
        room.click(".breadcrumbs a")
        room.wait_for_url("**/supervision/complaints/")
        row = room.locator(f"#results tr[data-complaint='{c.pk}']")
        expect(row.locator(".complaint-link")).to_have_text(c.number)
        expect(row.locator(".status")).to_have_class(re.compile(r"status--handled"))
        _shot(room, "complaints-list-desktop")
        _fits(room, DESKTOP)
        room.click("#stats-link")
        room.wait_for_url("**/supervision/complaints/statistics/")
        expect(room.locator("#stat-total")).to_have_text("1")
        expect(room.locator("#stat-handled")).to_have_text("1")
        expect(room.locator("#department-chart canvas")).to_have_count(1)
        room.wait_for_timeout(1200)  # the chart's entry animation
        _shot(room, "complaints-statistics-desktop")
        _fits(room, DESKTOP)
    finally:
        room.context.close()
    c.refresh_from_db()
    assert c.status == ComplaintStatus.HANDLED and c.substantiated and c.feedback_at is not None
    assert list(c.measures.values_list("kind", "staff")) == [("criticism", clerk.pk)]

    # the supervisor's phone: the complaint, the list and the statistics fit its width
    phone = _signed_in(
        browser, live_server, county_supervisor.user, f"/supervision/complaints/{c.pk}/", PHONE
    )
    try:
        expect(phone.locator("#complaint-number")).to_have_text(c.number)
        _fits(phone, PHONE)
        _shot(phone, "complaint-phone")
        phone.goto(live_server.url + "/supervision/complaints/")
        expect(phone.locator(f"#results tr[data-complaint='{c.pk}']")).to_be_visible()
        _fits(phone, PHONE)
        _shot(phone, "complaints-list-phone")
        phone.goto(live_server.url + "/supervision/complaints/statistics/")
        expect(phone.locator("#department-chart canvas")).to_have_count(1)
        phone.wait_for_timeout(1200)
        _fits(phone, PHONE)
        _shot(phone, "complaints-statistics-phone")
    finally:
        phone.context.close()

    # the department's own head reads the complaint, but not who complained
    dept = _signed_in(browser, live_server, dept_head, f"/supervision/complaints/{c.pk}/", PHONE)
    try:
        expect(dept.locator("#complaint-number")).to_have_text(c.number)
        expect(dept.locator("#complaint-content")).to_contain_text(CONTENT)
        expect(dept.locator("#identity-protected")).to_be_visible()
        expect(dept.locator("#identity")).to_have_count(0)
        text = dept.content()
        assert NAME not in text and MOBILE not in text
        expect(dept.locator("#actions")).to_have_count(0)  # nothing for them to do
        _fits(dept, PHONE)
        _shot(dept, "complaint-phone-department-head")
        dept.goto(live_server.url + "/supervision/complaints/")
        expect(dept.locator(f"#results tr[data-complaint='{c.pk}']")).to_be_visible()
        text = dept.content()
        assert NAME not in text and MOBILE not in text
    finally:
        dept.context.close()
