"""The public progress page (/progress/<token>/) and the look-up by case number.

Expected wording is taken through gettext in the active language (Chinese by default),
so the tests hold before and after the cases catalogue translates the page; the dates
and day counts are worked out by hand from the 2025 holiday schedule.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from yiwang.cases import services
from yiwang.cases.models import Case, Channel
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import APPLICANT_ID, STEPS, at
from yiwang.catalog import services as catalog
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemType, ItemVersion
from yiwang.core.identifiers import build_resident_id
from yiwang.org.factories import DepartmentFactory
from yiwang.org.models import Department
from yiwang.portal.labels import days_phrase

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
APPLICANT = "张晓梅"
MOBILE = "13831012345"
SHOP = "晓梅风味小吃店"
UPLOAD_NAME = "张晓梅身份证复印件.pdf"
STAFF_NAMES = ("孙窗口", "李承办", "周审核", "吴批准")
STAFF_LOGINS = ("window_hs", "handler_case", "reviewer_case", "approver_case")
OPINION = "经核查，张晓梅提交的材料齐全"
HEARING_REASON = "利害关系人李四申请听证"


def travel(day: str, time: str = "12:00") -> Any:
    return time_machine.travel(at(day, time), tick=False)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()  # the per-number look-up counters live in the cache
    yield
    cache.clear()


@pytest.fixture
def staff(window_user: Any, handler_user: Any, reviewer_user: Any, approver_user: Any) -> dict[str, Any]:
    return {
        "window": window_user,
        "handler": handler_user,
        "reviewer": reviewer_user,
        "approver": approver_user,
    }


def file_case(
    version: Any, materials: Any, staff: dict[str, Any], day: str = "2025-09-22", **kw: Any
) -> Case:
    return services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind=kw.pop("applicant_kind", "individual"),
        applicant_name=kw.pop("applicant_name", APPLICANT),
        applicant_id_number=kw.pop("applicant_id_number", APPLICANT_ID),
        applicant_mobile=MOBILE,
        form_data={"shop_name": SHOP, "address": "邯山区陵西大街88号"},
        uploads=[Upload(SimpleUploadedFile(UPLOAD_NAME, PDF, content_type="application/pdf"), materials[0])],
        user=staff["window"],
        at=at(day),
    )


def accepted(version: Any, materials: Any, staff: dict[str, Any]) -> Case:
    """Filed Mon 22 Sep 2025, accepted Mon 29 Sep: 10 working days → due Mon 20 Oct."""
    case = file_case(version, materials, staff)
    services.case_accept(case=case, user=staff["window"], at=at("2025-09-29"))
    return case


def suspended(version: Any, materials: Any, staff: dict[str, Any]) -> Case:
    case = accepted(version, materials, staff)
    services.case_pass_step(case=case, user=staff["handler"], opinion=OPINION, at=at("2025-09-30"))
    services.case_suspend(
        case=case,
        user=staff["reviewer"],
        kind="hearing",
        reason=HEARING_REASON,
        expected_days=5,
        at=at("2025-10-10", "11:00"),
    )
    return case


def delivered(version: Any, materials: Any, staff: dict[str, Any]) -> Case:
    case = suspended(version, materials, staff)
    services.case_resume(case=case, user=staff["reviewer"], result="听证结束", at=at("2025-10-16", "16:00"))
    services.case_extend(case=case, user=staff["approver"], days=10, reason="需实地核查", at=at("2025-10-17"))
    services.case_pass_step(case=case, user=staff["reviewer"], opinion="同意", at=at("2025-10-17", "10:00"))
    services.case_decide(case=case, user=staff["approver"], decision="approved", at=at("2025-10-20"))
    services.case_complete(
        case=case,
        user=staff["approver"],
        fee_charged=0,
        result_number="JY11304020001234",
        at=at("2025-10-21"),
    )
    services.case_deliver(case=case, user=staff["window"], method="window", at=at("2025-10-22"))
    return case


def page(client: Client, case: Case) -> str:
    response = client.get(reverse("progress:detail", args=[case.query_token]))
    assert response.status_code == 200
    return unescape(response.content.decode())


def status_of(html: str) -> str:
    match = re.search(r'<p class="progress-status__text" id="status">(.*?)</p>', html, re.S)
    assert match, "the page has a status line"
    return match.group(1).strip()


def timeline_texts(html: str) -> list[str]:
    """The timeline's event texts, newest first, as shown."""
    return [t.strip() for t in re.findall(r'<p class="timeline__text">(.*?)</p>', html, re.S)]


