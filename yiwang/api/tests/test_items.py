"""GET /api/v1/items/ and /api/v1/items/{code}/: the versions in force, read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from yiwang.api.tests.conftest import assert_problem
from yiwang.catalog import services as catalog
from yiwang.catalog.factories import published_item

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/items/"


@pytest.fixture
def other_county_item(other_market_dept):
    return published_item(code="CT-SPJY-001", name="食品经营许可", department=other_market_dept)


def test_the_list_shows_items_in_force(window: APIClient, food_licence, other_county_item) -> None:
    body = window.get(ITEMS).json()

    assert body["count"] == 2
    row = next(r for r in body["results"] if r["code"] == "HS-SPJY-001")
    assert row["name"] == "食品经营许可"
    assert row["version"] == 1
    assert row["promised_limit"] == 10 and row["limit_unit"] == "working"
    assert row["department"]["name"] == "邯山区市场监督管理局"
    assert row["region"] == {"code": "130402", "name": "邯山区"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region=130402", {"HS-SPJY-001"}),
        ("region=130400", {"HS-SPJY-001", "CT-SPJY-001"}),
        ("item_type=01", {"HS-SPJY-001", "CT-SPJY-001"}),
        ("item_type=20", set()),
    ],
)
def test_filters(window: APIClient, food_licence, other_county_item, query: str, expected: set[str]) -> None:
    response = window.get(f"{ITEMS}?{query}")

    assert {r["code"] for r in response.json()["results"]} == expected


def test_filter_by_department(window: APIClient, food_licence, other_county_item, other_market_dept) -> None:
    response = window.get(f"{ITEMS}?department={other_market_dept.pk}")

    assert [r["code"] for r in response.json()["results"]] == ["CT-SPJY-001"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("region=999999", "region"), ("department=0", "department"), ("department=x", "department")],
)
def test_unknown_filters_are_refused(window: APIClient, food_licence, query: str, field: str) -> None:
    assert_problem(window.get(f"{ITEMS}?{query}"), 400, "bad_input", field)


def test_the_detail_lists_materials_with_the_ids_uploads_use(
    window: APIClient, food_licence, materials
) -> None:
    body = window.get(f"{ITEMS}HS-SPJY-001/").json()

    assert body["legal_basis"] == "《中华人民共和国食品安全法》第三十五条"
    assert [(m["id"], m["name"]) for m in body["materials"]] == [(m.pk, m.name) for m in materials]
    assert [s["name"] for s in body["steps"]] == ["受理", "承办", "审核", "决定", "办结", "送达"]


def test_a_withdrawn_or_unknown_item_is_not_found(window: APIClient, food_licence) -> None:
    catalog.item_withdraw(item=food_licence.item, on=dt.date(2025, 6, 30))

    assert_problem(window.get(f"{ITEMS}HS-SPJY-001/"), 404, "not_found")
    assert_problem(window.get(f"{ITEMS}NO-SUCH/"), 404, "not_found")
    assert window.get(ITEMS).json()["count"] == 0


def test_the_list_costs_the_same_queries_for_2_or_12_items(window: APIClient, market_dept) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert window.get(ITEMS).status_code == 200
        return len(captured)

    for n in range(2):
        published_item(code=f"HS-T-{n}", name=f"事项{n}", department=market_dept, fees=[_fee()])
    two = queries()
    for n in range(2, 12):
        published_item(code=f"HS-T-{n}", name=f"事项{n}", department=market_dept, fees=[_fee()])

    assert queries() == two


def _fee() -> dict[str, object]:
    return {"name": "工本费", "standard_amount": "10.00", "basis": "发改价格〔2017〕1号"}
