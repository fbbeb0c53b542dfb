"""Filter forms of the supervision lists (django-filter).

The choices (regions, departments) are those of the viewer's scope. A query string with a
bad value (a department outside the scope, a reversed period…) gets an error on that
field and an empty list, never a silently wider one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Model, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.org.models import Department, Region, RegionLevel
from yiwang.supervision import selectors
from yiwang.supervision.detectors import DetectorCode, Severity
from yiwang.supervision.models import AlertStatus, Level
from yiwang.supervision.rules import start_of

_INDENT = "\u3000"  # ideographic space: indents nested regions in the select
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        level: int = getattr(obj, "level", RegionLevel.PROVINCE)
        return _INDENT * max(0, level - RegionLevel.PROVINCE) + str(obj)


class RegionFilter(django_filters.ModelChoiceFilter):
    field_class = RegionChoiceField


class PeriodForm(forms.Form):
    """A filter form whose ``<prefix>_from`` must not come after its ``<prefix>_to``."""

    period_fields: tuple[str, str] = ("", "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start_name, end_name = self.period_fields
        start, end = data.get(start_name), data.get(end_name)
        if start and end and start > end:
            self.add_error(end_name, _("The end of the period is before its start."))
        return data


def _period_form(start: str, end: str) -> type[PeriodForm]:
    return type("PeriodFilterForm", (PeriodForm,), {"period_fields": (start, end)})


def _from(queryset: QuerySet[Any], field: str, day: dt.date | None) -> QuerySet[Any]:
    return queryset.filter(**{f"{field}__gte": start_of(day)}) if day else queryset


def _to(queryset: QuerySet[Any], field: str, day: dt.date | None) -> QuerySet[Any]:
    # The whole last day counts, in local time.
    return queryset.filter(**{f"{field}__lt": start_of(day + dt.timedelta(days=1))}) if day else queryset


class ScopedFilterSet(django_filters.FilterSet):
    """Department (and region) choices from the viewer's scope; invalid → nothing."""

    own_department = False

    def __init__(
        self,
        data: QueryDict | None = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        if "department" in self.filters:
            self.filters["department"].queryset = selectors.departments_in_scope(
                user, own=self.own_department
            )
        if "region" in self.filters:
            self.filters["region"].queryset = selectors.regions_in_scope(user)

    def filter_queryset(self, queryset: QuerySet[Any], *, skip: tuple[str, ...] = ()) -> QuerySet[Any]:
        if not self.form.is_valid():
            return queryset.none()
        for name, value in self.form.cleaned_data.items():
            if name not in skip:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def qs_without(self, *names: str) -> QuerySet[Any]:
        """The list filtered by everything but ``names`` (the counts per light ignore the light)."""
        return self.filter_queryset(self.queryset.all(), skip=names)

    @property
    def active(self) -> bool:
        return any(self.data.get(name) for name in self.filters)


class ConsoleFilterSet(ScopedFilterSet):
    number = django_filters.CharFilter(
        label=pgettext_lazy("supervision", "Case number"),
        method="filter_number",
        max_length=30,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "inputmode": "numeric"}),
    )
    light = django_filters.ChoiceFilter(
        label=pgettext_lazy("supervision", "Light"),
        choices=selectors.Light.choices,
        empty_label=pgettext_lazy("supervision", "All lights"),
        method="filter_light",
    )
    region = RegionFilter(
        label=pgettext_lazy("supervision", "Region"),
        queryset=Region.objects.none(),
        to_field_name="code",
        empty_label=pgettext_lazy("supervision", "All regions"),
        method="filter_region",
    )
    department = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("supervision", "Department"),
        queryset=Department.objects.none(),
        empty_label=pgettext_lazy("supervision", "All departments"),
    )
    item = django_filters.CharFilter(
        label=pgettext_lazy("supervision", "Item"),
        method="filter_item",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Item name or code"), "autocomplete": "off"}),
    )
    submitted_from = django_filters.DateFilter(
        label=pgettext_lazy("supervision", "Submitted from"), method="filter_from", widget=_DATE
    )
    submitted_to = django_filters.DateFilter(
        label=pgettext_lazy("supervision", "Submitted to"), method="filter_to", widget=_DATE
    )

    class Meta:
        form = _period_form("submitted_from", "submitted_to")

    def filter_number(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = (value or "").strip()
        return queryset.filter(number__contains=value) if value else queryset

    def filter_light(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(light=value) if value else queryset

    def filter_region(self, queryset: QuerySet[Any], name: str, value: Region | None) -> QuerySet[Any]:
        return queryset.filter(region__path__startswith=value.path) if value else queryset

    def filter_item(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(item__code=value) | Q(item_version__name__icontains=value))

    def filter_from(self, queryset: QuerySet[Any], name: str, value: dt.date | None) -> QuerySet[Any]:
        return _from(queryset, "submitted_at", value)

    def filter_to(self, queryset: QuerySet[Any], name: str, value: dt.date | None) -> QuerySet[Any]:
        return _to(queryset, "submitted_at", value)


class AlertFilterSet(ScopedFilterSet):
    own_department = True

    level = django_filters.ChoiceFilter(
        label=pgettext_lazy("supervision", "Level"),
        choices=Level.choices,
        empty_label=pgettext_lazy("supervision", "All levels"),
    )
    status = django_filters.ChoiceFilter(
        label=pgettext_lazy("supervision", "Status"),
        choices=AlertStatus.choices,
        empty_label=pgettext_lazy("supervision", "Any status"),
    )
    department = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("supervision", "Department"),
        queryset=Department.objects.none(),
        empty_label=pgettext_lazy("supervision", "All departments"),
    )


class IrregularityFilterSet(ScopedFilterSet):
    code = django_filters.ChoiceFilter(
        label=pgettext_lazy("supervision", "Finding"),
        choices=DetectorCode.choices,
        empty_label=pgettext_lazy("supervision", "All findings"),
    )
    severity = django_filters.ChoiceFilter(
        label=pgettext_lazy("supervision", "Severity"),
        choices=Severity.choices,
        empty_label=pgettext_lazy("supervision", "Any severity"),
    )
    department = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("supervision", "Department"),
        queryset=Department.objects.none(),
        empty_label=pgettext_lazy("supervision", "All departments"),
    )
    detected_from = django_filters.DateFilter(
        label=pgettext_lazy("supervision", "Found from"), method="filter_from", widget=_DATE
    )
    detected_to = django_filters.DateFilter(
        label=pgettext_lazy("supervision", "Found to"), method="filter_to", widget=_DATE
    )

    class Meta:
        form = _period_form("detected_from", "detected_to")

    def filter_from(self, queryset: QuerySet[Any], name: str, value: dt.date | None) -> QuerySet[Any]:
        return _from(queryset, "detected_at", value)

    def filter_to(self, queryset: QuerySet[Any], name: str, value: dt.date | None) -> QuerySet[Any]:
        return _to(queryset, "detected_at", value)