def assert_no_personal_data(html: str, case: Case) -> None:
    for secret in (
        APPLICANT,
        case.masked_applicant_name,
        APPLICANT_ID,
        case.masked_applicant_id,
        MOBILE,
        SHOP,
        "陵西大街",
        UPLOAD_NAME,
        OPINION,
        HEARING_REASON,
        *STAFF_NAMES,
        *STAFF_LOGINS,
    ):
        assert secret not in html, f"{secret!r} must not appear on the public page"


# --------------------------------------------------------------------------- the page by state


@pytest.mark.django_db
def test_submitted_case_shows_receipt_and_acceptance_due(client, food_licence, materials, staff) -> None:
    case = file_case(food_licence, materials, staff)
    with travel("2025-09-23"):
        html = page(client, case)
    assert status_of(html) == _("Received; awaiting acceptance")
    assert "食品经营许可" in html and "邯山区市场监督管理局" in html and case.number in html
    # acceptance is due 5 working days after Mon 22 Sep: 23–26 Sep and Sun 28 Sep (worked)
    assert '<time datetime="2025-09-28">2025-09-28</time>' in html
    assert timeline_texts(html) == [pgettext("progress", "Application received at the window")]
    assert "2025-09-22 09:00" in html
    assert_no_personal_data(html, case)


@pytest.mark.django_db
def test_supplement_before_acceptance_tells_what_to_do_and_that_the_clock_restarts(
    client, food_licence, materials, staff
) -> None:
    case = file_case(food_licence, materials, staff)
    services.case_request_supplement(
        case=case,
        user=staff["window"],
        items=[{"material": materials[1].pk, "problem": "张晓梅未提交营业执照"}],
        at=at("2025-09-23", "10:00"),
    )
    with travel("2025-09-24"):
        html = page(client, case)
    needed = _("Materials need supplementing (please complete them as the one-time notice lists)")
    assert status_of(html) == needed
    assert timeline_texts(html)[0] == needed
    assert 'id="clock-stopped"' in html
    # the acceptance date is not promised while it is bound to restart
    assert "2025-09-28" not in html
    assert "营业执照" not in html  # what was asked for is in the notice handed to the applicant, not here
    assert_no_personal_data(html, case)


@pytest.mark.django_db
def test_case_being_handled_shows_step_due_date_and_days_left(client, food_licence, materials, staff) -> None:
    case = accepted(food_licence, materials, staff)
    services.case_pass_step(case=case, user=staff["handler"], opinion=OPINION, at=at("2025-09-30"))
    # on Thu 9 Oct, 30 Sep and 9 Oct are used (1–8 Oct are the National Day holiday)
    with travel("2025-10-09"):
        html = page(client, case)
    assert status_of(html) == _("Being handled: %(step)s step") % {"step": "审核"}
    assert timeline_texts(html) == [
        _("%(step)s step completed") % {"step": "承办"},
        pgettext("progress", "Accepted"),
        pgettext("progress", "Application received at the window"),
    ]
    assert '<time datetime="2025-10-20">2025-10-20</time>' in html
    assert _("%(days)s left") % {"days": days_phrase(8, "working")} in html
    assert 'id="clock-stopped"' not in html
    assert_no_personal_data(html, case)


