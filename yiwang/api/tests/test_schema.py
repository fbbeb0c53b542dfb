"""The committed OpenAPI schema, the schema endpoint and the docs page."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from yiwang.api.actions import ACTIONS
from yiwang.api.problems import CODES
from yiwang.api.tests.conftest import assert_problem

COMMITTED = Path(__file__).resolve().parents[1] / "openapi.yaml"
REGENERATE = ".venv/bin/python manage.py spectacular --lang en --validate --fail-on-warn --file yiwang/api/openapi.yaml"


def test_the_committed_schema_is_current(tmp_path: Path) -> None:
    # Given the schema generated from the code as it is now (validated, no warnings)
    fresh = tmp_path / "openapi.yaml"
    call_command("spectacular", "--lang", "en", "--validate", "--fail-on-warn", "--file", str(fresh))

    # Then it is the committed contract
    assert COMMITTED.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
        f"yiwang/api/openapi.yaml is stale: the API changed. Regenerate it with\n    {REGENERATE}\n"
        "review the difference (it is the public contract) and commit it."
    )


def test_the_schema_covers_every_operation() -> None:
    schema = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))

    operations = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    assert {f"cases_{name.replace('-', '_')}" for name in ACTIONS} <= operations
    assert {
        "cases_list",
        "cases_file",
        "cases_retrieve",
        "cases_events",
        "items_list",
        "items_retrieve",
    } <= operations
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    decide = schema["paths"]["/api/v1/cases/{number}/actions/decide/"]["post"]
    assert decide["responses"]["409"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }


@pytest.mark.django_db
def test_the_schema_is_served_without_login() -> None:
    response = APIClient().get("/api/schema/")

    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "Yiwang API"


@pytest.mark.django_db
def test_the_docs_page_lists_operations_and_error_codes(client) -> None:
    response = client.get("/api/docs/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    for name in ACTIONS:
        assert f"/api/v1/cases/{{number}}/actions/{name}/" in html
    for code in CODES:
        assert f'id="problem-{code}"' in html
    assert "Idempotency-Key" in html
    assert "material_&lt;id&gt;" in html
    # nothing is fetched from elsewhere: the servers have no internet
    assert "<script" not in html and "http://" not in html and "https://" not in html


@pytest.mark.django_db
def test_the_docs_page_follows_the_language(client) -> None:
    client.cookies["django_language"] = "zh-hans"

    html = client.get("/api/docs/").content.decode()

    assert "提交办件" in html


@pytest.mark.django_db
def test_any_other_api_path_is_a_problem_404() -> None:
    assert_problem(APIClient().get("/api/v2/cases/"), 404, "not_found")
    assert_problem(APIClient().post("/api/nothing-here/"), 404, "not_found")
