"""Template helpers of the public site: public wording of code values, limits, money."""

from __future__ import annotations

import re
from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from yiwang.catalog.models import CaseKind, ItemVersion, LimitUnit, OnlineDepth
from yiwang.portal import labels

register = template.Library()


@register.filter
def label(value: str | int | None, table: str) -> str:
    """``{{ version.item_type|label:"item_type" }}`` → 行政许可."""
    return labels.label(value, table)


@register.filter
def visits(value: int) -> str:
    return labels.visits_phrase(value)


@register.simple_tag
def days(count: int, unit: str) -> str:
    """``{% days version.promised_limit version.limit_unit %}`` → 10 个工作日."""
    return labels.days_phrase(count, unit)


@register.filter
def yuan(amount: Decimal | int | None) -> str:
    """A fee amount in yuan: ¥120.00; whole amounts drop the decimals (¥120)."""
    if amount is None:
        return ""
    value = Decimal(amount)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"¥{text}"


@register.filter(name="immediate")
def is_immediate(version: ItemVersion) -> bool:
    """即办件: settled on the spot, no promised period to wait."""
    return version.case_kind == CaseKind.IMMEDIATE or version.promised_limit == 0


@register.filter
def fully_online(version: ItemVersion) -> bool:
    """全程网办 or deeper: no trip to an office is needed to get it done."""
    return version.online_depth >= OnlineDepth.HANDLING


@register.simple_tag
def promise_statement(version: ItemVersion) -> str:
    """What the promised limit means for the applicant, in plain words."""
    if is_immediate(version):
        return _(
            "Handled on the spot: when your materials are complete and in the required form, "
            "the matter is settled the day you apply."
        )
    limit = labels.days_phrase(version.promised_limit, version.limit_unit)
    if version.limit_unit == LimitUnit.NATURAL_DAYS:
        text = _(
            "Finished within %(limit)s of the day your application is accepted. Calendar days "
            "include weekends and public holidays; the day of acceptance is not counted."
        ) % {"limit": limit}
    else:
        text = _(
            "Finished within %(limit)s of the day your application is accepted. Weekends and "
            "public holidays are not counted (make-up working days are), nor is the day of "
            "acceptance."
        ) % {"limit": limit}
    return text


@register.simple_tag
def stopped_clock_note() -> str:
    return _(
        "Time you take to supplement materials, and time for hearings, site inspections, "
        "testing or expert review, is not counted."
    )


@register.simple_tag
def limit_saving(version: ItemVersion) -> str:
    """ "Shorter than the statutory limit by N days", when the promise beats the law."""
    statutory = version.statutory_limit
    if statutory is None or is_immediate(version) or version.promised_limit >= statutory:
        return ""
    saved = labels.days_phrase(statutory - version.promised_limit, version.limit_unit)
    return _("%(saved)s shorter than the statutory limit.") % {"saved": saved}


@register.filter
def file_url(field: object) -> str:
    """The URL of an uploaded file, or "" when none is attached or storage cannot tell."""
    if not field:
        return ""
    try:
        return str(field.url)  # type: ignore[attr-defined]
    except ValueError:
        return ""


_PHONE = re.compile(r"^\+?[\d\s()\-]{3,24}$")


@register.filter
def tel(phone: str) -> str:
    """The ``tel:`` target of a single phone number ("0310-1234567" → "0310-1234567"),
    or "" when the text is not one number (several numbers, hours appended…)."""
    phone = (phone or "").strip()
    if not _PHONE.match(phone):
        return ""
    return re.sub(r"[\s()]", "", phone)