@pytest.mark.django_db
def test_overdue_case_says_by_how_much(client, food_licence, materials, staff) -> None:
    case = accepted(food_licence, materials, staff)
    # due Mon 20 Oct; on Wed 22 Oct two working days are over
    with travel("2025-10-22"):
        html = page(client, case)
    assert _("Overdue by %(days)s") % {"days": days_phrase(2, "working")} in html
    assert "fact--late" in html


@pytest.mark.django_db
def test_suspended_case_says_the_clock_is_stopped(client, food_licence, materials, staff) -> None:
    case = suspended(food_licence, materials, staff)
    # as of Tue 14 Oct, 11, 13 and 14 Oct are stopped: due 20 Oct + 3 working days
    with travel("2025-10-14"):
        html = page(client, case)
    assert status_of(html) == pgettext("progress", "Hearing under way")
    assert timeline_texts(html)[0] == _(
        "%(procedure)s (special procedure; the time it takes is not counted in the time limit)"
    ) % {"procedure": pgettext("progress", "Hearing under way")}
    expected = ngettext("Expected to take about %(n)d day.", "Expected to take about %(n)d days.", 5)
    assert expected % {"n": 5} in html
    assert '<time datetime="2025-10-23">2025-10-23</time>' in html
    assert 'id="clock-stopped"' in html
    assert "progress-status--waiting" in html
    assert_no_personal_data(html, case)


@pytest.mark.django_db
def test_delivered_case_shows_the_whole_journey(client, food_licence, materials, staff) -> None:
    case = delivered(food_licence, materials, staff)
    with travel("2025-11-03"):
        html = page(client, case)
    assert status_of(html) == pgettext("progress", "Completed and delivered")
    assert timeline_texts(html) == [
        pgettext("progress", "Result delivered (collected at the window)"),
        pgettext("progress", "Completed"),
        _("Decision made: approved"),
        _("%(step)s step completed") % {"step": "审核"},
        _("Time limit extended by %(days)s (approved by the head of the department)")
        % {"days": days_phrase(10, "working")},
        _("%(procedure)s finished; handling resumes") % {"procedure": pgettext("progress", "Hearing")},
        _("%(procedure)s (special procedure; the time it takes is not counted in the time limit)")
        % {"procedure": pgettext("progress", "Hearing under way")},
        _("%(step)s step completed") % {"step": "承办"},
        pgettext("progress", "Accepted"),
        pgettext("progress", "Application received at the window"),
    ]
    # 11 working days from acceptance to completion, 5 of them stopped by the hearing
    assert re.search(rf"<dd>\s*{re.escape(days_phrase(6, 'working'))}\s*</dd>", html)
    assert "progress-status--done" in html
    assert 'id="clock-stopped"' not in html and 'id="time-left"' not in html
    assert "JY11304020001234" not in html
    assert_no_personal_data(html, case)


@pytest.mark.django_db
def test_refused_case_gives_no_reason_text_and_no_deadline(client, food_licence, materials, staff) -> None:
    case = file_case(food_licence, materials, staff)
    services.case_refuse(
        case=case,
        user=staff["window"],
        reason=f"{APPLICANT}申请的经营场所不在本辖区",
        legal_basis="《行政许可法》第三十二条",
        at=at("2025-09-23"),
    )
    html = page(client, case)
    assert status_of(html) == pgettext("progress", "Not accepted")
    assert timeline_texts(html)[0] == _(
        "Not accepted (a written notice gives the reasons and the legal basis)"
    )
    assert 'id="timing"' not in html and "2025-09-28" not in html
    assert "经营场所" not in html
    assert_no_personal_data(html, case)


