"""The portal's journeys end to end in headless Chromium, through real pages only: the
citizen on a phone (390×844), staff on a desktop (1280×900), each in their own browser.

1. register → signed in, not yet allowed to apply → verified at the window → apply with
   a form and materials → one-time supplement notice → supplement → accepted, handled,
   reviewed, approved → fee order → paid through the sandbox cashier → completed →
   public progress page by the QR link (no personal data) → rated;
2. an anonymous visitor's question, answered and published to the guide's FAQ;
3. an appointment booked on a phone and confirmed at the window;
4. a complaint about one's own case (first sent empty: the specific error);
5. bad input: a malformed ID number at registration, a program renamed .pdf on the draft.

Only staff accounts, items and the rows a journey presupposes are made through services.
Screenshots go to the temporary folder's ``shots/`` (``journey-NN-what.png``). Every
page runs in the default language; expected words come from the catalogue in force
(``zh``), so they read Chinese wherever a translation exists.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from yiwang.browser_fixtures import screenshot
from yiwang.cases.models import Case, CaseState
from yiwang.cases.tests.conftest import (  # noqa: F401 (fixtures)
    STEPS,
    approver_user,
    handler_user,
    reviewer_user,
    window_user,
)
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion, OnlineDepth, Target
from yiwang.core.identifiers import build_resident_id, mask_resident_id
from yiwang.hall.models import Appointment, AppointmentStatus
from yiwang.hall.tests.conftest import bookable_item, general_rule, hall_center, window_op  # noqa: F401
from yiwang.org.models import Department, Region
from yiwang.payments.models import FeeOrder, OrderStatus
from yiwang.portal import applications as apps
from yiwang.portal.models import Account, Consultation, Draft, DraftFile
from yiwang.portal.tests.journey_helpers import (
    EXE,
    PASSWORD,
    Watched,
    act,
    new_phone,
    no_sideways_scroll,
    pdf_file,
    portal_sign_in,
    staff_page,
    text_of,
    zh,
)
from yiwang.supervision.models import Complaint

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# safe (one thread, nothing of the loop runs in between).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledger_flushable"),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday of an ordinary working week the working-day calendar knows (it covers 2026 only).
MONDAY = dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)

CODE = "HS-TZSB-001"
NAME = "特种设备作业人员资格认定"
MATERIALS = (
    {"name": "特种设备作业人员资格申请表"},
    {"name": "考试合格证明", "form": "copy"},
)
FIELDS = (
    {
        "name": "project",
        "label": "作业项目",
        "kind": "choice",
        "required": True,
        "choices": ["叉车司机", "电梯修理", "工业锅炉司炉"],
    },
    {
        "name": "employer",
        "label": "工作单位",
        "kind": "text",
        "required": True,
        "max_length": 60,
        "help_text": "写全称，与劳动合同一致",
    },
)

APPLICANT = "刘晓红"
APPLICANT_ID = build_resident_id("130402", dt.date(1991, 8, 8), 52)
APPLICANT_MOBILE = "13912345678"
USERNAME = "liuxiaohong"


def label(choice: Any) -> str:
    """A model choice's label as the default language shows it."""
    with translation.override("zh-hans"):
        return str(choice.label)


@pytest.fixture
def certification(market_dept: Department, county: Region) -> ItemVersion:
    """A charged licensing item for individuals, applied for fully online: a form of two
    questions, two required materials, the six-step workflow of the cases tests and an
    assessment fee of ¥80."""
    return published_item(
        code=CODE,
        name=NAME,
        department=market_dept,
        region=county,
        statutory_limit=20,
        promised_limit=10,
        legal_basis="《中华人民共和国特种设备安全法》第十四条",
        fields={
            "target": Target.INDIVIDUAL,
            "online_depth": OnlineDepth.HANDLING,
            "appointment": True,
            "result_name": "特种设备安全管理和作业人员证",
        },
        steps=STEPS,
        materials=MATERIALS,
        form_fields=FIELDS,
        fees=(
            {
                "name": "考核费",
                "standard_amount": Decimal("80.00"),
                "unit": "人次",
                "basis": "冀价行费〔2016〕45号",
            },
        ),
        effective_from=dt.date(2024, 1, 1),
    )


@pytest.fixture
def travel() -> Any:
    """The whole test, server thread included, runs in an ordinary working week of 2026."""
    with time_machine.travel(MONDAY, tick=True):
        yield


