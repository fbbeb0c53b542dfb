"""A licensing case from window intake to delivery, in headless Chromium, each person in
their own browser: the window operator files and accepts it, the handler, the reviewer
and the approver move it on, the window hands out the result.

Screenshots go to $TMPDIR/yiwang-screenshots (never into the repository).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from yiwang.cases.models import Case, CaseState
from yiwang.cases.tests.conftest import APPLICANT_ID

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# in a thread with a running loop unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SCREENSHOTS = Path(tempfile.gettempdir()) / "yiwang-screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "Yiwang-demo-2026"  # yiwang.org.factories.UserFactory
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledger_flushable"),
]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _signed_in(browser: Any, live_server: Any, user: Any, viewport: dict[str, int] = DESKTOP) -> Any:
    """A new browser (own cookies) signed in as ``user`` through the login page."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=viewport is PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/work/")
    page.wait_for_url("**/admin/login/**")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/work/")
    return page


def _open_case(page: Any, number: str) -> None:
    """From the queue to the case page, as a person would: click the number."""
    page.goto(page.url.split("/work/")[0] + "/work/")
    link = page.locator(f"#results a.case-number:text-is('{number}')")
    link.click()
    page.wait_for_url(f"**/work/cases/{number}/")


def _act(page: Any, action: str, fill: dict[str, str] | None = None) -> None:
    """Fill and submit one action form (htmx), then wait for the page to reload."""
    form = page.locator(f"#action-{action}")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    before = page.locator("#timeline .timeline__event").count()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_function(f"document.querySelectorAll('#timeline .timeline__event').length === {before + 1}")


def test_window_intake_to_delivery(
    browser: Any,
    live_server: Any,
    food_licence: Any,
    materials: Any,
    window_user: Any,
    handler_user: Any,
    reviewer_user: Any,
    approver_user: Any,
) -> None:
    from playwright.sync_api import expect

    # given the window operator at their desk
    window = _signed_in(browser, live_server, window_user)
    try:
        window.click("nav a[href='/work/intake/']")
        window.wait_for_url("**/work/intake/")
        # when they choose the food licence and enter the applicant
        window.select_option("#id_version", value=str(food_licence.pk))
        window.click(".intake-choose button[type=submit]")
        window.wait_for_selector("#intake-form")
        window.fill("#id_applicant_name", "张晓梅")
        window.fill("#id_applicant_id_number", APPLICANT_ID)
        window.fill("#id_applicant_mobile", "13831012345")
        window.set_input_files(
            f"#id_material_{materials[0].pk}",
            files=[{"name": "食品经营许可申请书.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        _shot(window, "work-desktop-intake")
        window.click("#intake-form button[type=submit]")
        # then the new case opens, with its receipt to print
        window.wait_for_url("**/work/cases/*/#documents")
        number = window.locator(".case-head .case-number").inner_text()
        case = Case.objects.get(number=number)
        expect(window.locator("#case-state")).to_have_text("已提交，待受理")
        expect(window.locator("#documents a[href$='/documents/receipt.pdf']")).to_be_visible()
        expect(window.locator("#materials")).to_contain_text("食品经营许可申请书.pdf")
        _shot(window, "work-desktop-filed")

        # when they accept it
        _act(window, "accept")
        expect(window.locator("#case-state")).to_have_text("办理中")
        _shot(window, "work-desktop-accepted")
    finally:
        window.context.close()

    # the handler, the reviewer and the approver each find it in their queue and act
    handler = _signed_in(browser, live_server, handler_user)
    try:
        expect(handler.locator("#results")).to_contain_text(number)
        _shot(handler, "work-desktop-queue")
        _open_case(handler, number)
        _act(handler, "pass_step", {"#id_pass_step-opinion": "材料齐全，符合法定条件"})
        _shot(handler, "work-desktop-handled")
    finally:
        handler.context.close()

    reviewer = _signed_in(browser, live_server, reviewer_user, PHONE)
    try:
        _shot(reviewer, "work-phone-queue")
        assert reviewer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _open_case(reviewer, number)
        assert reviewer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _act(reviewer, "pass_step", {"#id_pass_step-opinion": "同意"})
        _shot(reviewer, "work-phone-case")
    finally:
        reviewer.context.close()

    approver = _signed_in(browser, live_server, approver_user)
    try:
        _open_case(approver, number)
        approver.check("#action-decide input[value=approved]")
        _act(approver, "decide")
        expect(approver.locator("#case-state")).to_have_text("已作出决定")
        _act(approver, "complete", {"#id_complete-result_number": "JY11304020001234"})
        expect(approver.locator("#case-state")).to_have_text("已办结")
    finally:
        approver.context.close()

    # back at the window, the result is handed out
    window = _signed_in(browser, live_server, window_user, PHONE)
    try:
        _open_case(window, number)
        _act(window, "deliver")
        # then the case page shows it delivered, with the whole timeline
        expect(window.locator("#case-state")).to_have_text("已送达")
        expect(window.locator("#timeline .timeline__event")).to_have_count(7)
        assert window.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _shot(window, "work-phone-delivered")
    finally:
        window.context.close()
    case.refresh_from_db()
    assert case.state == CaseState.DELIVERED


def test_a_refused_action_shows_its_error_in_place(
    browser: Any, live_server: Any, food_licence: Any, window_user: Any
) -> None:
    from playwright.sync_api import expect

    from yiwang.cases import services

    case = services.case_file(
        version=food_licence,
        channel="1",
        applicant_kind="individual",
        applicant_name="王强",
        applicant_id_number=APPLICANT_ID,
        user=window_user,
    )
    page = _signed_in(browser, live_server, window_user)
    try:
        page.goto(f"{live_server.url}/work/cases/{case.number}/")
        # when the one-time notice is sent without naming any material
        page.locator("#action-supplement summary").click()
        page.locator("#action-supplement button[type=submit]").click()
        # then the form says what is wrong, in place, and nothing changed
        expect(page.locator("#action-supplement .notice--error")).to_be_visible()
        expect(page.locator("#action-supplement")).to_have_attribute("open", "")
        expect(page.locator("#case-state")).to_have_text("已提交，待受理")
        _shot(page, "work-desktop-refused-action")
    finally:
        page.context.close()
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
