"""Reads of the service catalog for the public site and anyone else who lists items.

Everything a citizen sees is a published version in force on a given day
(``ItemVersion.objects.in_force``). The querysets here carry their ``select_related`` /
``prefetch_related`` so a page lists any number of items with a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from yiwang.catalog.models import Fee, Item, ItemVersion, OnlineDepth, VersionStatus, WorkflowStep
from yiwang.org.models import Department, Region, RegionLevel

# Item types of the list of powers and responsibilities (权责清单): 01–10.
POWER_TYPES: tuple[str, ...] = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10")
PUBLIC_SERVICE_TYPES: tuple[str, ...] = ("20",)

_LIST_RELATED = ("item", "item__department", "item__region")


def _in_force_q(on: dt.date, prefix: str = "") -> Q:
    """``ItemVersion.objects.in_force`` as a Q, for use across a relation (``prefix``)."""
    return Q(**{f"{prefix}status": VersionStatus.PUBLISHED, f"{prefix}effective_from__lte": on}) & (
        Q(**{f"{prefix}effective_to__isnull": True}) | Q(**{f"{prefix}effective_to__gt": on})
    )


def filter_versions(
    queryset: QuerySet[ItemVersion],
    *,
    region: Region | None = None,
    department: Department | None = None,
    item_types: Collection[str] | None = None,
    target: str | None = None,
    min_online_depth: int | None = None,
) -> QuerySet[ItemVersion]:
    """Narrow a queryset of versions by the public list filters.

    ``region`` covers the region and every region below it; ``target`` "individual" or
    "enterprise" also keeps items open to both; ``min_online_depth`` keeps items that can
    be handled online at least that far.
    """
    if region is not None:
        queryset = queryset.filter(item__region__path__startswith=region.path)
    if department is not None:
        queryset = queryset.filter(item__department=department)
    if item_types:
        queryset = queryset.filter(item_type__in=list(item_types))
    if target:
        queryset = queryset.filter(target__in=[target, "both"] if target != "both" else ["both"])
    if min_online_depth is not None:
        queryset = queryset.filter(online_depth__gte=min_online_depth)
    return queryset


def items_in_force(
    *,
    on: dt.date,
    region: Region | None = None,
    department: Department | None = None,
    item_types: Collection[str] | None = None,
    target: str | None = None,
    min_online_depth: int | None = None,
    with_steps: bool = False,
) -> QuerySet[ItemVersion]:
    """Versions in force on ``on`` (one per item), ready for a list page.

    Each row has its item, department and region joined and its fees prefetched (lists
    show whether an item is free); ``with_steps`` also prefetches the workflow steps.
    """
    queryset = (
        ItemVersion.objects.in_force(on)
        .select_related(*_LIST_RELATED)
        .prefetch_related("fees")
        .order_by("item__region__path", "item__code")
    )
    if with_steps:
        queryset = queryset.prefetch_related("steps")
    return filter_versions(
        queryset,
        region=region,
        department=department,
        item_types=item_types,
        target=target,
        min_online_depth=min_online_depth,
    )


def fees_in_force(
    *,
    on: dt.date,
    region: Region | None = None,
    department: Department | None = None,
) -> QuerySet[Fee]:
    """Fee rows of the versions in force: the public list of charges (收费清单).

    Rows with a zero standard (a fee declared and waived) are not charges and are left out.
    """
    queryset = (
        Fee.objects.filter(_in_force_q(on, "version__"), standard_amount__gt=0)
        .select_related("version", "version__item", "version__item__department", "version__item__region")
        .order_by("version__item__region__path", "version__item__code", "order", "pk")
    )
    return filter_fees(queryset, region=region, department=department)


def filter_fees(
    queryset: QuerySet[Fee], *, region: Region | None = None, department: Department | None = None
) -> QuerySet[Fee]:
    """Narrow fee rows to a region subtree and/or an implementing department."""
    if region is not None:
        queryset = queryset.filter(version__item__region__path__startswith=region.path)
    if department is not None:
        queryset = queryset.filter(version__item__department=department)
    return queryset


def item_guide(*, code: str, on: dt.date) -> ItemVersion | None:
    """The version of item ``code`` in force on ``on``, with everything its guide shows.

    ``None`` when the item does not exist, is not yet in force or has been cancelled (see
    ``item_cancelled_version``).
    """
    return (
        ItemVersion.objects.in_force(on)
        .filter(item__code=code)
        .select_related("item", "item__entry", "item__department", "item__region")
        .prefetch_related(
            "materials",
            "fees",
            Prefetch("steps", queryset=WorkflowStep.objects.select_related("department")),
            "faqs",
        )
        .first()
    )


def item_cancelled_version(*, code: str, on: dt.date) -> ItemVersion | None:
    """The last version of an item that was in force before ``on`` and has none in force now.

    That is a cancelled (withdrawn) item: citizens who bookmarked its guide are told so
    instead of meeting a bare "not found". ``None`` when the item is in force, was never
    in force or does not exist.
    """
    versions = ItemVersion.objects.filter(item__code=code).exclude(status=VersionStatus.DRAFT)
    if versions.filter(_in_force_q(on)).exists():
        return None
    return (
        versions.filter(effective_from__lte=on, effective_to__lte=on)
        .select_related("item", "item__department", "item__region")
        .order_by("-effective_to", "-version")
        .first()
    )


def upcoming_version(*, version: ItemVersion, on: dt.date) -> ItemVersion | None:
    """A published version of the same item that takes effect after ``on``, if any."""
    return (
        ItemVersion.objects.filter(
            item_id=version.item_id, status=VersionStatus.PUBLISHED, effective_from__gt=on
        )
        .order_by("effective_from")
        .first()
    )


def departments_with_items(*, on: dt.date, region: Region | None = None) -> QuerySet[Department]:
    """Active departments with at least one item in force, annotated with ``item_count``."""
    in_force = _in_force_q(on, "items__versions__")
    queryset = Department.objects.filter(is_active=True)
    if region is not None:
        queryset = queryset.filter(region__path__startswith=region.path)
    return (
        queryset.annotate(item_count=Count("items__versions", filter=in_force))
        .filter(item_count__gt=0)
        .select_related("region")
        .order_by("-item_count", "region__path", "name")
    )


def departments_for_filter(*, region: Region | None = None) -> QuerySet[Department]:
    """Departments offered in list filters: those that implement at least one item."""
    queryset = Department.objects.filter(
        Exists(Item.objects.filter(department=OuterRef("pk"))), is_active=True
    )
    if region is not None:
        queryset = queryset.filter(region__path__startswith=region.path)
    return queryset.select_related("region").order_by("region__path", "name")


def regions_for_filter() -> QuerySet[Region]:
    """Regions offered in list filters: province, cities and counties that hold items.

    A region counts when an item sits in it or below it; towns and villages are reached
    through their county (filters cover the whole subtree).
    """
    item_paths = Item.objects.filter(region__path__startswith=OuterRef("path"))
    return Region.objects.filter(level__lte=RegionLevel.COUNTY).filter(Exists(item_paths)).order_by("path")


def catalog_counts(*, on: dt.date) -> dict[str, int]:
    """Headline figures for the home page: items in force and how many are fully online."""
    return ItemVersion.objects.in_force(on).aggregate(
        total=Count("pk"),
        fully_online=Count("pk", filter=Q(online_depth__gte=OnlineDepth.HANDLING)),
        one_visit=Count("pk", filter=Q(visits__lte=1)),
    )