def _close(*pages: Watched | None) -> None:
    for watched in pages:
        if watched is not None:
            watched.page.context.close()


def _state_on_workbench(page: Any, state: CaseState) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#case-state")).to_have_text(label(state))


# --------------------------------------------------------------------------- 1. the journey


def test_the_citizen_journey_from_registration_to_rating(
    browser: Any,
    live_server: Any,
    travel: None,
    certification: ItemVersion,
    window_user: Any,  # noqa: F811
    handler_user: Any,  # noqa: F811
    reviewer_user: Any,  # noqa: F811
    approver_user: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    materials = list(certification.materials.all())
    url = live_server.url
    missed: list[str] = []  # what the pages should show and do not, without blocking the rest
    phone: Watched | None = None
    staff: Watched | None = None
    try:
        # ---- registers as an individual on a phone
        phone = new_phone(browser)
        page = phone.page
        page.goto(url + "/")
        page.get_by_role("link", name=zh("Register")).first.click()
        page.wait_for_url("**/account/register/**")
        page.fill("#id_name", APPLICANT)
        page.fill("#id_id_number", APPLICANT_ID)
        page.fill("#id_mobile", APPLICANT_MOBILE)
        page.fill("#id_username", USERNAME)
        page.fill("#id_password", PASSWORD)
        page.fill("#id_password2", PASSWORD)
        screenshot(page, "journey-01-register")
        no_sideways_scroll(page)
        page.click("form.account-form button[type=submit]")
        page.wait_for_url(url + "/account/")
        phone.ok()
        expect(page.locator(".status--warn").first).to_have_text(zh("Not verified yet"))
        assert mask_resident_id(APPLICANT_ID) in text_of(page)
        assert APPLICANT_ID not in text_of(page), "the account page shows the full ID number"
        screenshot(page, "journey-02-account-unverified")
        account = Account.objects.get(user__username=USERNAME)
        assert not account.is_verified

        # ---- signs out and in again through the portal's sign-in page
        page.locator("header form.inline-form button[type=submit]").click()
        page.wait_for_url(url + "/")
        portal_sign_in(phone, live_server, USERNAME)

        # ---- cannot apply yet: the guide's "Apply online" explains how to be verified
        page.goto(f"{url}/items/{CODE}/")
        page.locator("a.action--primary").click()
        page.wait_for_url(f"**/apply/items/{CODE}/")
        expect(page.locator("h1.page-title")).to_have_text(zh("Verify your identity to apply"))
        expect(page.locator("ol.apply-howto li")).to_have_count(3)
        screenshot(page, "journey-03-not-verified-yet")
        no_sideways_scroll(page)
        assert not Draft.objects.exists()

        # ---- the window operator verifies the identity at /work/citizens/
        staff = staff_page(browser, live_server, window_user, "/work/citizens/")
        desk = staff.page
        desk.fill("#id_number", APPLICANT_ID)
        desk.click("form.citizens-find button[type=submit]")
        expect(desk.locator("#citizen-title")).to_have_text(APPLICANT)
        assert APPLICANT_ID not in desk.url
        screenshot(desk, "journey-04-staff-find-account")
        desk.fill("#id_document_number", APPLICANT_ID)
        desk.locator("section.citizen form button[type=submit]").click()
        desk.wait_for_load_state()
        staff.ok()
        expect(desk.locator("body")).to_contain_text(APPLICANT)
        account.refresh_from_db()
        assert account.is_verified
        screenshot(desk, "journey-05-staff-verified")

        # ---- applies: the guide, start, the form and the materials
        page.goto(f"{url}/items/{CODE}/")
        screenshot(page, "journey-06-guide")
        page.locator("a.action--primary").click()
        page.wait_for_url(f"**/apply/items/{CODE}/")
        expect(page.locator("h1.page-title")).to_have_text(zh("Apply online"))
        page.locator("form.apply-card button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/apply/drafts/\d+/$"))
        phone.ok()
        draft = Draft.objects.get()
        page.select_option("#id_form-project", "叉车司机")
        page.fill("#id_form-employer", "邯郸市丛台食品有限公司")
        page.set_input_files(f"#material-{materials[0].pk}-file", files=[pdf_file("资格申请表.pdf")])
        page.set_input_files(f"#material-{materials[1].pk}-file", files=[pdf_file("考试合格证明.pdf")])
        screenshot(page, "journey-07-draft-filled")
        page.locator(".apply-bar button[value=save]").click()
        page.wait_for_load_state()
        phone.ok()
        expect(page.locator(f"#material-{materials[0].pk} .file-list__item a")).to_have_text("资格申请表.pdf")
        expect(page.locator(f"#material-{materials[1].pk} .tag--good")).to_have_text(zh("Provided"))
        assert DraftFile.objects.filter(draft=draft).count() == 2
        screenshot(page, "journey-08-draft-saved")
        no_sideways_scroll(page)

        page.locator(".apply-bar button[value=review]").click()
        page.wait_for_url(f"**/apply/drafts/{draft.pk}/review/")
        expect(page.locator("h1.page-title")).to_have_text(zh("Check and submit"))
        expect(page.locator("section[aria-labelledby=answers-title] .apply-facts")).to_contain_text(
            "叉车司机"
        )
        expect(page.locator("#problems")).to_have_count(0)
        screenshot(page, "journey-09-review")
        page.locator("form.apply-bar button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/apply/cases/[^/]+/receipt/$"))
        phone.ok()

        # ---- the receipt: case number, state, the date expected, the QR code
        case = Case.objects.get()
        expect(page.locator(".receipt__number strong")).to_have_text(case.number)
        receipt = text_of(page)
        assert label(CaseState.SUBMITTED) in receipt
        assert zh("Result expected by") in receipt
        expect(page.locator(".receipt__qr svg")).to_be_visible()
        progress_link = page.locator(".receipt__qr a").get_attribute("href")
        assert progress_link and "/progress/" in progress_link
        screenshot(page, "journey-10-receipt")
        no_sideways_scroll(page)

        # ---- the window issues a one-time supplement notice for one material
        desk.goto(f"{url}/work/cases/{case.number}/")
        _state_on_workbench(desk, CaseState.SUBMITTED)
        act(
            desk,
            "supplement",
            {f"#id_supplement-problem_{materials[0].pk}": "申请表缺本人签名，请签名后重新上传"},
        )
        _state_on_workbench(desk, CaseState.SUPPLEMENT)
        staff.ok()
        screenshot(desk, "journey-11-staff-supplement-notice")

        # ---- the citizen sees it in My cases and messages, and hands in exactly that material
        page.goto(url + "/my/cases/")
        card = page.locator(".my-case").filter(has_text=case.number)
        expect(card.locator(".my-todo a")).to_have_text(zh("Supplement the materials"))
        screenshot(page, "journey-12-my-cases-todo")
        no_sideways_scroll(page)
        page.goto(url + "/my/messages/")
        told = text_of(page)
        if case.number not in told and materials[0].name not in told:
            # Checked at the end, so that the rest of the journey still runs.
            missed.append(
                f"the message center ({page.url}) does not tell of the supplement notice on {case.number}"
            )
        screenshot(page, "journey-13-messages")
        no_sideways_scroll(page)
        page.goto(f"{url}/my/cases/{case.number}/")
        expect(page.locator("#todo .my-notice-list li")).to_have_count(1)
        expect(page.locator("#todo .my-notice-list")).to_contain_text(materials[0].name)
        page.locator("#todo a.button").click()
        page.wait_for_url(f"**/apply/cases/{case.number}/supplement/")
        inputs = page.locator("form input[type=file]")
        expect(inputs).to_have_count(1)
        expect(page.locator("form .file-field label")).to_contain_text(materials[0].name)
        expect(page.locator("ol.notice-items")).to_contain_text("申请表缺本人签名")
        inputs.first.set_input_files(files=[pdf_file("资格申请表（已签名）.pdf")])
        screenshot(page, "journey-14-supplement")
        no_sideways_scroll(page)
        page.locator("form[data-submit-once] button[type=submit]").click()
        page.wait_for_url(f"**/apply/cases/{case.number}/receipt/")
        phone.ok()
        case.refresh_from_db()
        assert case.state == CaseState.SUBMITTED
        assert label(CaseState.SUBMITTED) in text_of(page)

        # ---- accepted, handled, reviewed, decided: each by the holder of the step's role
        desk.goto(f"{url}/work/cases/{case.number}/")
        act(desk, "accept")
        _state_on_workbench(desk, CaseState.IN_PROGRESS)
        screenshot(desk, "journey-15-staff-accepted")
        _close(staff)
        staff = None

        page.goto(f"{url}/my/cases/{case.number}/")
        expect(page.locator("#status")).to_have_text(re.compile(r"\S"))
        due = page.locator("#timing .fact--primary time")
        expect(due).to_have_attribute("datetime", re.compile(r"^2026-\d\d-\d\d$"))
        expect(page.locator(".timeline .timeline__event").first).to_be_visible()
        screenshot(page, "journey-16-my-case-in-progress")
        no_sideways_scroll(page)

        for user, opinion in ((handler_user, "材料齐全，考试合格"), (reviewer_user, "同意")):
            staff = staff_page(browser, live_server, user, f"/work/cases/{case.number}/")
            act(staff.page, "pass_step", {"#id_pass_step-opinion": opinion})
            _state_on_workbench(staff.page, CaseState.IN_PROGRESS)
            staff.ok()
            _close(staff)
            staff = None

        staff = staff_page(browser, live_server, approver_user, f"/work/cases/{case.number}/")
        desk = staff.page
        desk.check("#action-decide input[value=approved]")
        act(desk, "decide")
        _state_on_workbench(desk, CaseState.DECIDED)
        screenshot(desk, "journey-17-staff-decided")

        # ---- completion waits for the fee: the approver issues the order
        desk.locator("#fee-orders a.button").click()
        desk.wait_for_url(f"**/work/payments/cases/{case.number}/issue/")
        screenshot(desk, "journey-18-staff-issue-fee")
        desk.locator("form.panel button[type=submit]").click()
        desk.wait_for_url(re.compile(rf".*/work/cases/{case.number}/#fee-orders$"))
        staff.ok()
        order = FeeOrder.objects.get(case=case)
        assert order.total == Decimal("80.00")
        expect(desk.locator("#fee-orders")).to_contain_text(order.number)

        # ---- the case cannot be completed while the fee is unpaid: the form says why
        refused = desk.locator("#action-complete")
        if refused.get_attribute("open") is None:
            refused.locator("summary").click()
        desk.fill("#id_complete-result_number", "TZ1304020000123")
        refused.locator("button[type=submit]").click()
        expect(desk.locator("#action-complete .notice--error")).to_contain_text(order.number)
        _state_on_workbench(desk, CaseState.DECIDED)
        screenshot(desk, "journey-19-staff-complete-refused-unpaid")
        case.refresh_from_db()
        assert case.state == CaseState.DECIDED

        # ---- the citizen pays through the sandbox cashier and sees the receipt
        page.goto(f"{url}/my/cases/{case.number}/")
        page.locator("#todo a.button").filter(has_text=zh("Pay the fee")).click()
        page.wait_for_url(f"**/pay/cases/{case.number}/")
        expect(page.locator(".pay-total")).to_have_text("¥80.00")
        screenshot(page, "journey-20-fees")
        page.locator(".pay-actions a.button--primary").click()
        page.wait_for_url(f"**/pay/orders/{order.number}/")
        page.locator("form.pay-form button[type=submit]").click()
        page.wait_for_url("**/pay/sandbox/cashier/**")
        expect(page.locator(".sandbox__amount")).to_have_text("¥80.00")
        screenshot(page, "journey-21-sandbox-cashier")
        no_sideways_scroll(page)
        page.locator(".sandbox__actions button[value=pay]").click()
        page.wait_for_url(f"**/pay/orders/{order.number}/returned/**")
        phone.ok()
        expect(page.locator("h1.page-title")).to_have_text(zh("Payment received"))
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        page.locator(".pay-actions a.button--primary").click()
        page.wait_for_url(f"**/pay/orders/{order.number}/receipt/")
        phone.ok()
        expect(page.locator("body")).to_contain_text(order.receipt_number)
        screenshot(page, "journey-22-payment-receipt")
        no_sideways_scroll(page)

        # ---- now the case can be completed
        desk.goto(f"{url}/work/cases/{case.number}/")
        act(desk, "complete", {"#id_complete-result_number": "TZ1304020000123"})
        _state_on_workbench(desk, CaseState.COMPLETED)
        staff.ok()
        screenshot(desk, "journey-23-staff-completed")

        # ---- the QR link opens the public progress page: the steps, no personal data
        scan = new_phone(browser)
        try:
            scan.page.goto(progress_link)
            scan.ok()
            public = text_of(scan.page)
            expect(scan.page.locator("#status")).to_have_text(re.compile(r"\S"))
            assert scan.page.locator(".timeline .timeline__event").count() >= 6
            assert NAME in public
            assert APPLICANT not in public and APPLICANT[0] + "*" not in public
            assert APPLICANT_ID not in public and mask_resident_id(APPLICANT_ID) not in public
            assert APPLICANT_MOBILE not in public
            screenshot(scan.page, "journey-24-public-progress")
            no_sideways_scroll(scan.page)
        finally:
            _close(scan)

        # ---- rates the service with the first (best) level
        page.goto(f"{url}/my/cases/{case.number}/")
        page.locator("#todo a.button").filter(has_text=zh("Rate the service")).click()
        page.wait_for_url(f"**/rate/{case.number}/")
        first = page.locator(".rate-level").first
        level_text = first.locator("label").inner_text().strip()
        assert level_text == zh("Satisfied", "rating level") or level_text in ("满意", "Satisfied")
        first.locator("label").click()
        screenshot(page, "journey-25-rate")
        no_sideways_scroll(page)
        page.locator("form.rate-form button[type=submit]").click()
        page.wait_for_load_state()
        phone.ok()
        expect(page.locator("h1.page-title")).to_have_text(zh("Thank you for your rating"))
        expect(page.locator(".notice--success")).to_contain_text(level_text)
        screenshot(page, "journey-26-rated")
        case.refresh_from_db()
        assert case.state == CaseState.COMPLETED
        assert not missed, missed
    finally:
        _close(phone, staff)


