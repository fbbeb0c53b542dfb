"""The payment receipt (缴费收据) of a paid fee order, as a printable PDF (WeasyPrint,
Noto Sans CJK SC), always in the site's default language like the case documents."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from yiwang.payments.gateways import gateway_named
from yiwang.payments.models import FeeOrder


class ReceiptUnavailable(LookupError):
    """The order is not paid: it has no receipt."""


def receipt_context(order: FeeOrder) -> dict[str, Any]:
    if not order.is_paid:
        raise ReceiptUnavailable(order.number)
    gateway = gateway_named(order.gateway)
    return {
        "order": order,
        "case": order.case,
        "lines": list(order.lines.all()),
        "department": order.department,
        "paid_on": timezone.localtime(order.paid_at) if order.paid_at else None,
        "gateway_label": gateway.label if gateway is not None else order.gateway,
    }


def receipt_html(order: FeeOrder) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("payments/documents/receipt.html", receipt_context(order))


def receipt_pdf(order: FeeOrder) -> bytes:
    from weasyprint import HTML  # heavy import, only when a PDF is made

    return HTML(string=receipt_html(order), base_url=str(settings.BASE_DIR)).write_pdf()  # type: ignore[no-any-return]


def receipt_filename(order: FeeOrder) -> str:
    return f"{order.receipt_number}.pdf"
