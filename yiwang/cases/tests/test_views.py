"""The staff workbench through its pages: lists, the case page, actions (and every kind
of refused action), files, and window intake."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, CaseFile, CaseState, Channel
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import APPLICANT_ID
from yiwang.catalog.factories import published_item
from yiwang.org.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf(name: str = "申请书.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def file_case(version: Any, user: Any, *, name: str = "张晓梅", uploads: Any = ()) -> Case:
    return services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name=name,
        applicant_id_number=APPLICANT_ID,
        applicant_mobile="13831012345",
        uploads=list(uploads),
        user=user,
    )


def as_user(user: Any, language: str = "en") -> Client:
    """A signed-in client; English by default so that messages read as their msgids (the
    Chinese pages are checked on their own)."""
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def snapshot(case: Case) -> tuple[Any, ...]:
    """What must not change when an action is refused."""
    case = Case.objects.get(pk=case.pk)
    return (
        case.state,
        case.step_index,
        case.last_seq,
        case.last_hash,
        CaseEvent.objects.filter(case=case).count(),
    )


def act(client: Client, case: Case, action: str, data: dict[str, Any], **extra: Any) -> Any:
    prefixed = {f"{action}-{k}": v for k, v in data.items()}
    return client.post(f"/work/cases/{case.number}/actions/{action}/", prefixed, **extra)


# --------------------------------------------------------------------------- access


def test_the_workbench_needs_a_login(client: Client) -> None:
    response = client.get("/work/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/work/")


def test_an_account_without_a_staff_record_is_refused(db: None) -> None:
    citizen = UserFactory(username="citizen", is_staff=False)
    assert as_user(citizen).get("/work/").status_code == 403


# --------------------------------------------------------------------------- lists


def test_my_queue_shows_due_dates_and_colours(food_licence, window_user) -> None:
    case = file_case(food_licence, window_user)
    response = as_user(window_user).get("/work/")
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html
    assert case.acceptance_due.isoformat() in html
    assert "case-row--normal" in html
    assert response["Cache-Control"].startswith("max-age=0")


def _page_queries(client: Client, url: str, method: str = "get", data: Any = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_queue_done_and_search_pages_take_constant_queries(food_licence, window_user, handler_user) -> None:
    def measure() -> list[int]:
        client = as_user(get_user_model().objects.get(pk=window_user.pk))
        return [
            _page_queries(client, "/work/"),
            _page_queries(client, "/work/done/"),
            _page_queries(client, "/work/search/", "post", {"item": "食品"}),
        ]

    for i in range(3):
        case = file_case(food_licence, window_user, name=f"甲{i}")
        services.case_request_supplement(
            case=case, user=window_user, items=[{"material": None, "name": "平面图", "problem": "未提交"}]
        )
    small = measure()
    for i in range(27):
        case = file_case(food_licence, window_user, name=f"乙{i}")
        services.case_request_supplement(
            case=case, user=window_user, items=[{"material": None, "name": "平面图", "problem": "未提交"}]
        )
    assert measure() == small


def test_queue_is_paginated(food_licence, window_user) -> None:
    for i in range(21):
        file_case(food_licence, window_user, name=f"甲{i}")
    client = as_user(window_user)
    first = client.get("/work/").content.decode()
    assert first.count('class="case-row ') == 20
    second = client.get("/work/?page=2").content.decode()
    assert second.count('class="case-row ') == 1


def test_search_is_posted_so_the_id_number_never_enters_a_url(food_licence, window_user) -> None:
    case = file_case(food_licence, window_user)
    client = as_user(window_user)
    # a GET with criteria in the address searches nothing
    got = client.get("/work/search/", {"applicant_id_number": APPLICANT_ID})
    assert case.number not in got.content.decode()
    assert 'method="post"' in got.content.decode()
    # the POSTed search finds it, and the page shows no full ID number
    posted = client.post("/work/search/", {"applicant_id_number": APPLICANT_ID})
    html = posted.content.decode()
    assert case.number in html
    assert APPLICANT_ID not in html


def test_an_empty_search_says_what_is_missing(food_licence, window_user) -> None:
    response = as_user(window_user).post("/work/search/", {})
    assert response.status_code == 422
    assert (
        "Enter at least one search criterion." in response.content.decode()
        or "至少" in response.content.decode()
    )


def test_done_lists_what_i_did(food_licence, window_user, handler_user) -> None:
    case = file_case(food_licence, window_user)
    assert case.number not in as_user(handler_user).get("/work/done/").content.decode()
    services.case_accept(case=case, user=window_user)
    services.case_pass_step(case=case, user=handler_user, opinion="同意")
    assert case.number in as_user(handler_user).get("/work/done/").content.decode()


# --------------------------------------------------------------------------- the case page


def test_case_page_shows_timeline_deadlines_materials_and_masked_applicant(
    food_licence, materials, window_user, handler_user
) -> None:
    case = file_case(food_licence, window_user, uploads=[Upload(pdf(), materials[0])])
    services.case_accept(case=case, user=window_user, note="材料齐全")
    html = as_user(handler_user).get(f"/work/cases/{case.number}/").content.decode()
    assert "材料齐全" in html  # the acceptance note in the timeline
    assert "孙窗口" in html  # who
    assert "申请书.pdf" in html  # the material
    assert f'id="due-date">{Case.objects.get(pk=case.pk).due_date.isoformat()}<' in html
    assert "130402********2310" in html and APPLICANT_ID not in html
    assert "138****2345" in html and "13831012345" not in html
    assert 'id="action-pass_step"' in html and 'id="action-accept"' not in html


def test_a_case_of_another_county_is_not_found(
    food_licence, materials, window_user, neighbour_approver
) -> None:
    case = file_case(food_licence, window_user, uploads=[Upload(pdf(), materials[0])])
    stored = CaseFile.objects.get(case=case)
    client = as_user(neighbour_approver)
    assert client.get(f"/work/cases/{case.number}/").status_code == 404
    assert client.get(f"/work/cases/{case.number}/files/{stored.pk}/").status_code == 404
    assert client.get(f"/work/cases/{case.number}/documents/receipt.pdf").status_code == 404
    before = snapshot(case)
    assert act(client, case, "accept", {}).status_code == 404
    assert snapshot(case) == before


def test_files_are_served_only_through_the_case(food_licence, materials, window_user) -> None:
    case = file_case(food_licence, window_user, uploads=[Upload(pdf(), materials[0])])
    other = file_case(food_licence, window_user, name="李华")
    stored = CaseFile.objects.get(case=case)
    client = as_user(window_user)
    inline = client.get(f"/work/cases/{case.number}/files/{stored.pk}/")
    assert inline.status_code == 200
    assert b"".join(inline.streaming_content) == PDF
    assert inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    download = client.get(f"/work/cases/{case.number}/files/{stored.pk}/?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    # a file id under another case's number is not found
    assert client.get(f"/work/cases/{other.number}/files/{stored.pk}/").status_code == 404


# --------------------------------------------------------------------------- actions


def test_the_whole_journey_through_the_pages(
    food_licence, window_user, handler_user, reviewer_user, approver_user
) -> None:
    case = file_case(food_licence, window_user)
    assert act(as_user(window_user), case, "accept", {"note": ""}).status_code == 302
    assert act(as_user(handler_user), case, "pass_step", {"opinion": "符合条件"}).status_code == 302
    assert act(as_user(reviewer_user), case, "pass_step", {"opinion": "同意"}).status_code == 302
    approver = as_user(approver_user)
    assert act(approver, case, "decide", {"decision": "approved"}).status_code == 302
    response = act(approver, case, "complete", {"fee_charged": "0", "result_number": "JY1130402"})
    assert response.status_code == 302
    assert act(as_user(window_user), case, "deliver", {"method": "window"}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DELIVERED
    page = as_user(window_user).get(f"/work/cases/{case.number}/").content.decode()
    assert "JY1130402" in page


def test_htmx_success_redirects_the_page_and_errors_swap_the_form(food_licence, window_user) -> None:
    case = file_case(food_licence, window_user)
    client = as_user(window_user)
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "action-refuse"}
    refused = act(client, case, "refuse", {"reason": "不属于本机关职权范围", "legal_basis": ""}, **headers)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert html.lstrip().startswith('<details class="action action--grave" id="action-refuse" open')
    assert "不属于本机关职权范围" in html  # what was typed stays
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    ok = act(client, case, "accept", {}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200
    assert ok["HX-Redirect"] == f"/work/cases/{case.number}/"


@pytest.mark.parametrize(
    ("who", "action", "data", "message"),
    [
        # approve before accept
        ("approver", "decide", {"decision": "approved"}, "this action is not possible now"),
        # wrong role: a handler cannot accept
        ("handler", "accept", {}, "You may not do this on case"),
        # a one-time notice that names no material
        ("window", "supplement", {}, "Name every material that is missing or defective"),
        # refusal without its legal basis
        ("window", "refuse", {"reason": "不属于本机关职权", "legal_basis": " "}, "Cite the legal basis"),
        # a decision that is neither approve nor deny
        ("approver", "decide", {"decision": "maybe"}, "Select a valid choice"),
        # a step passed before acceptance
        ("handler", "pass_step", {"opinion": "同意"}, "You may not do this on case"),
    ],
)
def test_refused_actions_show_a_specific_error_and_change_nothing(
    food_licence, window_user, handler_user, approver_user, who, action, data, message
) -> None:
    case = file_case(food_licence, window_user)
    users = {"window": window_user, "handler": handler_user, "approver": approver_user}
    before = snapshot(case)
    response = act(as_user(users[who]), case, action, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot(case) == before


def test_refused_actions_after_acceptance(food_licence, window_user, handler_user, approver_user) -> None:
    case = file_case(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    before = snapshot(case)
    approver = as_user(approver_user)
    # decide while the case is still at 承办
    response = act(approver, case, "decide", {"decision": "approved"})
    assert response.status_code == 422 and "it cannot be decided yet" in response.content.decode()
    # an extension beyond the cap (10 working days for licensing)
    response = act(approver, case, "extend", {"days": "11", "reason": "需实地核查"})
    assert response.status_code == 422 and "at most 10 days" in response.content.decode()
    # a suspension without its expected length
    response = act(
        as_user(handler_user), case, "suspend", {"kind": "hearing", "reason": "听证", "expected_days": "x"}
    )
    assert response.status_code == 422 and "whole number of days" in response.content.decode()
    assert snapshot(case) == before


def test_completion_needs_a_fee_in_yuan(
    food_licence, window_user, handler_user, reviewer_user, approver_user
) -> None:
    case = file_case(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    services.case_pass_step(case=case, user=handler_user, opinion="同意")
    services.case_pass_step(case=case, user=reviewer_user, opinion="同意")
    services.case_decide(case=case, user=approver_user, decision="approved")
    before = snapshot(case)
    approver = as_user(approver_user)
    words = act(approver, case, "complete", {"fee_charged": "五十元", "result_number": "JY1"})
    assert words.status_code == 422 and "Enter the fee in yuan" in words.content.decode()
    negative = act(approver, case, "complete", {"fee_charged": "-1", "result_number": "JY1"})
    assert negative.status_code == 422 and 'id="id_complete-fee_charged-error"' in negative.content.decode()
    assert snapshot(case) == before


def test_separation_of_duties_through_the_page(
    food_licence, market_dept, window_user, handler_user, reviewer_user
) -> None:
    from yiwang.org.factories import grant
    from yiwang.org.models import Role

    grant(window_user.staff, Role.APPROVER, department=market_dept)
    case = file_case(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    services.case_pass_step(case=case, user=handler_user, opinion="同意")
    services.case_pass_step(case=case, user=reviewer_user, opinion="同意")
    before = snapshot(case)
    client = as_user(window_user)
    page = client.get(f"/work/cases/{case.number}/").content.decode()
    assert 'id="action-decide"' not in page
    response = act(client, case, "decide", {"decision": "approved"})
    assert response.status_code == 422 and "Separation of duties" in response.content.decode()
    assert snapshot(case) == before


def test_supplement_notice_then_supplement_with_an_upload(food_licence, materials, window_user) -> None:
    case = file_case(food_licence, window_user)
    client = as_user(window_user)
    response = act(
        client,
        case,
        "supplement",
        {
            f"problem_{materials[1].pk}": "未提交",
            "other_name_1": "场所平面图",
            "other_problem_1": "未标注面积",
        },
    )
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event.payload["items"] == [
        {"material": materials[1].pk, "name": "营业执照复印件", "problem": "未提交"},
        {"material": None, "name": "场所平面图", "problem": "未标注面积"},
    ]
    assert Case.objects.get(pk=case.pk).state == CaseState.SUPPLEMENT
    # a half-filled free row is refused before anything is written
    before = snapshot(case)
    half = act(client, case, "receive_supplement", {"note": ""})
    assert half.status_code == 422 and "Hand in the materials the notice lists." in half.content.decode()
    assert snapshot(case) == before
    fake = pdf("营业执照.pdf", "只是一段文字".encode())
    refused = act(client, case, "receive_supplement", {f"material_{materials[1].pk}": fake})
    assert (
        refused.status_code == 422 and "is not a PDF, JPEG, PNG or OFD document" in refused.content.decode()
    )
    assert snapshot(case) == before and CaseFile.objects.filter(case=case).count() == 0
    received = act(client, case, "receive_supplement", {f"material_{materials[1].pk}": pdf("营业执照.pdf")})
    assert received.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    assert CaseFile.objects.filter(case=case, material=materials[1]).count() == 1


def test_a_supplement_row_with_a_name_but_no_problem_is_refused(food_licence, window_user) -> None:
    case = file_case(food_licence, window_user)
    before = snapshot(case)
    response = act(as_user(window_user), case, "supplement", {"other_name_1": "场所平面图"})
    assert response.status_code == 422
    assert "Say what is missing or wrong with “场所平面图”." in response.content.decode()
    assert snapshot(case) == before


def test_return_suspend_resume_extend_and_withdraw(
    food_licence, window_user, handler_user, reviewer_user, approver_user
) -> None:
    case = file_case(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    services.case_pass_step(case=case, user=handler_user, opinion="同意")
    reviewer = as_user(reviewer_user)
    assert act(reviewer, case, "return", {"to_step": "0", "reason": "缺现场照片"}).status_code == 302
    assert Case.objects.get(pk=case.pk).step_index == 0
    handler = as_user(handler_user)
    assert (
        act(
            handler, case, "suspend", {"kind": "site_inspection", "reason": "核查场所", "expected_days": "3"}
        ).status_code
        == 302
    )
    assert Case.objects.get(pk=case.pk).state == CaseState.SUSPENDED
    assert act(handler, case, "resume", {"result": "场所符合要求"}).status_code == 302
    assert act(as_user(approver_user), case, "extend", {"days": "5", "reason": "情况复杂"}).status_code == 302
    assert Case.objects.get(pk=case.pk).extension_days == 5
    assert act(as_user(window_user), case, "withdraw", {"reason": "申请人书面申请撤回"}).status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.WITHDRAWN


def test_transfer_to_the_competent_department(food_licence, window_user, other_market_dept) -> None:
    case = file_case(food_licence, window_user)
    client = as_user(window_user)
    missing = act(client, case, "transfer", {"reason": "属丛台区管辖"})
    assert missing.status_code == 422 and "Choose the department" in missing.content.decode()
    done = act(
        client, case, "transfer", {"to_department": str(other_market_dept.pk), "reason": "属丛台区管辖"}
    )
    assert done.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.TRANSFERRED


def test_an_unknown_action_is_not_found(food_licence, window_user) -> None:
    case = file_case(food_licence, window_user)
    assert as_user(window_user).post(f"/work/cases/{case.number}/actions/approve_all/").status_code == 404
    assert as_user(window_user).get(f"/work/cases/{case.number}/actions/accept/").status_code == 405


# --------------------------------------------------------------------------- intake


def intake_data(version: Any, key: Any = None, **overrides: Any) -> dict[str, Any]:
    data = {
        "version": str(version.pk),
        "idempotency_key": str(key or uuid.uuid4()),
        "applicant_kind": "individual",
        "applicant_name": "张晓梅",
        "applicant_id_number": APPLICANT_ID,
        "applicant_mobile": "13831012345",
    }
    data.update(overrides)
    return data


def test_intake_offers_the_items_in_force_of_the_windows_region(
    food_licence, window_user, other_market_dept
) -> None:
    neighbour = published_item(code="CT-SPJY-001", name="丛台食品经营许可", department=other_market_dept)
    html = as_user(window_user).get("/work/intake/").content.decode()
    assert "食品经营许可" in html and f'value="{food_licence.pk}"' in html
    assert f'value="{neighbour.pk}"' not in html
    # the chosen item's materials each get an upload field, with a fresh idempotency key
    page = as_user(window_user).get(f"/work/intake/?version={food_licence.pk}").content.decode()
    for material in food_licence.materials.all():
        assert f'name="material_{material.pk}"' in page
    assert 'name="idempotency_key"' in page
    # another county's item cannot be chosen, even by its id
    refused = as_user(window_user).get(f"/work/intake/?version={neighbour.pk}")
    assert refused.status_code == 422
    assert "Choose a service item in force that your window handles." in refused.content.decode()


def test_intake_files_a_case_with_its_materials_and_redirects_to_it(
    food_licence, materials, window_user
) -> None:
    client = as_user(window_user)
    data = intake_data(food_licence, **{f"material_{materials[0].pk}": pdf()})
    response = client.post("/work/intake/", data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/work/cases/{case.number}/#documents"
    assert case.channel == Channel.WINDOW and case.applicant_mobile == "13831012345"
    assert list(case.files.values_list("material", flat=True)) == [materials[0].pk]
    page = client.get(response["Location"]).content.decode()
    assert f"/work/cases/{case.number}/documents/receipt.pdf" in page


def test_a_double_submitted_intake_creates_one_case(food_licence, materials, window_user) -> None:
    client = as_user(window_user)
    key = uuid.uuid4()
    first = client.post(
        "/work/intake/", intake_data(food_licence, key, **{f"material_{materials[0].pk}": pdf()})
    )
    second = client.post(
        "/work/intake/", intake_data(food_licence, key, **{f"material_{materials[0].pk}": pdf()})
    )
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1
    assert CaseFile.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"applicant_id_number": "130402198805172319"}, "applicant_id_number", "check"),
        ({"applicant_id_number": ""}, "applicant_id_number", ""),
        ({"applicant_name": "  "}, "applicant_name", "Enter the applicant&#x27;s name."),
        ({"applicant_mobile": "1383101234"}, "applicant_mobile", "A mobile number is 11 digits"),
        ({"applicant_kind": "robot"}, "applicant_kind", "Select a valid choice"),
        ({"applicant_kind": "enterprise"}, "applicant_id_number", ""),
    ],
)
def test_intake_refuses_bad_applicant_data(food_licence, window_user, overrides, field, message) -> None:
    response = as_user(window_user).post("/work/intake/", intake_data(food_licence, **overrides))
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_{field}-error"' in html
    assert message in html
    assert Case.objects.count() == 0


def test_intake_refuses_a_pdf_that_is_really_text(food_licence, materials, window_user) -> None:
    fake = SimpleUploadedFile("营业执照.pdf", "这不是PDF文件".encode(), content_type="application/pdf")
    response = as_user(window_user).post(
        "/work/intake/", intake_data(food_licence, **{f"material_{materials[1].pk}": fake})
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_material_{materials[1].pk}-error"' in html
    assert "is not a PDF, JPEG, PNG or OFD document" in html
    assert Case.objects.count() == 0 and CaseFile.objects.count() == 0


def test_intake_refuses_a_file_over_the_size_limit(settings, food_licence, materials, window_user) -> None:
    settings.CASE_UPLOAD_MAX_BYTES = 1024
    big = pdf("大文件.pdf", PDF + b"0" * 2048)
    response = as_user(window_user).post(
        "/work/intake/", intake_data(food_licence, **{f"material_{materials[0].pk}": big})
    )
    assert response.status_code == 422
    assert "the limit is 1.0" in response.content.decode()
    assert Case.objects.count() == 0 and CaseFile.objects.count() == 0


def test_intake_needs_the_window_role(food_licence, handler_user) -> None:
    response = as_user(handler_user).post("/work/intake/", intake_data(food_licence))
    assert response.status_code == 422
    assert Case.objects.count() == 0


def test_the_workbench_speaks_chinese_by_default(food_licence, window_user) -> None:
    case = file_case(food_licence, window_user)
    client = as_user(window_user, language="")
    queue = client.get("/work/").content.decode()
    assert "我的待办" in queue and "已提交，待受理" in queue
    before = snapshot(case)
    refused = act(client, case, "supplement", {})
    assert refused.status_code == 422
    assert "请在一次性告知书中列明所有缺少或需补正的材料。" in refused.content.decode()
    assert snapshot(case) == before
