"""The citizen's journey in headless Chromium, on a phone and on a desktop.

Screenshots go to $TMPDIR/yiwang-screenshots (never into the repository).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from yiwang.catalog.models import ItemVersion

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# in a thread with a running loop unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SCREENSHOTS = Path(tempfile.gettempdir()) / "yiwang-screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _settled(page: Any) -> None:
    """Wait until htmx has finished swapping and the results have faded back in."""
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")
    page.wait_for_timeout(250)


def _new_page(browser: Any, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=viewport is PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_phone_search_open_guide_and_filter_by_department(
    browser: Any, live_server: Any, catalog: list[ItemVersion], other_market_dept: Any
) -> None:
    # given a phone and the published catalog
    page = _new_page(browser, PHONE)
    try:
        # when the citizen opens the home page and searches "食品 许可"
        page.goto(live_server.url + "/")
        assert page.locator("h1").inner_text() == "查找政务服务"
        _shot(page, "phone-home")
        page.fill("#home-q", "食品 许可")
        page.click("form.search-box button[type=submit]")
        page.wait_for_url("**/items/?q=*")

        # then the food licence is the (only) result
        results = page.locator("#results .item-card__title a")
        assert results.count() == 1
        assert results.first.inner_text() == "食品经营许可"
        _shot(page, "phone-search")

        # when they open it, the guide shows the promised limit with its unit and the materials
        results.first.click()
        page.wait_for_url("**/items/HS-SCJG-001/")
        assert page.locator(".guide__title").inner_text() == "食品经营许可"
        assert page.locator(".fact--primary dd").inner_text() == "7个工作日"
        materials = page.locator("#materials .material__name")
        assert materials.count() == 3
        assert "食品经营许可申请书" in materials.nth(0).inner_text()
        assert page.locator("#fees").get_by_text("不收费").count() == 1
        # nothing is wider than the phone: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _shot(page, "phone-guide")

        # when they go to the list and pick a department, the results update in place (htmx)
        page.goto(live_server.url + "/items/")
        assert page.locator("#results .item-card").count() == 3
        page.locator("details.filters__more > summary").click()
        page.select_option("#id_department", label="丛台区人力资源和社会保障局")
        page.wait_for_function("document.querySelectorAll('#results .item-card').length === 1")
        assert page.locator("#results .item-card__title a").inner_text() == "城乡居民养老保险参保登记"
        assert "department=" in page.url  # the filtered list has its own address
        assert page.locator("#results-count").inner_text().strip() == "1 个事项"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _settled(page)
        _shot(page, "phone-list-filtered")

        page.goto(live_server.url + "/lists/powers/")
        assert page.locator("#results tbody tr").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _shot(page, "phone-powers")

        page.goto(live_server.url + "/lists/fees/")
        assert page.locator("#results").get_by_text("印章刻制费").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _shot(page, "phone-fees")
    finally:
        page.context.close()


def test_filters_work_without_javascript(browser: Any, live_server: Any, catalog: list[ItemVersion]) -> None:
    # given a browser with JavaScript off (no htmx)
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/items/")
        page.locator("details.filters__more > summary").click()
        # when the region is chosen and the form submitted with the button
        page.select_option("#id_region", value="130403")
        page.click("button.no-htmx")
        # then the page reloads with only the other county's item
        page.wait_for_url("**region=130403**")
        assert page.locator("#results .item-card").count() == 1
        assert page.locator("#results .item-card__title a").inner_text() == "城乡居民养老保险参保登记"
    finally:
        context.close()


def test_desktop_pages_and_language_switch(
    browser: Any, live_server: Any, catalog: list[ItemVersion]
) -> None:
    page = _new_page(browser, DESKTOP)
    try:
        page.goto(live_server.url + "/")
        _shot(page, "desktop-home")
        page.goto(live_server.url + "/items/")
        # wide screens start with the filters open
        assert page.locator("details.filters__more").get_attribute("open") is not None
        _shot(page, "desktop-list")
        page.goto(live_server.url + "/items/HS-SCJG-002/")
        assert page.locator(".fact--primary dd").inner_text() == "5个自然日"
        _shot(page, "desktop-guide-fee")
        page.goto(live_server.url + "/lists/powers/")
        _shot(page, "desktop-powers")

        # when the visitor switches to English, the same guide reads in English
        page.goto(live_server.url + "/items/HS-SCJG-001/")
        _shot(page, "desktop-guide")
        page.click(".lang-switch button[value=en]")
        page.wait_for_load_state()
        assert page.locator(".fact--primary dt").inner_text() == "Promised time limit"
        assert page.locator(".fact--primary dd").inner_text() == "7 working days"
        assert page.url.endswith("/items/HS-SCJG-001/")
        _shot(page, "desktop-guide-en")
    finally:
        page.context.close()
