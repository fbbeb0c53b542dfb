"""The public pages: home, item list and search, service guides, public lists.

Views parse the request, ask the catalog selectors (through the filter sets) and render.
"Today" is the local date in Asia/Shanghai: a version published to take effect tomorrow
appears at local midnight, not at UTC midnight.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from yiwang.catalog import selectors
from yiwang.catalog.models import OnlineDepth, Target
from yiwang.portal import consultations
from yiwang.portal.filters import (
    FeeListFilterSet,
    ItemFilterSet,
    PlaceFilterSet,
    PowerListFilterSet,
    PublicServiceListFilterSet,
)
from yiwang.portal.search import normalise

PAGE_SIZE = 20
HOME_DEPARTMENTS = 12
RESULTS_TARGET = "results"


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _render_list(
    request: HttpRequest, *, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """The full page, or only its results when htmx asks for them (filters changed)."""
    htmx = getattr(request, "htmx", None)  # django_htmx.middleware.HtmxDetails
    partial_request = (
        htmx is not None and bool(htmx) and htmx.target == RESULTS_TARGET and not htmx.history_restore_request
    )
    response = render(
        request, partial if partial_request else template, {**context, "partial": partial_request}
    )
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "counts": selectors.catalog_counts(on=today),
        "departments": list(selectors.departments_with_items(on=today)[:HOME_DEPARTMENTS]),
        "Target": Target,
        "OnlineDepth": OnlineDepth,
    }
    return render(request, "portal/home.html", context)


@require_safe
def item_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filterset = ItemFilterSet(request.GET, queryset=selectors.items_in_force(on=today))
    context = {
        "filter": filterset,
        "page": _page(request, filterset.qs),
        "query": normalise(request.GET.get("q")),
    }
    return _render_list(
        request, template="portal/items/list.html", partial="portal/items/_results.html", context=context
    )


@require_safe
def item_guide(request: HttpRequest, code: str) -> HttpResponse:
    today = timezone.localdate()
    version = selectors.item_guide(code=code, on=today)
    if version is None:
        cancelled = selectors.item_cancelled_version(code=code, on=today)
        if cancelled is not None:
            return render(request, "portal/items/cancelled.html", {"version": cancelled}, status=410)
        return render(request, "portal/items/not_found.html", {"code": code}, status=404)
    context = {
        "version": version,
        "item": version.item,
        "materials": list(version.materials.all()),
        "fees": list(version.fees.all()),
        "steps": list(version.steps.all()),
        "faqs": list(version.faqs.all()),
        "published_answers": list(consultations.published_answers(version.item)),
        "upcoming": selectors.upcoming_version(version=version, on=today),
        "today": today,
    }
    return render(request, "portal/items/guide.html", context)


@require_safe
def department_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    departments = selectors.departments_with_items(on=today).order_by("region__path", "name")
    return render(request, "portal/departments.html", {"departments": departments})


def _public_list(
    request: HttpRequest,
    *,
    filterset: PlaceFilterSet,
    kind: str,
) -> HttpResponse:
    context = {"filter": filterset, "page": _page(request, filterset.qs), "kind": kind}
    return _render_list(
        request,
        template=f"portal/lists/{kind}.html",
        partial=f"portal/lists/_{kind}_results.html",
        context=context,
    )


@require_safe
def power_list(request: HttpRequest) -> HttpResponse:
    """权责清单: administrative powers (types 01–10) in force."""
    queryset = selectors.items_in_force(
        on=timezone.localdate(), item_types=selectors.POWER_TYPES, with_steps=True
    )
    return _public_list(request, filterset=PowerListFilterSet(request.GET, queryset=queryset), kind="powers")


@require_safe
def public_service_list(request: HttpRequest) -> HttpResponse:
    """公共服务事项清单: public services (type 20) in force."""
    queryset = selectors.items_in_force(
        on=timezone.localdate(), item_types=selectors.PUBLIC_SERVICE_TYPES, with_steps=True
    )
    return _public_list(
        request, filterset=PublicServiceListFilterSet(request.GET, queryset=queryset), kind="services"
    )


@require_safe
def fee_list(request: HttpRequest) -> HttpResponse:
    """收费清单: every fee of the items in force, with its standard and basis."""
    queryset = selectors.fees_in_force(on=timezone.localdate())
    return _public_list(request, filterset=FeeListFilterSet(request.GET, queryset=queryset), kind="fees")
