"""The fee orders panel of the staff case page (``payments/includes/case_orders.html``)."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.payments import selectors

register = template.Library()


@register.inclusion_tag("payments/includes/_case_panel.html", takes_context=True)
def case_fee_orders(context: template.Context) -> dict[str, Any]:
    case = context["case"]
    request = context["request"]
    panel = selectors.case_panel(request.user, case)
    shown = bool(panel.orders) or selectors.item_charges(case)
    return {"case": case, "panel": panel, "shown": shown, "request": request}
