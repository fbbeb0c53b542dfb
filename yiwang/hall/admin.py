"""Slot rules are edited here by the region's system administrators and maintainers;
slots and appointments are read only (appointments change through the workbench's
services, which tell the citizen)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from yiwang.hall import services
from yiwang.hall.models import Appointment, Slot, SlotRule
from yiwang.org.admin import ScopedAdminMixin


@admin.register(SlotRule)
class SlotRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "center",
        "item",
        "weekdays",
        "on_makeup_days",
        "time_ranges",
        "slot_minutes",
        "capacity",
        "is_active",
    )
    list_filter = ("is_active", "on_makeup_days")
    list_select_related = ("center", "item")
    raw_id_fields = ("item",)
    search_fields = ("center__name", "item__code")

    def save_model(self, request: HttpRequest, obj: SlotRule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        report = services.open_bookable_slots(center=obj.center)
        self.message_user(
            request,
            gettext(
                "Slots updated: %(created)d opened, %(updated)d changed, %(deleted)d removed, %(closed)d closed."
            )
            % {
                "created": report.created,
                "updated": report.updated,
                "deleted": report.deleted,
                "closed": report.closed,
            },
            messages.INFO,
        )

    def delete_model(self, request: HttpRequest, obj: SlotRule) -> None:
        center = obj.center
        super().delete_model(request, obj)
        services.open_bookable_slots(center=center)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SlotRule]) -> None:
        centers = {rule.center for rule in queryset.select_related("center")}
        super().delete_queryset(request, queryset)
        for center in centers:
            services.open_bookable_slots(center=center)


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Slot)
class SlotAdmin(ReadOnlyAdmin):
    list_display = ("center", "item", "date", "start", "end", "capacity", "booked", "is_open")
    list_filter = ("is_open",)
    list_select_related = ("center", "item")
    date_hierarchy = "date"


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ("code", "date", "center", "item", "status", "requested_at", "reminder_sent_at")
    list_filter = ("status",)
    list_select_related = ("center", "item")
    search_fields = ("code",)
    date_hierarchy = "date"
    exclude = ("account",)
    readonly_fields = ("masked_account",)

    @admin.display(description=gettext_lazy("account"))
    def masked_account(self, obj: Appointment) -> str:
        return str(obj.account)
