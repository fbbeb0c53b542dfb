"""How the public site names catalog code values.

The catalog models' choice labels are written for staff ("administrative licensing",
"online acceptance"); citizens read the terms printed on government-service sites
(行政许可, 全程网办, 最多跑一次). The portal keeps its own wording here, keyed by the
stored code values.
"""

from __future__ import annotations

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
    ItemType.LICENSING: _("Administrative licensing"),
    ItemType.PENALTY: _("Administrative penalty"),
    ItemType.ENFORCEMENT: _("Administrative enforcement"),
    ItemType.LEVY: _("Administrative levy"),
    ItemType.BENEFIT: _("Administrative benefit"),
    ItemType.INSPECTION: _("Administrative inspection"),
    ItemType.CONFIRMATION: _("Administrative confirmation"),
    ItemType.REWARD: _("Administrative reward"),
    ItemType.ADJUDICATION: _("Administrative adjudication"),
    ItemType.OTHER: _("Other administrative power"),
    ItemType.PUBLIC_SERVICE: _("Public service"),
}

TARGETS: dict[str, Promise] = {
    Target.INDIVIDUAL: _("Individuals"),
    Target.ENTERPRISE: _("Enterprises and organisations"),
    Target.BOTH: _("Individuals and enterprises"),
}

# What a filter on "who is it for" offers: items for both count under each.
TARGET_FILTER: dict[str, Promise] = {
    Target.INDIVIDUAL: _("For individuals"),
    Target.ENTERPRISE: _("For enterprises"),
}

ONLINE_DEPTHS: dict[int, Promise] = {
    OnlineDepth.CONSULTATION: _("Online enquiry"),
    OnlineDepth.RECEIPT: _("Online submission"),
    OnlineDepth.PRE_REVIEW: _("Online pre-review"),
    OnlineDepth.ACCEPTANCE: _("Online acceptance"),
    OnlineDepth.HANDLING: _("Fully online"),
    OnlineDepth.RESULT: _("Fully online, result sent online"),
    OnlineDepth.E_LICENSE: _("Fully online, e-license issued"),
}

# The filter asks "at least this far online"; each option names the threshold.
ONLINE_DEPTH_FILTER: dict[int, Promise] = {
    OnlineDepth.RECEIPT: _("Materials can be submitted online"),
    OnlineDepth.ACCEPTANCE: _("Accepted online"),
    OnlineDepth.HANDLING: _("Fully online"),
}

LIMIT_UNITS: dict[str, Promise] = {
    LimitUnit.WORKING_DAYS: pgettext_lazy("time limit unit", "working days"),
    LimitUnit.NATURAL_DAYS: pgettext_lazy("time limit unit", "calendar days"),
}

CASE_KINDS: dict[str, Promise] = {
    CaseKind.IMMEDIATE: _("Immediate case"),
    CaseKind.PROMISED: _("Promised-time case"),
}

MATERIAL_FORMS: dict[str, Promise] = {
    MaterialForm.ORIGINAL: _("Original"),
    MaterialForm.COPY: _("Copy"),
    MaterialForm.ORIGINAL_AND_COPY: _("Original and copy"),
    MaterialForm.ELECTRONIC: _("Electronic"),
}

NECESSITIES: dict[str, Promise] = {
    Necessity.REQUIRED: _("Required"),
    Necessity.CONDITIONAL: _("Required in some cases"),
    Necessity.OPTIONAL: _("Optional"),
}

MATERIAL_SOURCES: dict[str, Promise] = {
    MaterialSource.APPLICANT: _("Prepared by the applicant"),
    MaterialSource.GOVERNMENT: _("Issued by a government department"),
    MaterialSource.OTHER: _("Issued by a third party"),
}

RESULT_TYPES: dict[str, Promise] = {
    ResultType.LICENSE: _("License or certificate"),
    ResultType.APPROVAL: _("Approval document"),
    ResultType.OTHER: _("Other"),
    ResultType.NONE: _("No document issued"),
}

STEP_KINDS: dict[str, Promise] = {
    StepKind.ACCEPT: _("Acceptance"),
    StepKind.HANDLE: _("Handling"),
    StepKind.REVIEW: _("Review"),
    StepKind.DECIDE: _("Decision"),
    StepKind.COMPLETE: _("Completion"),
    StepKind.DELIVER: _("Delivery"),
}

TABLES: dict[str, dict[str, Promise] | dict[int, Promise]] = {
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
    found = names.get(value)  # type: ignore[call-overload]
    if found is None and isinstance(value, str) and value.isdigit():
        found = names.get(int(value))  # type: ignore[call-overload]
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
