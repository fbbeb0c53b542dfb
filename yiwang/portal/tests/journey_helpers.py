"""Helpers of the portal's end-to-end browser journeys (test_journey_browser.py): browser
pages for citizens (signed in through the portal's own pages) and staff (through the
workbench's sign-in), the words the pages show in the default language, and checks that
a page is whole: no server error met on the way, nothing wider than the phone.

The pages run in Chinese, the default language. What a test expects to read is looked up
in the catalogue in force (``zh``), so a msgid not yet translated is expected in English
and the same test keeps passing once its translation is merged.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation

from yiwang.browser_fixtures import signed_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000
PASSWORD = "Yiwang-demo-2026"

# A tiny valid PDF: the header the upload rules sniff, one object and the trailer.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A Windows program renamed to .pdf: MZ header and the DOS stub's message.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"This program cannot be run in DOS mode.\r\n"
)


def zh(msgid: str, context: str | None = None) -> str:
    """``msgid`` as the default language (zh-Hans) shows it now."""
    with translation.override("zh-hans"):
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


def pdf_file(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


class Watched:
    """A page with a record of every server error (5xx) it met and of uncaught script errors."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.failures: list[str] = []
        page.on(
            "response",
            lambda r: (
                self.failures.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 500 else None
            ),
        )
        page.on("pageerror", lambda e: self.failures.append(f"script error on {page.url}: {e}"))

    def ok(self) -> None:
        """No server error so far, and the page is not an error page."""
        assert not self.failures, f"errors met on the way: {self.failures}"
        title = self.page.title()
        assert "Server Error" not in title and "500" not in title, f"{self.page.url}: {title}"


def no_sideways_scroll(page: Any, viewport: dict[str, int] = PHONE) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width}px wide on a {viewport['width']}px phone"


def new_phone(browser: Any) -> Watched:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return Watched(page)


def portal_sign_in(watched: Watched, live_server: Any, username: str, next_path: str = "") -> None:
    """Sign in on the portal's sign-in page (portal:login) as a citizen would."""
    page = watched.page
    url = live_server.url + "/account/login/"
    if next_path:
        url += f"?next={next_path}"
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(lambda u: "/account/login/" not in u)
    watched.ok()


def staff_page(browser: Any, live_server: Any, user: Any, start: str = "/work/") -> Watched:
    """Staff sign in where the workbench sends them (the admin sign-in page), at desktop width."""
    return Watched(signed_in(browser, live_server, user, start, DESKTOP))


def act(page: Any, action: str, fill: dict[str, str] | None = None) -> None:
    """Fill and submit one action form of the workbench's case page, then wait for the
    page to come back with one more event on the timeline."""
    form = page.locator(f"#action-{action}")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    before = page.locator("#timeline .timeline__event").count()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_function(f"document.querySelectorAll('#timeline .timeline__event').length === {before + 1}")


def text_of(page: Any) -> str:
    return page.locator("body").inner_text()