@pytest.mark.django_db
def test_transferred_case_names_the_competent_department(
    client, food_licence, materials, staff, county
) -> None:
    health: Department = DepartmentFactory(name="邯山区卫生健康局", region=county)  # type: ignore[assignment]
    case = file_case(food_licence, materials, staff)
    services.case_transfer(
        case=case, user=staff["window"], to_department=health, reason="属卫生许可", at=at("2025-09-23")
    )
    html = page(client, case)
    assert status_of(html) == _("Transferred to %(department)s") % {"department": "邯山区卫生健康局"}
    assert "progress-status--closed" in html
    assert_no_personal_data(html, case)


@pytest.mark.django_db
def test_withdrawn_case(client, food_licence, materials, staff) -> None:
    case = accepted(food_licence, materials, staff)
    services.case_withdraw(
        case=case, user=staff["window"], reason=f"{APPLICANT}不再经营", at=at("2025-10-09")
    )
    html = page(client, case)
    assert status_of(html) == pgettext("progress", "Withdrawn")
    assert timeline_texts(html)[0] == _("Application withdrawn")
    assert 'id="timing"' not in html
    assert_no_personal_data(html, case)


@pytest.fixture
def joint_licence(market_dept: Department, county: Any, materials: Any) -> ItemVersion:
    """食品经营许可 handled jointly with 公共场所卫生许可 of 邯山区卫生健康局."""
    health: Department = DepartmentFactory(name="邯山区卫生健康局", region=county)  # type: ignore[assignment]
    partner = published_item(
        code="HS-WS-002",
        name="公共场所卫生许可",
        department=health,
        promised_limit=8,
        materials=({"name": "卫生许可申请书"},),
        effective_from=dt.date(2024, 1, 1),
    )
    entry = catalog.entry_upsert(
        code="E-HS-BL-001",
        name="食品经营许可（并联）",
        item_type=ItemType.LICENSING,
        legal_basis="《中华人民共和国行政许可法》第二十六条",
        statutory_limit=45,
    )
    item = catalog.item_create(code="HS-BL-001", entry=entry, department=market_dept, region=county)
    draft = catalog.draft_create(
        item=item,
        fields={
            "name": "食品经营许可（并联）",
            "legal_basis": "《中华人民共和国行政许可法》第二十六条",
            "statutory_limit": 45,
            "promised_limit": 20,
            "parallel_approval": True,
        },
        parts={
            "steps": STEPS,
            "materials": [{"name": "食品经营许可申请书"}],
            "partners": [{"partner": partner.item}],
        },
    )
    return catalog.version_publish(version=draft, effective_from=dt.date(2024, 1, 1))


@pytest.mark.django_db
def test_parallel_approval_shows_the_branches_and_each_branch_its_lead(
    client, joint_licence, staff, django_assert_num_queries
) -> None:
    # given a lead case accepted at the window, which starts a branch at the health bureau
    lead = file_case(joint_licence, list(joint_licence.materials.all()), staff)
    services.case_accept(case=lead, user=staff["window"], at=at("2025-09-29"))
    branch = Case.objects.get(parent=lead)
    # when the applicant opens the lead's page
    with travel("2025-10-09"):
        html = page(client, lead)
    # then the branch is listed with its department, state and due date, without personal data
    assert _("Departments handling this application together") in html
    assert "邯山区卫生健康局" in html and "公共场所卫生许可" in html
    assert pgettext("progress", "Being handled") in html
    assert f"{branch.due_date:%Y-%m-%d}" in html
    assert_no_personal_data(html, lead)
    # and the branch's own page says which application it belongs to, in fewer queries (no branches)
    with travel("2025-10-09"), django_assert_num_queries(3):
        branch_html = page(client, branch)
    assert 'id="joint-note"' in branch_html and lead.number in branch_html
    assert "邯山区卫生健康局" in branch_html
    assert_no_personal_data(branch_html, branch)


@pytest.mark.django_db
def test_page_queries_do_not_grow_with_the_events(
    client, food_licence, materials, staff, django_assert_num_queries
) -> None:
    short = file_case(food_licence, materials, staff)
    long = delivered(food_licence, materials, staff)
    # the case (with its item version and department), the steps, the events, the branches
    with django_assert_num_queries(4):
        page(client, short)
    with django_assert_num_queries(4):
        page(client, long)


