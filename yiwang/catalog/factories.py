"""Building published catalog items through the catalog services; shared by the tests and
the demo seeder so both exercise the same write path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from yiwang.catalog import services
from yiwang.catalog.models import CatalogEntry, Item, ItemType, ItemVersion, StepKind
from yiwang.org.models import Department, Region, Role

DEFAULT_STEPS: tuple[dict[str, Any], ...] = (
    {"name": "受理", "kind": StepKind.ACCEPT, "role": Role.WINDOW_OPERATOR, "limit": 1},
    {"name": "审核", "kind": StepKind.REVIEW, "role": Role.REVIEWER, "limit": 3},
    {"name": "决定", "kind": StepKind.DECIDE, "role": Role.APPROVER, "limit": 2},
    {"name": "办结", "kind": StepKind.COMPLETE, "role": Role.APPROVER, "limit": 1},
)


def published_item(
    *,
    code: str,
    name: str,
    department: Department,
    region: Region | None = None,
    item_type: str = ItemType.LICENSING,
    legal_basis: str = "《中华人民共和国行政许可法》",
    statutory_limit: int | None = 20,
    promised_limit: int = 10,
    entry_code: str | None = None,
    fields: Mapping[str, Any] | None = None,
    materials: Sequence[Mapping[str, Any]] = (),
    fees: Sequence[Mapping[str, Any]] = (),
    steps: Sequence[Mapping[str, Any]] = DEFAULT_STEPS,
    faqs: Sequence[Mapping[str, Any]] = (),
    partners: Sequence[Item] = (),
    form_fields: Sequence[Mapping[str, Any]] = (),
    effective_from: dt.date | None = None,
) -> ItemVersion:
    """Return the version in force of item ``code``, creating and publishing it if absent.

    Idempotent on the item code: a second call returns the existing current version.
    ``form_fields``: rows of ``catalog.FormField`` (name, label, kind, required, help_text,
    choices, min/max length or value, pattern …), the item's online application form.
    """
    existing = Item.objects.filter(code=code).first()
    if existing is not None:
        current = existing.versions.filter(status="published", effective_to__isnull=True).first()
        if current is not None:
            return current
    entry = CatalogEntry.objects.filter(code=entry_code or f"E-{code}").first() or services.entry_upsert(
        code=entry_code or f"E-{code}",
        name=name,
        item_type=item_type,
        legal_basis=legal_basis,
        statutory_limit=statutory_limit,
    )
    item = existing or services.item_create(
        code=code, entry=entry, department=department, region=region or department.region
    )
    draft = item.versions.filter(status="draft").first() or services.draft_create(
        item=item,
        fields={"name": name, "promised_limit": promised_limit, "legal_basis": legal_basis, **(fields or {})},
        parts={
            "materials": materials,
            "fees": fees,
            "steps": steps,
            "faqs": faqs,
            "partners": [{"partner": partner} for partner in partners],
            "form_fields": form_fields,
        },
    )
    return services.version_publish(version=draft, effective_from=effective_from or dt.date(2025, 1, 1))
