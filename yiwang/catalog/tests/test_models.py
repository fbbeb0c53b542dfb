"""A published version is immutable through every model path: save, delete, bulk writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from yiwang.catalog import services
from yiwang.catalog.models import (
    FAQ,
    Fee,
    ItemVersion,
    Material,
    PublishedVersionError,
    VersionStatus,
    WorkflowStep,
)
from yiwang.catalog.tests.conftest import catalog_counts

pytestmark = pytest.mark.django_db


def _stored(version: ItemVersion) -> dict[str, Any]:
    return ItemVersion.objects.filter(pk=version.pk).values().get()


def test_saving_a_changed_published_version_is_refused(licence: ItemVersion) -> None:
    # given a published version
    before = _stored(licence)
    licence.promised_limit = 5
    # when it is saved, with or without update_fields
    with pytest.raises(PublishedVersionError) as excinfo:
        licence.save()
    assert excinfo.value.code == "published_immutable"
    with pytest.raises(PublishedVersionError):
        licence.save(update_fields=["promised_limit"])
    # then the stored row is as it was
    assert _stored(licence) == before


def test_a_published_version_cannot_go_back_to_draft(licence: ItemVersion) -> None:
    licence.status = VersionStatus.DRAFT
    with pytest.raises(PublishedVersionError):
        licence.save(update_fields=["status"])
    assert _stored(licence)["status"] == VersionStatus.PUBLISHED


def test_end_date_and_withdrawal_are_the_only_changes_allowed(licence: ItemVersion) -> None:
    licence.effective_to = dt.date(2026, 1, 1)
    licence.save(update_fields=["effective_to"])
    licence.status = VersionStatus.WITHDRAWN
    licence.save()
    assert _stored(licence)["status"] == VersionStatus.WITHDRAWN
    assert _stored(licence)["effective_to"] == dt.date(2026, 1, 1)


def test_deleting_a_published_version_is_refused(licence: ItemVersion) -> None:
    before = catalog_counts()
    with pytest.raises(PublishedVersionError):
        licence.delete()
    # even when the in-memory object was tampered with first
    licence.status = VersionStatus.DRAFT
    with pytest.raises(PublishedVersionError):
        licence.delete()
    assert catalog_counts() == before


def test_bulk_update_and_delete_of_published_versions_are_refused(licence: ItemVersion) -> None:
    before = catalog_counts()
    stored = _stored(licence)
    with pytest.raises(PublishedVersionError):
        ItemVersion.objects.filter(pk=licence.pk).update(name="改名")
    with pytest.raises(PublishedVersionError):
        ItemVersion.objects.filter(pk=licence.pk).delete()
    assert _stored(licence) == stored
    assert catalog_counts() == before


PART_CHANGES: list[tuple[str, Callable[[Any], None]]] = [
    ("materials", lambda m: setattr(m, "name", "改过的材料")),
    ("fees", lambda f: setattr(f, "standard_amount", Decimal("99"))),
    ("steps", lambda s: setattr(s, "limit", 1)),
    ("faqs", lambda q: setattr(q, "answer", "改过的解答")),
]


@pytest.mark.parametrize(("related", "change"), PART_CHANGES)
def test_each_part_of_a_published_version_is_frozen(
    licence: ItemVersion, related: str, change: Callable[[Any], None]
) -> None:
    # given a part of a published version
    part = getattr(licence, related).first()
    model = type(part)
    before = model.objects.filter(pk=part.pk).values().get()
    counts = catalog_counts()
    # when it is changed, deleted, or bulk-written
    change(part)
    with pytest.raises(PublishedVersionError):
        part.save()
    with pytest.raises(PublishedVersionError):
        model.objects.get(pk=part.pk).delete()
    with pytest.raises(PublishedVersionError):
        model.objects.filter(pk=part.pk).update(order=9)
    with pytest.raises(PublishedVersionError):
        getattr(licence, related).all().delete()
    # then nothing changed
    assert model.objects.filter(pk=part.pk).values().get() == before
    assert catalog_counts() == counts


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Material, {"name": "补充材料"}),
        (Fee, {"name": "加收", "standard_amount": Decimal("1"), "basis": "某文件"}),
        (WorkflowStep, {"name": "加签", "kind": "review", "role": "reviewer", "limit": 1}),
        (FAQ, {"question": "新问题", "answer": "新解答"}),
    ],
)
def test_no_part_can_be_added_to_a_published_version(
    licence: ItemVersion, model: type[Any], values: dict[str, Any]
) -> None:
    counts = catalog_counts()
    with pytest.raises(PublishedVersionError):
        model(version=licence, **values).save()
    assert catalog_counts() == counts


def test_a_part_cannot_be_moved_out_of_a_published_version(licence: ItemVersion) -> None:
    # given a draft of the same item
    draft = services.draft_create(item=licence.item)
    material = licence.materials.first()
    # when a published material is re-pointed at the draft
    material.version = draft
    with pytest.raises(PublishedVersionError):
        material.save()
    assert Material.objects.get(pk=material.pk).version_id == licence.pk


def test_draft_parts_stay_editable(licence: ItemVersion) -> None:
    draft = services.draft_create(item=licence.item)
    material = draft.materials.first()
    material.name = "新材料名称"
    material.save()
    draft.materials.filter(pk=material.pk).update(copies=3)
    assert Material.objects.get(pk=material.pk).copies == 3
    draft.faqs.all().delete()
    assert not draft.faqs.exists()
    draft.delete()
    assert not ItemVersion.objects.filter(pk=draft.pk).exists()