# --------------------------------------------------------------------------- unknown tokens, headers


def _assert_private_headers(response: Any) -> None:
    assert response["Cache-Control"] == "no-store"
    # the address never goes to another site (not "no-referrer": see public_views.REFERRER_POLICY)
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.django_db
def test_headers_and_meta_keep_the_page_private(client, food_licence, materials, staff) -> None:
    case = file_case(food_licence, materials, staff)
    response = client.get(reverse("progress:detail", args=[case.query_token]))
    _assert_private_headers(response)
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    # and so does the QR image, which carries the same address
    _assert_private_headers(client.get(reverse("progress:qr", args=[case.query_token])))


@pytest.mark.django_db
def test_unknown_and_malformed_tokens_get_the_same_friendly_404(
    client, food_licence, materials, staff, django_assert_num_queries
) -> None:
    case = file_case(food_licence, materials, staff)
    token = case.query_token
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_case = token.swapcase() if token.swapcase() != token else secrets.token_urlsafe(32)
    candidates = [
        secrets.token_urlsafe(32),
        flipped,
        other_case,
        token[:-1],
        token + "A",
        "abc",
        "x" * 43 + "..",
    ]
    bodies = set()
    for candidate in candidates:
        response = client.get(f"/progress/{candidate}/")
        assert response.status_code == 404, candidate
        _assert_private_headers(response)
        body = response.content.decode()
        assert _("We could not find this case") in unescape(body)
        assert case.number not in body
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)  # differs per response
        bodies.add(body.replace(candidate, "TOKEN"))
        assert client.get(f"/progress/{candidate}/qr.svg").status_code == 404
    assert len(bodies) == 1, "every unknown token gets the very same page"
    # a well-formed unknown token costs one indexed look-up, like a known one
    with django_assert_num_queries(1):
        client.get(f"/progress/{secrets.token_urlsafe(32)}/")
    # a malformed one cannot exist: no query at all
    with django_assert_num_queries(0):
        client.get("/progress/abc/")


@pytest.mark.django_db
def test_the_page_only_answers_get_and_head(client, food_licence, materials, staff) -> None:
    case = file_case(food_licence, materials, staff)
    url = reverse("progress:detail", args=[case.query_token])
    assert client.post(url).status_code == 405
    assert client.head(url).status_code == 200  # link previews ask with HEAD


# --------------------------------------------------------------------------- look-up by number


NO_MATCH = "No case matches this case number and ID ending."


def lookup(client: Client, number: str, tail: str) -> Any:
    return client.post(reverse("progress:index"), {"number": number, "id_tail": tail})


def no_match_message() -> str:
    return _("No case matches this case number and ID ending. Check both against your receipt and try again.")


@pytest.mark.django_db
def test_lookup_form_is_shown(client) -> None:
    response = client.get(reverse("progress:index"))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert 'name="number"' in html and 'name="id_tail"' in html and 'method="post"' in html
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_lookup_with_the_right_number_and_id_ending_opens_the_page(
    client, food_licence, materials, staff
) -> None:
    case = file_case(food_licence, materials, staff)
    response = lookup(client, f" {case.number} ", APPLICANT_ID[-4:])
    assert response.status_code == 302
    assert response["Location"] == reverse("progress:detail", args=[case.query_token])
    # the identifier is never put in the address
    assert APPLICANT_ID[-4:] not in response["Location"]


@pytest.mark.django_db
def test_lookup_accepts_a_lowercase_x_and_an_enterprise_code(client, food_licence, materials, staff) -> None:
    with_x = build_resident_id("130402", dt.date(1990, 1, 1), 2)
    assert with_x.endswith("X")
    case = file_case(food_licence, materials, staff, applicant_id_number=with_x)
    response = lookup(client, case.number, with_x[-4:].lower())
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{case.query_token}/")


