"""The problem+json handler: every stable code has a status and a title."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from yiwang.api.problems import CODES
from yiwang.api.tests.conftest import CASES, action_url, application, assert_problem
from yiwang.cases.models import Case
from yiwang.cases.services import CaseErrorCode


@pytest.mark.parametrize("code", CaseErrorCode.values)
def test_every_case_error_code_has_a_status_and_title(code: str) -> None:
    # A new code in the cases services must be given its HTTP status here.
    status, title = CODES[code]
    assert 400 <= status < 500 and str(title)


@pytest.mark.django_db
def test_nested_field_errors_are_named_by_their_path(window: APIClient, food_licence) -> None:
    number = window.post(CASES, application(), format="json").json()["number"]

    response = window.post(
        action_url(number, "supplement-request"),
        {"items": [{"material": None, "name": "营业执照", "problem": "过期"}, {"material": "first"}]},
        format="json",
    )

    body = assert_problem(response, 400, "bad_input", "items.1.material")
    assert list(body["errors"]) == ["items.1.material"]
    assert Case.objects.get().last_seq == 1


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_parse_error(window: APIClient, food_licence) -> None:
    response = window.post(CASES, b"{not json", content_type="application/json")

    assert_problem(response, 400, "parse_error")


@pytest.mark.django_db
def test_an_unsupported_method_or_media_type_is_a_problem(window: APIClient, food_licence) -> None:
    assert_problem(window.delete(CASES), 405, "method_not_allowed")
    assert_problem(window.post(CASES, b"item=x", content_type="text/plain"), 415, "unsupported_media_type")
