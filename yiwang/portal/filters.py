"""Filter forms of the public lists (django-filter).

The filter sets validate the query string and render the form; the filtering itself is
done by ``yiwang.catalog.selectors`` and ``yiwang.portal.search``, so the pages and any
other caller narrow lists the same way. A query string with a bad value (an unknown
region code, a department that does not exist…) gets an error on that field and an empty
list, never a silently wider one.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from yiwang.catalog import selectors
from yiwang.catalog.models import OnlineDepth
from yiwang.org.models import Region, RegionLevel
from yiwang.portal import labels
from yiwang.portal.search import MAX_QUERY_LENGTH, search_versions

_INDENT = "\u3000"  # ideographic space: indents nested regions in the select


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        level: int = getattr(obj, "level", RegionLevel.PROVINCE)
        return _INDENT * max(0, level - RegionLevel.PROVINCE) + str(obj)


class RegionFilter(django_filters.ModelChoiceFilter):
    field_class = RegionChoiceField


class PlaceFilterSet(django_filters.FilterSet):
    """Region (with everything below it) and implementing department."""

    region = RegionFilter(
        label=_("Region"),
        queryset=selectors.regions_for_filter(),
        to_field_name="code",
        empty_label=_("All regions"),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=selectors.departments_for_filter(),
        empty_label=_("All departments"),
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        region = self._region_from(data)
        if region is not None and data is not None and data.get("department"):
            # A department outside a newly chosen region is dropped rather than
            # reported: the region select changed under it.
            offered = selectors.departments_for_filter(region=region)
            department = data.get("department", "")
            if not (department.isdigit() and offered.filter(pk=department).exists()):
                data = data.copy()
                data.pop("department", None)
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.filters["department"].queryset = selectors.departments_for_filter(region=region)
        self.filters["region"].queryset = selectors.regions_for_filter()

    @staticmethod
    def _region_from(data: QueryDict | None) -> Region | None:
        code = (data.get("region") if data is not None else None) or ""
        if not code.isdigit():
            return None
        return Region.objects.filter(code=code).first()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.form.is_valid():
            return queryset.none()
        return self.apply(queryset, self.form.cleaned_data)

    def apply(self, queryset: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
        return selectors.filter_versions(
            queryset, region=data.get("region"), department=data.get("department")
        )

    @property
    def active(self) -> bool:
        """Whether any filter or search is set (the page then offers to clear them)."""
        return any(self.data.get(name) for name in self.filters)

    @property
    def narrowed_count(self) -> int:
        """How many filters other than the search words are set (shown on the folded filters)."""
        return sum(1 for name in self.filters if name != "q" and self.data.get(name))


def _choices(table: dict[Any, Any], codes: Any = None) -> list[tuple[str, Any]]:
    return [(str(code), name) for code, name in table.items() if codes is None or code in codes]


class ItemFilterSet(PlaceFilterSet):
    """The item list: search words plus region, department, type, target, online depth."""

    q = django_filters.CharFilter(
        label=_("Search"),
        max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Item name, department or keyword"),
                "enterkeyhint": "search",
                "autocomplete": "off",
            }
        ),
    )
    item_type = django_filters.ChoiceFilter(
        label=_("Item type"), choices=_choices(labels.ITEM_TYPES), empty_label=_("All types")
    )
    target = django_filters.ChoiceFilter(
        label=_("For whom"), choices=_choices(labels.TARGET_FILTER), empty_label=_("Everyone")
    )
    online_depth = django_filters.ChoiceFilter(
        label=_("Online handling"),
        choices=_choices(labels.ONLINE_DEPTH_FILTER),
        empty_label=_("Any"),
    )

    def apply(self, queryset: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
        depth = data.get("online_depth")
        queryset = selectors.filter_versions(
            queryset,
            region=data.get("region"),
            department=data.get("department"),
            item_types=[data["item_type"]] if data.get("item_type") else None,
            target=data.get("target") or None,
            min_online_depth=OnlineDepth(int(depth)) if depth else None,
        )
        return search_versions(queryset, data.get("q"))


class PowerListFilterSet(PlaceFilterSet):
    """权责清单: the administrative powers, types 01–10."""

    item_type = django_filters.ChoiceFilter(
        label=_("Item type"),
        choices=_choices(labels.ITEM_TYPES, selectors.POWER_TYPES),
        empty_label=_("All types"),
    )

    def apply(self, queryset: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
        return selectors.filter_versions(
            queryset,
            region=data.get("region"),
            department=data.get("department"),
            item_types=[data["item_type"]] if data.get("item_type") else None,
        )


class PublicServiceListFilterSet(PlaceFilterSet):
    """公共服务事项清单: region and department only (the type is fixed)."""


class FeeListFilterSet(PlaceFilterSet):
    """收费清单: filters fee rows by their item's region and department."""

    def apply(self, queryset: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
        return selectors.filter_fees(queryset, region=data.get("region"), department=data.get("department"))