@pytest.mark.django_db
def test_lookup_never_says_which_part_was_wrong(client, food_licence, materials, staff) -> None:
    case = file_case(food_licence, materials, staff)
    wrong_tail = "0000" if APPLICANT_ID[-4:] != "0000" else "1111"
    unknown_number = case.number[:-6] + "999999"
    answers = []
    for number, tail in (
        (case.number, wrong_tail),
        (unknown_number, APPLICANT_ID[-4:]),
        (unknown_number, wrong_tail),
    ):
        response = lookup(client, number, tail)
        assert response.status_code == 200
        html = unescape(response.content.decode())
        assert no_match_message() in html
        assert case.query_token not in html
        answers.append(re.search(r'id="lookup-error"><p>(.*?)</p>', html, re.S).group(1))  # type: ignore[union-attr]
    assert len(set(answers)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "tail", "field"),
    [
        ("", "2310", "number"),
        ("1304022025", "", "id_tail"),
        ("1304022025", "231", "id_tail"),
        ("1304022025", "23101", "id_tail"),
        ("1304022025", "23*0", "id_tail"),
        ("1304<script>", "2310", "number"),
        ("1" * 41, "2310", "number"),
    ],
)
def test_lookup_format_errors_are_named_and_not_counted(client, number, tail, field) -> None:
    for _attempt in range(6):
        response = lookup(client, number, tail)
        assert response.status_code == 400
        assert response.context["form"].errors.get(field), response.context["form"].errors
    # six malformed tries did not lock the session
    assert client.get(reverse("progress:index")).context["error"] == ""


@pytest.mark.django_db
def test_lookup_is_post_only(client, food_licence, materials, staff) -> None:
    case = file_case(food_licence, materials, staff)
    response = client.get(reverse("progress:index"), {"number": case.number, "id_tail": APPLICANT_ID[-4:]})
    assert response.status_code == 200  # the form again, no redirect
    assert case.query_token not in response.content.decode()


@pytest.mark.django_db
def test_lookup_requires_the_csrf_token(food_licence, materials, staff) -> None:
    case = file_case(food_licence, materials, staff)
    strict = Client(enforce_csrf_checks=True)
    assert lookup(strict, case.number, APPLICANT_ID[-4:]).status_code == 403


@pytest.mark.django_db
def test_five_wrong_tries_lock_the_session_for_fifteen_minutes(
    client, food_licence, materials, staff
) -> None:
    case = file_case(food_licence, materials, staff)
    right = APPLICANT_ID[-4:]
    wrong = "0000" if right != "0000" else "1111"
    with travel("2025-10-09", "10:00") as traveller:
        for attempt in range(1, 5):
            assert lookup(client, case.number, wrong).status_code == 200, attempt
        fifth = lookup(client, case.number, wrong)
        assert fifth.status_code == 429
        assert "15" in fifth.context["error"]
        # then even the right answer is refused, and the page says so on a plain visit too
        locked = lookup(client, case.number, right)
        assert locked.status_code == 429
        assert case.query_token not in locked.content.decode()
        assert client.get(reverse("progress:index")).context["error"] == fifth.context["error"]
        # another browser is not affected
        assert lookup(Client(), case.number, right).status_code == 302
        traveller.shift(dt.timedelta(minutes=14))
        assert lookup(client, case.number, right).status_code == 429
        traveller.shift(dt.timedelta(minutes=1, seconds=1))
        response = lookup(client, case.number, right)
        assert response.status_code == 302
        # and the count starts afresh
        for attempt in range(1, 5):
            assert lookup(client, case.number, wrong).status_code == 200, attempt


@pytest.mark.django_db
def test_a_success_resets_the_count(client, food_licence, materials, staff) -> None:
    case = file_case(food_licence, materials, staff)
    right = APPLICANT_ID[-4:]
    wrong = "0000" if right != "0000" else "1111"
    for _attempt in range(4):
        lookup(client, case.number, wrong)
    assert lookup(client, case.number, right).status_code == 302
    for attempt in range(4):
        assert lookup(client, case.number, wrong).status_code == 200, attempt


