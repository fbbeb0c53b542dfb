"""Read-only views of fee orders, payment attempts and gateway callbacks: every write
goes through ``yiwang.payments.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yiwang.org.permissions import visible
from yiwang.payments.models import FeeOrder, FeeOrderLine, GatewayCallback, PaymentAttempt


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = FeeOrderLine
    extra = 0
    can_delete = False
    fields = ("position", "name", "standard_fen", "quantity", "amount_fen", "reduction_reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FeeOrder)
class FeeOrderAdmin(ReadOnly):
    list_display = (
        "number",
        "case",
        "department",
        "total_fen",
        "status",
        "issued_at",
        "paid_at",
        "receipt_number",
    )
    list_filter = ("status",)
    search_fields = ("number", "case__number", "receipt_number", "gateway_trade_no")
    list_select_related = ("case", "department")
    inlines = [LineInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return visible(request.user, super().get_queryset(request))


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnly):
    list_display = ("out_trade_no", "order", "gateway", "amount_fen", "status", "needs_refund", "created_at")
    list_filter = ("status", "needs_refund", "gateway")
    search_fields = ("out_trade_no", "gateway_trade_no", "order__number")
    list_select_related = ("order",)

    def get_queryset(self, request: HttpRequest) -> Any:
        orders = visible(request.user, FeeOrder.objects.all())
        return super().get_queryset(request).filter(order__in=orders)


@admin.register(GatewayCallback)
class GatewayCallbackAdmin(ReadOnly):
    list_display = ("received_at", "gateway", "notify_id", "out_trade_no", "signature_valid", "outcome")
    list_filter = ("outcome", "signature_valid", "gateway")
    search_fields = ("notify_id", "out_trade_no")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Unmatched and forged notifications belong to no department: site administrators only.
        return bool(getattr(request.user, "is_superuser", False))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)
