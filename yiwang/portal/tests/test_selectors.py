"""yiwang.catalog.selectors: the reads behind the public pages (tested here, where they are used)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from yiwang.catalog import selectors, services
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion, StepKind
from yiwang.org.factories import DepartmentFactory
from yiwang.org.models import Department, Region

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 1)


def test_items_in_force_gives_one_version_per_item(food_licence: ItemVersion) -> None:
    # given version 2 in force from 1 May (version 1 then ends)
    draft = services.draft_create(item=food_licence.item, fields={"name": "食品经营许可（新）"})
    services.version_publish(version=draft, effective_from=dt.date(2026, 5, 1))
    assert [v.name for v in selectors.items_in_force(on=DAY)] == ["食品经营许可（新）"]
    assert [v.name for v in selectors.items_in_force(on=dt.date(2026, 4, 30))] == ["食品经营许可"]


def test_items_in_force_filters(catalog: list[ItemVersion], market_dept: Department, county: Region) -> None:
    def codes(**filters: object) -> list[str]:
        return sorted(v.item.code for v in selectors.items_in_force(on=DAY, **filters))  # type: ignore[arg-type]

    assert codes(region=county) == ["HS-SCJG-001", "HS-SCJG-002"]
    assert codes(department=market_dept, item_types=["01"]) == ["HS-SCJG-001", "HS-SCJG-002"]
    assert codes(item_types=selectors.PUBLIC_SERVICE_TYPES) == ["CT-RS-001"]
    assert codes(target="both") == ["HS-SCJG-002"]
    assert codes(min_online_depth=5) == ["HS-SCJG-001"]


def test_item_guide(food_licence: ItemVersion) -> None:
    version = selectors.item_guide(code="HS-SCJG-001", on=DAY)
    assert version is not None and version.pk == food_licence.pk
    assert [m.name for m in version.materials.all()] == ["食品经营许可申请书", "营业执照复印件", "授权委托书"]
    assert selectors.item_guide(code="HS-SCJG-001", on=dt.date(2024, 12, 31)) is None
    assert selectors.item_guide(code="NOPE", on=DAY) is None


def test_item_cancelled_version(food_licence: ItemVersion, market_dept: Department) -> None:
    assert selectors.item_cancelled_version(code="HS-SCJG-001", on=DAY) is None  # in force
    assert selectors.item_cancelled_version(code="NOPE", on=DAY) is None
    published_item(code="LATER", name="将来事项", department=market_dept, effective_from=dt.date(2026, 7, 1))
    assert selectors.item_cancelled_version(code="LATER", on=DAY) is None  # never in force yet

    services.item_withdraw(item=food_licence.item, on=dt.date(2026, 5, 1))
    cancelled = selectors.item_cancelled_version(code="HS-SCJG-001", on=DAY)
    assert cancelled is not None and cancelled.effective_to == dt.date(2026, 5, 1)
    assert selectors.item_cancelled_version(code="HS-SCJG-001", on=dt.date(2026, 4, 30)) is None


def test_upcoming_version(food_licence: ItemVersion) -> None:
    assert selectors.upcoming_version(version=food_licence, on=DAY) is None
    draft = services.draft_create(item=food_licence.item)
    later = services.version_publish(version=draft, effective_from=dt.date(2026, 7, 1))
    upcoming = selectors.upcoming_version(version=food_licence, on=DAY)
    assert upcoming is not None and upcoming.pk == later.pk


def test_fees_in_force(catalog: list[ItemVersion], other_county: Region) -> None:
    assert [f.name for f in selectors.fees_in_force(on=DAY)] == ["印章刻制费"]
    assert list(selectors.fees_in_force(on=DAY, region=other_county)) == []


def test_departments_with_items_counts_items_in_force_only(
    catalog: list[ItemVersion], market_dept: Department, county: Region
) -> None:
    services.item_withdraw(item=catalog[1].item, on=dt.date(2026, 5, 1))
    DepartmentFactory(name="没有事项的局", region=county)
    counts = {d.name: d.item_count for d in selectors.departments_with_items(on=DAY)}  # type: ignore[attr-defined]
    assert counts == {"邯山区市场监督管理局": 1, "丛台区人力资源和社会保障局": 1}
    assert [d.name for d in selectors.departments_with_items(on=DAY, region=county)] == [
        "邯山区市场监督管理局"
    ]

    market_dept.is_active = False
    market_dept.save()
    assert [d.name for d in selectors.departments_with_items(on=DAY)] == ["丛台区人力资源和社会保障局"]


def test_regions_for_filter_are_those_holding_items(
    food_licence: ItemVersion, other_county: Region, town: Region, market_dept: Department
) -> None:
    # an item of a town counts for its county, but towns are not offered themselves
    published_item(code="TOWN-1", name="街道事项", department=market_dept, region=town)
    assert [r.name for r in selectors.regions_for_filter()] == ["河北省", "邯郸市", "邯山区"]


def test_catalog_counts(catalog: list[ItemVersion]) -> None:
    assert selectors.catalog_counts(on=DAY) == {"total": 3, "fully_online": 1, "one_visit": 3}


def test_list_rows_come_with_their_relations(
    catalog: list[ItemVersion], django_assert_num_queries: Callable[[int], AbstractContextManager[object]]
) -> None:
    # versions with item, department and region joined; fees and steps prefetched
    with django_assert_num_queries(3):
        versions = list(selectors.items_in_force(on=DAY, with_steps=True))
        seen = [
            (v.item.department.name, v.item.region.name, v.is_free, [s.kind for s in v.steps.all()])
            for v in versions
        ]
    assert len(seen) == 3
    assert seen[0][3] == [StepKind.ACCEPT, StepKind.REVIEW, StepKind.DECIDE, StepKind.COMPLETE]