@pytest.mark.django_db
def test_wrong_tries_on_one_number_from_many_browsers_pause_that_number(
    settings, food_licence, materials, staff
) -> None:
    settings.PROGRESS_LOOKUP_MAX_FAILURES_PER_NUMBER = 3
    case = file_case(food_licence, materials, staff)
    other = file_case(food_licence, materials, staff)
    right = APPLICANT_ID[-4:]
    wrong = "0000" if right != "0000" else "1111"
    for _attempt in range(3):  # each from a fresh browser (cookies dropped)
        assert lookup(Client(), case.number, wrong).status_code == 200
    paused = lookup(Client(), case.number, right)
    assert paused.status_code == 429
    assert case.query_token not in paused.content.decode()
    # other numbers are unaffected
    assert lookup(Client(), other.number, right).status_code == 302
    # an unknown number pauses the same way (no hint that it does not exist)
    unknown = case.number[:-6] + "999999"
    for _attempt in range(3):
        lookup(Client(), unknown, wrong)
    assert lookup(Client(), unknown, right).status_code == 429


# --------------------------------------------------------------------------- in a phone's browser

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(tempfile.gettempdir()) / "yiwang-screenshots"
PHONE: Any = {"width": 375, "height": 812}
ORIGIN = "http://testserver"


@contextmanager
def phone_served_by_django(client: Client) -> Iterator[Any]:
    """A page in Debian's headless Chromium whose requests to ``ORIGIN`` Django answers
    through ``client``, inside this test's database transaction.

    No live server: its thread sees only committed data, so it needs a transactional
    test, whose teardown TRUNCATEs every table, which the ledger's PostgreSQL trigger
    refuses. Instead the page's requests are intercepted and answered by the test
    client, on this test's own database connection, in a worker thread: once
    Playwright's event loop runs in this thread, Django (through asgiref) takes the
    thread for async code and would hand out another connection, outside the
    transaction. Chromium does not follow a redirect fulfilled by an interception (it
    goes to the network instead), so a redirect is handed over as an immediate refresh,
    which is a real navigation. The client keeps the cookies and enforces CSRF as
    production does, given the browser's own Origin and Referer.
    """
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        message = f"Debian Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("YIWANG_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; YIWANG_REQUIRE_BROWSER=1 requires the browser tests to run")
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM must be told it is deliberate.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    test_connection = connections[DEFAULT_DB_ALIAS]  # before Playwright's loop runs in this thread
    test_connection.inc_thread_sharing()

    def adopt_test_connection() -> None:
        connections[DEFAULT_DB_ALIAS] = test_connection

    worker = ThreadPoolExecutor(max_workers=1, initializer=adopt_test_connection)
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def answer(route: Any) -> None:
        request = route.request
        url = urlsplit(request.url)
        if url.path.startswith(static_prefix):
            found = finders.find(url.path[len(static_prefix) :])
            if not found:
                route.fulfill(status=404, body="")
                return
            content_type = mimetypes.guess_type(str(found))[0] or "application/octet-stream"
            route.fulfill(status=200, body=Path(str(found)).read_bytes(), content_type=content_type)
            return
        passed = {k: v for k, v in request.headers.items() if k.lower() in ("origin", "referer")}
        response = worker.submit(
            client.generic,
            request.method,
            url.path + (f"?{url.query}" if url.query else ""),
            data=request.post_data_buffer or b"",
            content_type=request.headers.get("content-type", ""),
            headers=passed,
        ).result()
        if 300 <= response.status_code < 400 and response.has_header("Location"):
            body = f'<meta http-equiv="refresh" content="0;url={escape(response["Location"])}">'
            route.fulfill(status=200, content_type="text/html", body=body)
            return
        route.fulfill(status=response.status_code, headers=dict(response.items()), body=response.content)

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            context = chromium.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
            browser_page = context.new_page()
            browser_page.set_default_timeout(10_000)
            browser_page.route(f"{ORIGIN}/**", answer)
            yield browser_page
        finally:
            chromium.close()
            worker.shutdown()
            test_connection.dec_thread_sharing()


