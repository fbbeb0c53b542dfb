"""POST /api/v1/cases/: filing a case as JSON or multipart, idempotently."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from yiwang.api.tests.conftest import (
    APPLICANT_ID,
    CASES,
    PDF,
    PNG,
    application,
    assert_problem,
    multipart_application,
    pdf,
)
from yiwang.cases.models import Case, CaseEvent, CaseFile, CaseState, Channel
from yiwang.core.identifiers import build_resident_id

pytestmark = pytest.mark.django_db


def test_window_files_a_case_as_json(window: APIClient, food_licence, window_user) -> None:
    # When the window files an application without files
    response = window.post(CASES, application(), format="json")

    # Then the case exists, at the window, awaiting acceptance, and the answer is its detail
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert body["number"] == case.number
    assert response["Location"] == f"{CASES}{case.number}/"
    assert body["state"] == CaseState.SUBMITTED
    assert body["channel"] == Channel.WINDOW
    assert body["item"] == {"code": "HS-SPJY-001", "name": "食品经营许可", "version": 1}
    assert body["applicant_id_number"] == APPLICANT_ID
    assert body["form_data"]["经营场所"] == "邯山区陵西南大街88号"
    assert case.acceptance_due is not None
    assert body["deadlines"]["acceptance_due"] == case.acceptance_due.isoformat()
    assert set(body["actions"]) == {"accept", "refuse", "transfer", "supplement-request", "withdraw"}
    assert CaseEvent.objects.get(case=case).actor_id == window_user.pk


def test_files_arrive_per_material_in_multipart(window: APIClient, materials) -> None:
    # Given two files for the application form and a photo for "other documents"
    body = application(form_data='{"经营场所": "陵西南大街88号"}')
    body[f"material_{materials[0].pk}"] = [pdf("申请书.pdf"), pdf("申请书-附页.pdf", PDF + b"page 2")]
    body["other"] = pdf("门头照片.png", PNG)

    # When they are filed in one multipart request
    response = window.post(CASES, body, format="multipart")

    # Then each file is stored against its material, with its SHA-256, and listed on the case
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    stored = {f.name: f for f in CaseFile.objects.filter(case=case)}
    assert set(stored) == {"申请书.pdf", "申请书-附页.pdf", "门头照片.png"}
    assert stored["申请书.pdf"].material == materials[0]
    assert stored["门头照片.png"].material is None
    assert stored["门头照片.png"].content_type == "image/png"
    listed = {f["name"]: f for f in response.json()["files"]}
    assert listed["申请书.pdf"]["sha256"] == stored["申请书.pdf"].sha256
    assert listed["申请书.pdf"]["material"] == materials[0].pk
    assert response.json()["form_data"] == {"经营场所": "陵西南大街88号"}
    apply_event = CaseEvent.objects.get(case=case, seq=1)
    assert sorted(f["sha256"] for f in apply_event.payload["files"]) == sorted(
        f.sha256 for f in stored.values()
    )


def test_an_applicant_files_online_from_their_own_account(
    citizen: APIClient, citizen_user, food_licence
) -> None:
    response = citizen.post(CASES, application(), format="json")

    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.channel == Channel.ONLINE
    assert case.applicant_user == citizen_user
    # and they see their case, and may withdraw it, but not accept it
    assert response.json()["actions"] == ["withdraw"]
    assert citizen.get(f"{CASES}{case.number}/").status_code == 200


def test_the_same_idempotency_key_twice_files_one_case(window: APIClient, materials) -> None:
    def send() -> Any:
        body = multipart_application()
        body[f"material_{materials[0].pk}"] = pdf()
        return window.post(CASES, body, format="multipart", HTTP_IDEMPOTENCY_KEY="intake-2025-0001")

    first = send()
    second = send()

    assert first.status_code == 201, first.content
    assert second.status_code == 200, second.content
    assert second.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1
    assert CaseFile.objects.count() == 1
    assert CaseEvent.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"applicant_id_number": build_resident_id("130402", dt.date(1990, 1, 2), 17)},
        {"applicant_name": "张小梅"},
        {"form_data": {"经营场所": "另一个地址"}},
    ],
    ids=["other applicant", "other name", "other form"],
)
def test_the_same_key_with_a_different_body_is_a_conflict(window: APIClient, food_licence, change) -> None:
    # Given a case filed with a key
    first = window.post(CASES, application(), format="json", HTTP_IDEMPOTENCY_KEY="k-42")
    assert first.status_code == 201

    # When the key comes back with a different application
    response = window.post(CASES, application(**change), format="json", HTTP_IDEMPOTENCY_KEY="k-42")

    # Then it is a 409 naming the first case, and still only that case exists
    body = assert_problem(response, 409, "idempotency_conflict")
    assert first.json()["number"] in body["detail"]
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_the_same_key_with_different_files_is_a_conflict(window: APIClient, materials) -> None:
    body = multipart_application()
    body[f"material_{materials[0].pk}"] = pdf()
    assert window.post(CASES, body, format="multipart", HTTP_IDEMPOTENCY_KEY="k-files").status_code == 201

    body = multipart_application()
    body[f"material_{materials[0].pk}"] = pdf(content=PDF + b"another version")
    response = window.post(CASES, body, format="multipart", HTTP_IDEMPOTENCY_KEY="k-files")

    assert_problem(response, 409, "idempotency_conflict")
    assert CaseFile.objects.count() == 1


def test_keys_belong_to_the_user_who_sent_them(window: APIClient, citizen: APIClient, food_licence) -> None:
    window.post(CASES, application(), format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    response = citizen.post(CASES, application(), format="json", HTTP_IDEMPOTENCY_KEY="same-key")

    assert response.status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 65, "键"])
def test_a_malformed_idempotency_key_is_refused(window: APIClient, food_licence, key: str) -> None:
    response = window.post(CASES, application(), format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert_problem(response, 400, "bad_input", "Idempotency-Key")
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "id_number",
    [
        APPLICANT_ID[:-1] + ("0" if APPLICANT_ID[-1] != "0" else "1"),
        APPLICANT_ID[:-1],
        "",
        "13040219881317231X",
    ],
    ids=["wrong check digit", "too short", "empty", "no such date"],
)
def test_a_malformed_resident_id_is_refused(window: APIClient, food_licence, id_number: str) -> None:
    response = window.post(CASES, application(applicant_id_number=id_number), format="json")

    assert_problem(response, 400, "applicant_invalid", "applicant_id_number")
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_an_enterprise_needs_a_valid_uscc(window: APIClient, food_licence) -> None:
    response = window.post(
        CASES,
        application(
            applicant_kind="enterprise",
            applicant_name="邯郸市好味食品有限公司",
            applicant_id_number=APPLICANT_ID,
        ),
        format="json",
    )

    assert_problem(response, 400, "applicant_invalid", "applicant_id_number")
    assert not Case.objects.exists()


def test_a_text_file_renamed_pdf_is_refused(window: APIClient, materials) -> None:
    body = multipart_application()
    body[f"material_{materials[0].pk}"] = pdf("申请书.pdf", b"just some text, not a PDF at all")

    response = window.post(CASES, body, format="multipart")

    problem = assert_problem(response, 400, "file_type", "files")
    assert "申请书.pdf" in problem["detail"]
    assert not Case.objects.exists() and not CaseFile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(window: APIClient, materials, settings) -> None:
    settings.CASE_UPLOAD_MAX_BYTES = 1024
    body = multipart_application()
    body[f"material_{materials[0].pk}"] = pdf(content=PDF + b"0" * 2048)

    response = window.post(CASES, body, format="multipart")

    assert_problem(response, 400, "file_too_large", "files")
    assert not Case.objects.exists() and not CaseFile.objects.exists()


def test_a_file_for_a_material_of_another_item_is_refused(window: APIClient, materials) -> None:
    body = multipart_application()
    body["material_999999"] = pdf()
    body["photo"] = pdf()

    response = window.post(CASES, body, format="multipart")

    assert_problem(response, 400, "bad_input")
    assert not Case.objects.exists()


def test_an_item_not_in_force_is_refused(window: APIClient, food_licence) -> None:
    response = window.post(CASES, application(item="NO-SUCH-ITEM"), format="json")

    assert_problem(response, 400, "version_not_in_force", "item")
    assert not Case.objects.exists()


def test_missing_fields_are_listed(window: APIClient, food_licence) -> None:
    response = window.post(CASES, {"item": "HS-SPJY-001", "form_data": [1, 2]}, format="json")

    body = assert_problem(response, 400, "bad_input")
    assert set(body["errors"]) == {"applicant_kind", "applicant_name", "applicant_id_number", "form_data"}
    assert not Case.objects.exists()


def test_staff_without_the_window_role_may_not_file(handler_api: APIClient, food_licence) -> None:
    response = handler_api.post(CASES, application(), format="json")

    assert_problem(response, 403, "forbidden")
    assert not Case.objects.exists()


def test_window_staff_of_another_county_may_not_file(neighbour: APIClient, food_licence) -> None:
    response = neighbour.post(CASES, application(), format="json")

    assert_problem(response, 403, "forbidden")
    assert not Case.objects.exists()


def test_an_applicant_may_not_file_as_if_at_a_window(citizen: APIClient, food_licence) -> None:
    response = citizen.post(CASES, application(channel=Channel.WINDOW), format="json")

    assert_problem(response, 403, "forbidden")
    assert not Case.objects.exists()