# --------------------------------------------------------------------------- 2. consult


def test_an_anonymous_question_is_answered_and_published_to_the_guide(
    browser: Any,
    live_server: Any,
    travel: None,
    certification: ItemVersion,
    handler_user: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    url = live_server.url
    visitor = new_phone(browser)
    staff: Watched | None = None
    try:
        page = visitor.page
        page.goto(f"{url}/items/{CODE}/")
        page.locator(".action-grid a", has_text=zh("Ask a question")).click()
        page.wait_for_url(f"**/consult/ask/{CODE}/")
        page.fill("#id_question", "叉车司机证到期后怎么复审？需要重新考试吗？")
        page.fill("#id_contact_name", "赵先生")
        page.fill("#id_contact_mobile", "13733445566")
        screenshot(page, "journey-31-consult-ask")
        no_sideways_scroll(page)
        page.locator("form.consult-form button[type=submit]").click()
        page.wait_for_url("**/consult/q/**")
        visitor.ok()
        expect(page.locator("#sent")).to_be_visible()
        asked = Consultation.objects.get()
        assert asked.account_id is None
        screenshot(page, "journey-32-consult-sent")

        staff = staff_page(browser, live_server, handler_user, "/work/consultations/")
        desk = staff.page
        desk.get_by_role("link", name=re.compile("叉车司机证到期")).click()
        desk.wait_for_url(f"**/work/consultations/{asked.pk}/")
        assert "13733445566" not in text_of(desk), "the asker's mobile is shown in full"
        desk.fill("#id_answer", "证书有效期满前3个月内申请复审，考试合格的不需要重新考试。")
        desk.check("#id_publish")
        desk.fill("#id_published_question", "叉车司机证到期后如何复审？")
        screenshot(desk, "journey-33-staff-answer")
        desk.locator("form.answer-form button[type=submit]").first.click()
        desk.wait_for_load_state()
        staff.ok()
        asked.refresh_from_db()
        assert asked.status == "answered" and asked.published_at is not None

        # the answer is in the guide's FAQ, for everyone
        page.goto(f"{url}/items/{CODE}/")
        answered = page.locator("#published-answers details.faq--answered")
        expect(answered).to_have_count(1)
        expect(answered.locator("summary")).to_have_text("叉车司机证到期后如何复审？")
        answered.locator("summary").click()
        expect(answered.locator(".prose")).to_contain_text("考试合格的不需要重新考试")
        assert "赵先生" not in text_of(page)
        screenshot(page, "journey-34-guide-faq")
        # from the page's table of contents to the FAQ: what the phone's screen shows
        page.locator("nav.guide-toc a[href='#faq']").click()
        page.wait_for_timeout(300)
        screenshot(page, "journey-35-guide-faq-by-link", full_page=False)
        no_sideways_scroll(page)
    finally:
        _close(visitor, staff)


# --------------------------------------------------------------------------- 3. book


def test_a_citizen_books_a_visit_and_the_window_confirms_it(
    browser: Any,
    live_server: Any,
    travel: None,
    general_rule: Any,  # noqa: F811
    bookable_item: ItemVersion,  # noqa: F811
    citizen: Account,
    window_op: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    url = live_server.url
    code = bookable_item.item.code
    phone = new_phone(browser)
    staff: Watched | None = None
    try:
        page = phone.page
        portal_sign_in(phone, live_server, citizen.user.get_username())
        page.goto(f"{url}/items/{code}/")
        page.locator(".action-grid a", has_text=zh("Book a visit")).click()
        page.wait_for_url(f"**/book/items/{code}/")
        days = page.locator("a.day")
        assert days.count() >= 5
        # Tuesday 17 November, a plain working day
        page.locator("a.day[href*='day=2026-11-17']").click()
        page.wait_for_selector("input[name=slot]")
        page.locator("label.slot", has_text="10:00–10:30").click()
        page.fill("input[name=note]", "带身份证原件")
        screenshot(page, "journey-41-book-slot")
        no_sideways_scroll(page)
        page.locator("form.booking-form button[type=submit]").click()
        page.wait_for_selector(".appointment__ticket")
        phone.ok()
        appointment = Appointment.objects.get()
        assert appointment.date == dt.date(2026, 11, 17)
        screenshot(page, "journey-42-booked")

        page.goto(url + "/book/")
        row = page.locator(".appt-list").first
        expect(row).to_contain_text(appointment.code)
        expect(row.locator(".appt-status")).to_have_text(label(AppointmentStatus(appointment.status)))
        screenshot(page, "journey-43-my-appointments")
        no_sideways_scroll(page)

        staff = staff_page(browser, live_server, window_op, "/work/appointments/")
        desk = staff.page
        # the list starts with today's; the appointment is tomorrow
        desk.select_option("form.hall-filters select[name=when]", "upcoming")
        desk.locator("form.hall-filters button[type=submit]").click()
        desk.wait_for_url("**when=upcoming**")
        screenshot(desk, "journey-44-staff-appointments")
        desk.get_by_role("link", name=appointment.code).click()
        desk.wait_for_url(f"**/work/appointments/{appointment.code}/")
        desk.get_by_role("button", name=zh("Confirm", "appointment")).click()
        desk.wait_for_load_state()
        staff.ok()
        screenshot(desk, "journey-45-staff-confirmed")
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CONFIRMED

        page.goto(url + "/book/")
        expect(page.locator(".appt-list").first.locator(".appt-status")).to_have_text(
            label(AppointmentStatus.CONFIRMED)
        )
        screenshot(page, "journey-46-my-appointments-confirmed")
    finally:
        _close(phone, staff)


# --------------------------------------------------------------------------- 4. complain


def _submitted_case(account: Account, version: ItemVersion) -> Case:
    """An online application of ``account``, filed through the application services
    (what the complaint presupposes)."""
    draft = apps.draft_start(user=account.user, version=version, account=account)
    apps.draft_save_form(
        draft=draft, user=account.user, data={"form-project": "电梯修理", "form-employer": "邯郸市某电梯公司"}
    )
    for material in version.materials.all():
        upload = SimpleUploadedFile(
            f"{material.name}.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"
        )
        apps.draft_add_file(draft=draft, user=account.user, material_id=material.pk, upload=upload)
    return apps.draft_submit(draft=draft, user=account.user)


def test_a_citizen_complains_about_their_case_after_an_empty_try(
    browser: Any,
    live_server: Any,
    travel: None,
    certification: ItemVersion,
    citizen: Account,
    county_supervisor: Any,  # the county's supervision room, which receives efficiency complaints
) -> None:
    from playwright.sync_api import expect

    case = _submitted_case(citizen, certification)
    url = live_server.url
    phone = new_phone(browser)
    try:
        page = phone.page
        portal_sign_in(phone, live_server, citizen.user.get_username())
        page.goto(f"{url}/complaints/?case={case.number}")
        expect(page.locator("#id_case")).to_have_value(case.number)
        expect(page.locator("#identity-note")).to_be_visible()

        # sent empty: the content's own error, beside the field, and nothing filed
        page.locator("form.complaint-form button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("#id_content-error")).to_have_text(
            zh("Say what happened: a complaint needs its content.")
        )
        assert "id_content-error" in (page.locator("#id_content").get_attribute("aria-describedby") or "")
        expect(page.locator("#form-errors")).to_be_visible()
        screenshot(page, "journey-51-complaint-empty")
        no_sideways_scroll(page)
        assert not Complaint.objects.exists()

        page.select_option("#id_category", index=1)
        page.fill(
            "#id_content",
            "11月16日上午在线提交申请后，窗口电话通知要我再到现场交一份纸质材料，与一次性告知不符。",
        )
        page.fill("#id_request", "请核实并说明原因。")
        page.locator("form.complaint-form button[type=submit]").click()
        page.wait_for_load_state()
        errors = page.locator(".field__error, #form-errors").all_inner_texts()
        assert "filed=1" in page.url, f"the complaint was refused: {errors}"
        phone.ok()
        complaint = Complaint.objects.get()
        assert complaint.case_id == case.pk
        screenshot(page, "journey-52-complaint-filed")

        page.goto(url + "/complaints/mine/")
        expect(page.locator("body")).to_contain_text(case.number)
        screenshot(page, "journey-53-my-complaints")
        no_sideways_scroll(page)
    finally:
        _close(phone)


# --------------------------------------------------------------------------- 5. bad input


def test_a_malformed_id_number_is_refused_beside_the_field(
    browser: Any, live_server: Any, travel: None
) -> None:
    from playwright.sync_api import expect

    phone = new_phone(browser)
    try:
        page = phone.page
        page.goto(live_server.url + "/account/register/")
        bad = APPLICANT_ID[:-1] + ("0" if APPLICANT_ID[-1] != "0" else "1")  # wrong check digit
        page.fill("#id_name", APPLICANT)
        page.fill("#id_id_number", bad)
        page.fill("#id_mobile", APPLICANT_MOBILE)
        page.fill("#id_username", USERNAME)
        page.fill("#id_password", PASSWORD)
        page.fill("#id_password2", PASSWORD)
        page.click("form.account-form button[type=submit]")
        page.wait_for_load_state()
        error = page.locator("#field-id_number .field__error")
        expect(error).to_be_visible()
        expect(page.locator("#field-name .field__error")).to_have_count(0)
        # the field is marked and names its error, so a screen reader reads it out
        expect(page.locator("#id_id_number")).to_have_attribute("aria-invalid", "true")
        describedby = page.locator("#id_id_number").get_attribute("aria-describedby") or ""
        assert "id_id_number_error" in describedby.split(), f"aria-describedby={describedby!r}"
        # what was typed stays, so it can be corrected
        expect(page.locator("#id_id_number")).to_have_value(bad)
        screenshot(page, "journey-61-register-bad-id")
        no_sideways_scroll(page)
        assert not Account.objects.exists()
    finally:
        _close(phone)


def test_a_program_renamed_pdf_is_refused_on_the_draft_page(
    browser: Any, live_server: Any, travel: None, certification: ItemVersion, citizen: Account
) -> None:
    from playwright.sync_api import expect

    material = certification.materials.all().first()
    assert material is not None
    phone = new_phone(browser)
    try:
        page = phone.page
        portal_sign_in(phone, live_server, citizen.user.get_username(), f"/apply/items/{CODE}/")
        page.locator("form.apply-card button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/apply/drafts/\d+/$"))
        page.fill("#id_form-employer", "邯郸市某电梯公司")
        page.set_input_files(
            f"#material-{material.pk}-file",
            files=[{"name": "申请表.pdf", "mimeType": "application/pdf", "buffer": EXE}],
        )
        page.locator(".apply-bar button[value=save]").click()
        page.wait_for_load_state()
        error = page.locator(f"#material-{material.pk}-error")
        expect(error).to_be_visible()
        describedby = page.locator(f"#material-{material.pk}-file").get_attribute("aria-describedby") or ""
        assert f"material-{material.pk}-error" in describedby
        expect(page.locator("#problems")).to_be_visible()
        screenshot(page, "journey-62-draft-exe-refused")
        no_sideways_scroll(page)
        assert not DraftFile.objects.exists()
        # the answer typed beside it was kept
        assert Draft.objects.get().form_data.get("employer") == "邯郸市某电梯公司"
    finally:
        _close(phone)