@pytest.mark.browser
@pytest.mark.django_db
def test_phone_scans_the_qr_code_and_reads_the_progress(food_licence, materials, staff) -> None:
    # given a case filed a few days ago, accepted, past its first step and now in a hearing
    now = timezone.now()

    def ago(days: int, hours: int = 0) -> dt.datetime:
        return now - dt.timedelta(days=days, hours=hours)

    case = services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name=APPLICANT,
        applicant_id_number=APPLICANT_ID,
        applicant_mobile=MOBILE,
        form_data={"shop_name": SHOP},
        user=staff["window"],
        at=ago(9),
    )
    services.case_accept(case=case, user=staff["window"], at=ago(8))
    services.case_pass_step(case=case, user=staff["handler"], opinion=OPINION, at=ago(6))
    services.case_suspend(
        case=case, user=staff["reviewer"], kind="hearing", reason=HEARING_REASON, expected_days=5, at=ago(2)
    )
    token, number = case.query_token, case.number
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with phone_served_by_django(Client(enforce_csrf_checks=True)) as browser_page:
        # when the applicant opens the address in the QR code
        browser_page.goto(ORIGIN + reverse("progress:detail", args=[token]))
        # then the status, the timeline and the stopped clock show, and nothing is wider than the phone
        assert browser_page.locator("h1").inner_text() == "食品经营许可"
        assert browser_page.locator(".timeline__event").count() == 4
        assert browser_page.locator("#clock-stopped").is_visible()
        assert browser_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # the portal's stylesheet applies (the page looks like the rest of the site), and the page's own
        header = "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
        assert browser_page.evaluate(header) == "rgb(11, 78, 162)"
        card = "getComputedStyle(document.querySelector('.progress-status')).borderTopWidth"
        assert browser_page.evaluate(card) == "4px"
        body = browser_page.locator("body").inner_text()
        assert APPLICANT not in body and MOBILE not in body and "李承办" not in body
        browser_page.screenshot(path=str(SCREENSHOTS / "phone-progress.png"), full_page=True)
        # the QR code of the page opens and fits
        browser_page.locator(".qr-box summary").click()
        box = browser_page.locator(".qr-box__code svg").bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
        browser_page.screenshot(path=str(SCREENSHOTS / "phone-progress-qr.png"), full_page=True)
        # the header's language switch (a POST form, CSRF-checked against the Origin) works from the page
        browser_page.click(".lang-switch button[value=en]")
        browser_page.wait_for_url(f"**/progress/{token}/")
        assert browser_page.locator("html").get_attribute("lang") == "en"
        assert browser_page.locator(".timeline__event").count() == 4

        # when a visitor looks the case up by number instead
        browser_page.goto(ORIGIN + reverse("progress:index"))
        browser_page.fill("#id_number", number)
        browser_page.fill("#id_id_tail", APPLICANT_ID[-4:])
        browser_page.screenshot(path=str(SCREENSHOTS / "phone-progress-lookup.png"), full_page=True)
        browser_page.click("form.lookup-form button[type=submit]")
        browser_page.wait_for_url(f"**/progress/{token}/")
        assert browser_page.locator("#status").is_visible()

        # and a mistyped address gets the friendly page
        response = browser_page.goto(ORIGIN + "/progress/not-a-token/")
        assert response is not None and response.status == 404
        assert browser_page.locator(".page-title").is_visible()
        browser_page.screenshot(path=str(SCREENSHOTS / "phone-progress-not-found.png"), full_page=True)
