"""API clients for the named staff of the cases tests (邯山区市场监督管理局's food licence),
and helpers to file cases and to check that a refused request changed nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, CaseFile, Channel
from yiwang.cases.tests import conftest as cases_conftest
from yiwang.cases.tests.conftest import APPLICANT_ID
from yiwang.catalog.models import ItemVersion
from yiwang.org.factories import UserFactory

# The cases tests' item and named staff, shared rather than copied.
food_licence = cases_conftest.food_licence
materials = cases_conftest.materials
window_user = cases_conftest.window_user
handler_user = cases_conftest.handler_user
reviewer_user = cases_conftest.reviewer_user
approver_user = cases_conftest.approver_user
neighbour_approver = cases_conftest.neighbour_approver

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

CASES = "/api/v1/cases/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    """Uploaded files go to a temporary directory, not the development media folder."""
    settings.MEDIA_ROOT = tmp_path


def pdf(name: str = "申请书.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def action_url(number: str, action: str) -> str:
    return f"{CASES}{number}/actions/{action}/"


def application(**changes: Any) -> dict[str, Any]:
    """The JSON body of a filing for the food licence."""
    body: dict[str, Any] = {
        "item": "HS-SPJY-001",
        "applicant_kind": "individual",
        "applicant_name": "张晓梅",
        "applicant_id_number": APPLICANT_ID,
        "applicant_mobile": "13831012345",
        "form_data": {"经营场所": "邯山区陵西南大街88号", "经营项目": ["预包装食品销售"]},
    }
    body.update(changes)
    return body


def multipart_application(**changes: Any) -> dict[str, Any]:
    """``application`` as multipart fields: the form data travels as a JSON string."""
    body = application(**changes)
    body["form_data"] = json.dumps(body["form_data"], ensure_ascii=False)
    return body


def client_for(user: AbstractBaseUser | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def window(window_user: AbstractBaseUser) -> APIClient:
    return client_for(window_user)


@pytest.fixture
def handler_api(handler_user: AbstractBaseUser) -> APIClient:
    return client_for(handler_user)


@pytest.fixture
def reviewer(reviewer_user: AbstractBaseUser) -> APIClient:
    return client_for(reviewer_user)


@pytest.fixture
def approver(approver_user: AbstractBaseUser) -> APIClient:
    return client_for(approver_user)


@pytest.fixture
def neighbour(neighbour_approver: AbstractBaseUser) -> APIClient:
    return client_for(neighbour_approver)


@pytest.fixture
def citizen_user(db: None) -> AbstractBaseUser:
    return cast(AbstractBaseUser, UserFactory(username="zhang_xiaomei", is_staff=False))


@pytest.fixture
def citizen(citizen_user: AbstractBaseUser) -> APIClient:
    return client_for(citizen_user)


@pytest.fixture
def file_case(food_licence: ItemVersion, window_user: AbstractBaseUser) -> Callable[..., Case]:
    """File a case through the service (the API's own filing is tested on its own)."""

    def make(at: dt.datetime | None = None, **changes: Any) -> Case:
        fields: dict[str, Any] = {
            "version": food_licence,
            "channel": Channel.WINDOW,
            "applicant_kind": "individual",
            "applicant_name": "张晓梅",
            "applicant_id_number": APPLICANT_ID,
            "user": window_user,
            "at": at,
        }
        fields.update(changes)
        return services.case_file(**fields)

    return make


def ledger_state(case: Case) -> tuple[Any, ...]:
    """What a refused request must leave exactly as it was."""
    row = Case.objects.get(pk=case.pk)
    return (
        row.state,
        row.step_index,
        row.last_seq,
        row.last_hash,
        row.due_date,
        row.extension_days,
        CaseEvent.objects.filter(case=case).count(),
        CaseFile.objects.filter(case=case).count(),
    )


def assert_problem(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(f"#problem-{code}")
    assert body["title"] and body["detail"]
    if field is not None:
        assert field in body["errors"], body
        assert body["errors"][field]
    return dict(body)
