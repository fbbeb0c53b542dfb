"""Fixtures shared by the browser tests (headless Debian Chromium through Playwright).

``browser`` starts one Chromium per test module, or skips with the reason when it is
missing, except where ``YIWANG_REQUIRE_BROWSER=1`` (CI) demands that browser tests run.
``ledger_flushable`` lets a transactional test's closing flush empty the case ledger on
PostgreSQL, whose trigger otherwise refuses TRUNCATE. Loaded by the root conftest.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_migrate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_REARM = "yiwang.browser_fixtures.rearm_ledger_trigger"
_NO_TRUNCATE = "cases_event_no_truncate"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        message = f"Debian Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("YIWANG_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; YIWANG_REQUIRE_BROWSER=1 requires the browser tests to run")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def ledger_flushable(transactional_db: None) -> Iterator[None]:
    """Where a PostgreSQL trigger refuses TRUNCATE on the ledger, the flush (TRUNCATE of
    every table) that ends a transactional test is let through: the trigger is disabled
    just before it and enabled again by the post_migrate signal the flush sends. Without
    such a trigger this does nothing."""
    yield
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [_NO_TRUNCATE])
        if cursor.fetchone() is None:
            return
        cursor.execute(f"ALTER TABLE cases_caseevent DISABLE TRIGGER {_NO_TRUNCATE}")

    def rearm(**kwargs: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE cases_caseevent ENABLE TRIGGER {_NO_TRUNCATE}")
        post_migrate.disconnect(dispatch_uid=_REARM)

    post_migrate.connect(rearm, weak=False, dispatch_uid=_REARM)


# --------------------------------------------------------------------------- pages

SCREENSHOTS = Path(tempfile.gettempdir()) / "shots"
PASSWORD = "Yiwang-demo-2026"  # noqa: S105 (the test accounts of yiwang.org.factories.UserFactory)


def screenshot(page: Any, name: str, full_page: bool = True) -> None:
    """Save ``name``.png under the system's temporary folder, ``shots/``, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def signed_in(
    browser: Any, live_server: Any, user: Any, start: str, viewport: dict[str, int], *, phone: bool = False
) -> Any:
    """A new browser (own cookies) signed in as ``user`` through the login page, on ``start``."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=phone)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + start)
    page.wait_for_url("**/admin/login/**")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + start)
    return page
