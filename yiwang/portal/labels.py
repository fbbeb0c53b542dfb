"""How the public site names catalog code values.

The catalog models' choice labels are written for staff ("administrative licensing",
"online acceptance"); citizens read the terms printed on government-service sites
(行政许可, 全程网办, 最多跑一次). The portal keeps its own wording here, keyed by the
stored code values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from yiwang.catalog.models import (
    CaseKind,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    Necessity,
    OnlineDepth,
    ResultType,
    StepKind,
    Target,
)

ITEM_TYPES: dict[str, Promise] = {
    ItemType.LICENSING: pgettext_lazy("portal", "Administrative licensing"),
    ItemType.PENALTY: pgettext_lazy("portal", "Administrative penalty"),
    ItemType.ENFORCEMENT: pgettext_lazy("portal", "Administrative enforcement"),
    ItemType.LEVY: pgettext_lazy("portal", "Administrative levy"),
    ItemType.BENEFIT: pgettext_lazy("portal", "Administrative benefit"),
    ItemType.INSPECTION: pgettext_lazy("portal", "Administrative inspection"),
    ItemType.CONFIRMATION: pgettext_lazy("portal", "Administrative confirmation"),
    ItemType.REWARD: pgettext_lazy("portal", "Administrative reward"),
    ItemType.ADJUDICATION: pgettext_lazy("portal", "Administrative adjudication"),
    ItemType.OTHER: pgettext_lazy("portal", "Other administrative power"),
    ItemType.PUBLIC_SERVICE: pgettext_lazy("portal", "Public service"),
}

TARGETS: dict[str, Promise] = {
    Target.INDIVIDUAL: pgettext_lazy("portal", "Individuals"),
    Target.ENTERPRISE: pgettext_lazy("portal", "Enterprises and organisations"),
    Target.BOTH: pgettext_lazy("portal", "Individuals and enterprises"),
}

# What a filter on "who is it for" offers: items for both count under each.
TARGET_FILTER: dict[str, Promise] = {
    Target.INDIVIDUAL: pgettext_lazy("portal", "For individuals"),
    Target.ENTERPRISE: pgettext_lazy("portal", "For enterprises"),
}

ONLINE_DEPTHS: dict[int, Promise] = {
    OnlineDepth.CONSULTATION: pgettext_lazy("portal", "Online enquiry"),
    OnlineDepth.RECEIPT: pgettext_lazy("portal", "Online submission"),
    OnlineDepth.PRE_REVIEW: pgettext_lazy("portal", "Online pre-review"),
    OnlineDepth.ACCEPTANCE: pgettext_lazy("portal", "Online acceptance"),
    OnlineDepth.HANDLING: pgettext_lazy("portal", "Fully online"),
    OnlineDepth.RESULT: pgettext_lazy("portal", "Fully online, result sent online"),
    OnlineDepth.E_LICENSE: pgettext_lazy("portal", "Fully online, e-license issued"),
}

# The filter asks "at least this far online"; each option names the threshold.
ONLINE_DEPTH_FILTER: dict[int, Promise] = {
    OnlineDepth.RECEIPT: pgettext_lazy("portal", "Materials can be submitted online"),
    OnlineDepth.ACCEPTANCE: pgettext_lazy("portal", "Accepted online"),
    OnlineDepth.HANDLING: pgettext_lazy("portal", "Fully online"),
}

LIMIT_UNITS: dict[str, Promise] = {
    LimitUnit.WORKING_DAYS: pgettext_lazy("time limit unit", "working days"),
    LimitUnit.NATURAL_DAYS: pgettext_lazy("time limit unit", "calendar days"),
}

CASE_KINDS: dict[str, Promise] = {
    CaseKind.IMMEDIATE: pgettext_lazy("portal", "Immediate case"),
    CaseKind.PROMISED: pgettext_lazy("portal", "Promised-time case"),
}

MATERIAL_FORMS: dict[str, Promise] = {
    MaterialForm.ORIGINAL: pgettext_lazy("portal", "Original"),
    MaterialForm.COPY: pgettext_lazy("portal", "Copy"),
    MaterialForm.ORIGINAL_AND_COPY: pgettext_lazy("portal", "Original and copy"),
    MaterialForm.ELECTRONIC: pgettext_lazy("portal", "Electronic"),
}

NECESSITIES: dict[str, Promise] = {
    Necessity.REQUIRED: pgettext_lazy("portal", "Required"),
    Necessity.CONDITIONAL: pgettext_lazy("portal", "Required in some cases"),
    Necessity.OPTIONAL: pgettext_lazy("portal", "Optional"),
}

MATERIAL_SOURCES: dict[str, Promise] = {
    MaterialSource.APPLICANT: pgettext_lazy("portal", "Prepared by the applicant"),
    MaterialSource.GOVERNMENT: pgettext_lazy("portal", "Issued by a government department"),
    MaterialSource.OTHER: pgettext_lazy("portal", "Issued by a third party"),
}

RESULT_TYPES: dict[str, Promise] = {
    ResultType.LICENSE: pgettext_lazy("portal", "License or certificate"),
    ResultType.APPROVAL: pgettext_lazy("portal", "Approval document"),
    ResultType.OTHER: pgettext_lazy("portal", "Other"),
    ResultType.NONE: pgettext_lazy("portal", "No document issued"),
}

STEP_KINDS: dict[str, Promise] = {
    StepKind.ACCEPT: pgettext_lazy("portal", "Acceptance"),
    StepKind.HANDLE: pgettext_lazy("portal", "Handling"),
    StepKind.REVIEW: pgettext_lazy("portal", "Review"),
    StepKind.DECIDE: pgettext_lazy("portal", "Decision"),
    StepKind.COMPLETE: pgettext_lazy("portal", "Completion"),
    StepKind.DELIVER: pgettext_lazy("portal", "Delivery"),
}

TABLES: dict[str, Mapping[Any, Promise]] = {
    "item_type": ITEM_TYPES,
    "target": TARGETS,
    "online_depth": ONLINE_DEPTHS,
    "limit_unit": LIMIT_UNITS,
    "case_kind": CASE_KINDS,
    "material_form": MATERIAL_FORMS,
    "necessity": NECESSITIES,
    "material_source": MATERIAL_SOURCES,
    "result_type": RESULT_TYPES,
    "step_kind": STEP_KINDS,
}


def label(value: str | int | None, table: str) -> str:
    """The public wording of code ``value`` in ``table``; the raw value when unknown."""
    names = TABLES[table]
    found = names.get(value)
    if found is None and isinstance(value, str) and value.isdigit():
        found = names.get(int(value))
    return str(found) if found is not None else ("" if value is None else str(value))


def visits_phrase(visits: int) -> str:
    """最多跑一次 and its kin: how many trips to an office the item needs at most."""
    if visits <= 0:
        return str(_("No visit needed"))
    if visits == 1:
        return str(_("At most one visit"))
    return ngettext("At most %(n)d visit", "At most %(n)d visits", visits) % {"n": visits}


def days_phrase(days: int, unit: str) -> str:
    """ "10 个工作日" / "10 working days", with the unit the limit is counted in."""
    if unit == LimitUnit.NATURAL_DAYS:
        return ngettext("%(n)d calendar day", "%(n)d calendar days", days) % {"n": days}
    return ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days}
