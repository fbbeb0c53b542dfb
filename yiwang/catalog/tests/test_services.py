"""Catalog services: entries, items, drafts, publication rules, versioning by date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from yiwang.catalog import services
from yiwang.catalog.factories import DEFAULT_STEPS, published_item
from yiwang.catalog.models import CatalogEntry, Item, ItemVersion, VersionStatus
from yiwang.catalog.tests.conftest import catalog_counts
from yiwang.org.models import Department, Region

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def _new_item(department: Department, *, statutory: int | None = 20, code: str = "130402-XK-0100") -> Item:
    entry = services.entry_upsert(
        code=f"E-{code}", name="测试事项", item_type="01", legal_basis="某法", statutory_limit=statutory
    )
    return services.item_create(code=code, entry=entry, department=department, region=department.region)


# --- entries and items ----------------------------------------------------------------


def test_entry_upsert_with_an_invalid_value_writes_nothing() -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.entry_upsert(
            code="E-1", name="某事项", item_type="99", legal_basis="某法", statutory_limit=20
        )
    assert "item_type" in excinfo.value.error_dict
    assert not CatalogEntry.objects.exists()


def test_entry_upsert_updates_in_place() -> None:
    first = services.entry_upsert(
        code="E-1", name="某事项", item_type="01", legal_basis="某法", statutory_limit=20
    )
    second = services.entry_upsert(
        code="E-1", name="某事项（新）", item_type="01", legal_basis="某法", statutory_limit=15
    )
    assert first.pk == second.pk
    assert CatalogEntry.objects.get().statutory_limit == 15


def test_an_item_must_lie_in_its_departments_region(market_dept: Department, other_county: Region) -> None:
    entry = services.entry_upsert(
        code="E-1", name="某事项", item_type="01", legal_basis="某法", statutory_limit=20
    )
    with pytest.raises(ValidationError) as excinfo:
        services.item_create(code="X-1", entry=entry, department=market_dept, region=other_county)
    assert excinfo.value.error_dict["region"][0].code == "region_outside_department"
    assert not Item.objects.exists()


# --- drafts ---------------------------------------------------------------------------


def test_a_new_draft_copies_the_latest_version_with_all_its_parts(licence: ItemVersion) -> None:
    # when a draft is started without changes
    draft = services.draft_create(item=licence.item, change_note="调整咨询电话")
    # then it is version 2, a draft, with every field and part of version 1
    assert (draft.version, draft.status) == (2, VersionStatus.DRAFT)
    for name in services.VERSION_FIELDS:
        assert getattr(draft, name) == getattr(licence, name), name
    for related, _model in services.PART_MODELS:
        copied = [services._part_values(p) for p in getattr(draft, related).all()]
        original = [services._part_values(p) for p in getattr(licence, related).all()]
        assert copied == original, related
        assert copied, related
    # and the parts are new rows, not shared ones
    assert not set(draft.materials.values_list("pk", flat=True)) & set(
        licence.materials.values_list("pk", flat=True)
    )


def test_a_draft_can_start_from_an_older_version(licence: ItemVersion) -> None:
    v2 = services.version_publish(
        version=services.draft_create(item=licence.item, fields={"promised_limit": 8}, parts={"faqs": []}),
        effective_from=dt.date(2025, 6, 1),
    )
    draft = services.draft_create(item=licence.item, source=licence)
    assert draft.version == 3
    assert draft.promised_limit == licence.promised_limit != v2.promised_limit
    assert draft.faqs.count() == licence.faqs.count() == 1


def test_only_one_draft_per_item(licence: ItemVersion) -> None:
    services.draft_create(item=licence.item)
    counts = catalog_counts()
    with pytest.raises(ValidationError) as excinfo:
        services.draft_create(item=licence.item)
    assert excinfo.value.code == "draft_exists"
    assert catalog_counts() == counts


def test_draft_update_refuses_a_published_version(licence: ItemVersion) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.draft_update(version=licence, fields={"promised_limit": 5})
    assert excinfo.value.code == "published_immutable"
    assert ItemVersion.objects.get(pk=licence.pk).promised_limit == 10


def test_promised_limit_above_statutory_is_refused_on_a_draft(market_dept: Department) -> None:
    item = _new_item(market_dept)
    with pytest.raises(ValidationError) as excinfo:
        services.draft_create(item=item, fields={"promised_limit": 30}, parts={"steps": DEFAULT_STEPS})
    error = excinfo.value.error_dict["promised_limit"][0]
    assert error.code == "promised_exceeds_statutory"
    assert error.params == {"promised": 30, "statutory": 20}
    assert not ItemVersion.objects.exists()


def test_conditional_material_without_condition_is_refused(market_dept: Department) -> None:
    item = _new_item(market_dept)
    with pytest.raises(ValidationError) as excinfo:
        services.draft_create(
            item=item,
            fields={"promised_limit": 10},
            parts={"materials": [{"name": "委托书", "necessity": "conditional"}], "steps": DEFAULT_STEPS},
        )
    assert _codes(excinfo.value) == {"condition": ["condition_missing"]}
    assert not ItemVersion.objects.exists()


# --- publication rules ----------------------------------------------------------------


def _draft(department: Department, **fields: object) -> ItemVersion:
    item = _new_item(department)
    return services.draft_create(
        item=item, fields={"promised_limit": 10, **fields}, parts={"steps": DEFAULT_STEPS}
    )


def _refused(version: ItemVersion) -> dict[str, list[str]]:
    counts = catalog_counts()
    with pytest.raises(ValidationError) as excinfo:
        services.version_publish(version=version, effective_from=dt.date(2025, 1, 1))
    assert catalog_counts() == counts
    assert ItemVersion.objects.get(pk=version.pk).status == VersionStatus.DRAFT
    return _codes(excinfo.value)


def test_an_item_without_workflow_step_cannot_be_published(market_dept: Department) -> None:
    item = _new_item(market_dept)
    draft = services.draft_create(item=item, fields={"promised_limit": 10})
    assert _refused(draft) == {"steps": ["no_workflow_step"]}


def test_promised_limit_above_the_entrys_statutory_limit_cannot_be_published(market_dept: Department) -> None:
    # the version leaves the statutory limit to its catalog entry (20)
    draft = _draft(market_dept, statutory_limit=None, promised_limit=25)
    assert _refused(draft) == {"promised_limit": ["promised_exceeds_statutory"]}


def test_limits_in_other_units_than_the_statutory_one_cannot_be_published(market_dept: Department) -> None:
    draft = _draft(market_dept, statutory_limit=None, limit_unit="natural")
    assert _refused(draft) == {"limit_unit": ["limit_unit_mismatch"]}


def test_statutory_limit_differing_from_the_entry_cannot_be_published(market_dept: Department) -> None:
    draft = _draft(market_dept, statutory_limit=30)
    assert _refused(draft) == {"statutory_limit": ["statutory_differs_from_entry"]}


def test_steps_longer_than_the_promised_limit_cannot_be_published(market_dept: Department) -> None:
    draft = _draft(market_dept, promised_limit=5)  # default steps: 1 + 3 + 2 + 1 = 7 days
    assert _refused(draft) == {"steps": ["steps_exceed_promised"]}


def test_parallel_steps_count_once_at_their_longest(market_dept: Department) -> None:
    item = _new_item(market_dept)
    steps = [
        {"name": "受理", "kind": "accept", "role": "window_operator", "limit": 1},
        {"name": "甲局审查", "kind": "review", "role": "reviewer", "limit": 5, "parallel_group": 1},
        {"name": "乙局审查", "kind": "review", "role": "reviewer", "limit": 4, "parallel_group": 1},
        {"name": "决定", "kind": "decide", "role": "approver", "limit": 2},
    ]
    draft = services.draft_create(item=item, fields={"promised_limit": 8}, parts={"steps": steps})
    assert services.version_publish(version=draft).status == VersionStatus.PUBLISHED


def test_only_a_draft_can_be_published(licence: ItemVersion) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.version_publish(version=licence, effective_from=dt.date(2026, 1, 1))
    assert excinfo.value.code == "not_draft"


# --- versioning by date ---------------------------------------------------------------


def test_publish_sets_search_text_and_dates(licence: ItemVersion) -> None:
    assert licence.status == VersionStatus.PUBLISHED
    assert licence.effective_from == dt.date(2025, 1, 1)
    assert licence.effective_to is None
    assert licence.published_at is not None
    assert "食品" in licence.search_text.split()


def test_a_later_version_supersedes_the_current_one_from_its_effective_date(licence: ItemVersion) -> None:
    # when version 2 is published to take effect on 2025-07-01
    draft = services.draft_create(
        item=licence.item, fields={"promised_limit": 5}, parts={"steps": DEFAULT_STEPS[:2]}
    )
    v2 = services.version_publish(version=draft, effective_from=dt.date(2025, 7, 1))
    # then version 1 ends that day, and each day has exactly one version in force
    licence.refresh_from_db()
    assert licence.effective_to == dt.date(2025, 7, 1)
    assert licence.status == VersionStatus.PUBLISHED
    in_force = ItemVersion.objects.filter(item=licence.item).in_force
    assert list(in_force(dt.date(2024, 12, 31))) == []
    assert list(in_force(dt.date(2025, 1, 1))) == [licence]
    assert list(in_force(dt.date(2025, 6, 30))) == [licence]
    assert list(in_force(dt.date(2025, 7, 1))) == [v2]
    assert list(in_force(dt.date(2030, 1, 1))) == [v2]


@pytest.mark.parametrize("day", [dt.date(2024, 6, 1), dt.date(2025, 1, 1)])
def test_an_effective_date_not_after_the_current_versions_is_refused(
    licence: ItemVersion, day: dt.date
) -> None:
    draft = services.draft_create(item=licence.item, fields={"promised_limit": 8})
    counts = catalog_counts()
    with pytest.raises(ValidationError) as excinfo:
        services.version_publish(version=draft, effective_from=day)
    assert _codes(excinfo.value) == {"effective_from": ["effective_date_order"]}
    assert catalog_counts() == counts
    licence.refresh_from_db()
    assert licence.effective_to is None
    assert ItemVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


def test_an_effective_date_before_a_scheduled_version_is_refused(licence: ItemVersion) -> None:
    # given version 2 scheduled for 2026-01-01
    services.version_publish(
        version=services.draft_create(item=licence.item), effective_from=dt.date(2026, 1, 1)
    )
    # when version 3 is published for a date between version 1 and version 2
    draft = services.draft_create(item=licence.item)
    with pytest.raises(ValidationError) as excinfo:
        services.version_publish(version=draft, effective_from=dt.date(2025, 6, 1))
    # then it is refused: the versions would overlap
    assert _codes(excinfo.value) == {"effective_from": ["effective_date_order"]}


def test_a_case_keeps_its_version_when_a_new_one_is_published(licence: ItemVersion) -> None:
    # a case refers to the version it was filed under (its pk); a new version never changes that row
    before = ItemVersion.objects.filter(pk=licence.pk).values().get()
    services.version_publish(
        version=services.draft_create(
            item=licence.item, fields={"promised_limit": 3}, parts={"steps": DEFAULT_STEPS[:1]}
        ),
        effective_from=dt.date(2025, 3, 1),
    )
    after = ItemVersion.objects.filter(pk=licence.pk).values().get()
    assert {k: v for k, v in after.items() if k != "effective_to"} == {
        k: v for k, v in before.items() if k != "effective_to"
    }
    assert list(licence.materials.values_list("name", flat=True)) == [
        "食品经营许可申请书",
        "法定代表人授权委托书",
    ]


# --- withdrawal -----------------------------------------------------------------------


def test_withdrawing_ends_the_version_in_force(licence: ItemVersion) -> None:
    services.item_withdraw(item=licence.item, on=dt.date(2025, 9, 1))
    licence.refresh_from_db()
    assert licence.effective_to == dt.date(2025, 9, 1)
    assert list(ItemVersion.objects.in_force(dt.date(2025, 8, 31))) == [licence]
    assert list(ItemVersion.objects.in_force(dt.date(2025, 9, 1))) == []


def test_withdrawing_before_a_scheduled_version_cancels_it_too(licence: ItemVersion) -> None:
    # given version 2 scheduled for 2026-01-01
    v2 = services.version_publish(
        version=services.draft_create(item=licence.item), effective_from=dt.date(2026, 1, 1)
    )
    # when the item is withdrawn from 2025-09-01
    services.item_withdraw(item=licence.item, on=dt.date(2025, 9, 1))
    # then version 1 ends then and version 2 never takes effect
    licence.refresh_from_db()
    v2.refresh_from_db()
    assert licence.effective_to == dt.date(2025, 9, 1)
    assert v2.status == VersionStatus.WITHDRAWN
    assert list(ItemVersion.objects.in_force(dt.date(2026, 6, 1))) == []


def test_republishing_after_withdrawal_cannot_overlap_the_old_version(licence: ItemVersion) -> None:
    services.item_withdraw(item=licence.item, on=dt.date(2025, 9, 1))
    draft = services.draft_create(item=licence.item)
    with pytest.raises(ValidationError):
        services.version_publish(version=draft, effective_from=dt.date(2024, 12, 1))
    # a date after version 1's start is accepted; version 1 then ends at the earlier of the two dates
    services.version_publish(version=draft, effective_from=dt.date(2025, 10, 1))
    licence.refresh_from_db()
    assert licence.effective_to == dt.date(2025, 9, 1)
    assert list(ItemVersion.objects.in_force(dt.date(2025, 9, 15))) == []
    assert list(ItemVersion.objects.in_force(dt.date(2025, 10, 1))) == [draft]


def test_withdrawing_an_item_with_nothing_in_force_is_refused(licence: ItemVersion) -> None:
    services.item_withdraw(item=licence.item, on=dt.date(2025, 9, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.item_withdraw(item=licence.item, on=dt.date(2025, 10, 1))
    assert excinfo.value.code == "nothing_in_force"


def test_published_item_factory_is_idempotent(market_dept: Department) -> None:
    first = published_item(code="X-1", name="某事项", department=market_dept)
    counts = catalog_counts()
    again = published_item(code="X-1", name="某事项", department=market_dept)
    assert again.pk == first.pk
    assert catalog_counts() == counts


def test_is_free(licence: ItemVersion, registration: ItemVersion) -> None:
    assert licence.fees.get().standard_amount == Decimal("0")
    assert licence.is_free
    assert registration.is_free
