"""Every public page runs a fixed number of queries, however many items it shows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemType, StepKind
from yiwang.org.factories import DepartmentFactory
from yiwang.org.models import Department, Region, Role

pytestmark = pytest.mark.django_db

# What each page may cost at most; the tests below prove it does not grow with the data.
BUDGET = 10


def queries(client: Client, url: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def add_items(county: Region, start: int, stop: int) -> None:
    """Items ``start``…``stop-1``, each in its own department, alternating licensing and
    public service, each with a fee, a material and a FAQ."""
    for n in range(start, stop):
        department = cast(Department, DepartmentFactory(name=f"邯山区测试局{n}", region=county))
        published_item(
            code=f"Q-{n:03d}",
            name=f"查询事项{n}",
            department=department,
            item_type=ItemType.LICENSING if n % 2 else ItemType.PUBLIC_SERVICE,
            materials=({"name": f"材料{n}"},),
            fees=({"name": "工本费", "standard_amount": Decimal("10"), "basis": "文件"},),
            faqs=({"question": "问", "answer": "答"},),
        )


PAGES: list[tuple[str, Callable[[], dict[str, str]]]] = [
    ("/", dict),
    ("/items/", dict),
    ("/items/", lambda: {"q": "查询 事项"}),
    ("/items/", lambda: {"region": "130402", "item_type": "01", "target": "enterprise", "online_depth": "4"}),
    ("/departments/", dict),
    ("/lists/powers/", dict),
    ("/lists/powers/", lambda: {"region": "130402"}),
    ("/lists/public-services/", dict),
    ("/lists/fees/", dict),
]


def test_list_pages_cost_the_same_for_3_and_30_items(client: Client, county: Region) -> None:
    add_items(county, 0, 3)
    with_three = [queries(client, url, params()) for url, params in PAGES]
    add_items(county, 3, 30)
    with_thirty = [queries(client, url, params()) for url, params in PAGES]
    for (url, params), three, thirty in zip(PAGES, with_three, with_thirty, strict=True):
        assert three == thirty, f"{url} {params()}: {three} queries with 3 items, {thirty} with 30"
        assert thirty <= BUDGET, f"{url} {params()}: {thirty} queries"


def test_list_filtered_by_department_costs_the_same(client: Client, county: Region) -> None:
    add_items(county, 0, 30)
    department = cast(Department, DepartmentFactory(name="邯山区大局", region=county))
    for n in range(3):
        published_item(code=f"D-{n}", name=f"大局事项{n}", department=department)
    with_three = queries(client, "/items/", {"department": str(department.pk), "region": "130402"})
    for n in range(3, 30):
        published_item(code=f"D-{n}", name=f"大局事项{n}", department=department)
    assert queries(client, "/items/", {"department": str(department.pk), "region": "130402"}) == with_three


def guide_with(county: Region, code: str, parts: int) -> None:
    department = cast(Department, DepartmentFactory(name=f"指南局{code}", region=county))
    published_item(
        code=code,
        name="部件很多的事项",
        department=department,
        promised_limit=parts,
        statutory_limit=parts,
        materials=[{"name": f"材料{n}"} for n in range(parts)],
        fees=[{"name": f"费{n}", "standard_amount": Decimal("1"), "basis": "文件"} for n in range(parts)],
        steps=[
            {
                "name": f"步骤{n}",
                "kind": StepKind.REVIEW,
                "role": Role.REVIEWER,
                "limit": 1,
                "department": department,
            }
            for n in range(parts)
        ],
        faqs=[{"question": f"问{n}", "answer": "答"} for n in range(parts)],
    )


def test_guide_costs_the_same_for_3_and_30_materials_fees_steps_and_faqs(
    client: Client, county: Region
) -> None:
    guide_with(county, "SMALL", 3)
    guide_with(county, "LARGE", 30)
    small = queries(client, "/items/SMALL/")
    large = queries(client, "/items/LARGE/")
    assert small == large
    assert large <= BUDGET
