"""Admin pages of the portal's accounts: for looking, not for editing.

Accounts change only through ``yiwang.portal.accounts`` (each change an event), so the
admin shows accounts, their events and agents read-only. Lists show identifiers masked;
an account is found by its full ID number or USCC (exact search), its username or name.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from yiwang.core.identifiers import mask_mobile, mask_resident_id
from yiwang.portal.models import Account, AccountEvent, Agent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VerifiedFilter(admin.SimpleListFilter):
    title = _("identity verified")
    parameter_name = "verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Account]) -> QuerySet[Account]:
        if self.value() == "yes":
            return queryset.filter(verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(verified_at__isnull=True)
        return queryset


class EventInline(admin.TabularInline):
    model = AccountEvent
    fields = ("at", "type", "actor", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-at", "-pk")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "masked_number", "masked_phone", "user", "verified_at", "second_factor")
    list_filter = ("kind", VerifiedFilter, "verification_method", "second_factor")
    search_fields = ("=id_number", "=user__username", "name")
    list_select_related = ("user",)
    ordering = ("-created_at", "-pk")
    fields = (
        "user",
        "kind",
        "name",
        "id_number",
        "legal_rep_name",
        "legal_rep_id_number",
        "mobile",
        "email",
        "verified_at",
        "verified_by",
        "verification_method",
        "verification_reference",
        "second_factor",
        "created_at",
    )
    readonly_fields = fields
    inlines = (EventInline,)

    @admin.display(description=_("ID number or USCC"))
    def masked_number(self, obj: Account) -> str:
        return obj.masked_id_number

    @admin.display(description=_("mobile"))
    def masked_phone(self, obj: Account) -> str:
        return mask_mobile(obj.mobile)


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "account", "type", "actor")
    list_filter = ("type",)
    list_select_related = ("account", "actor")
    search_fields = ("=account__id_number", "=account__user__username")
    date_hierarchy = "at"
    ordering = ("-at", "-pk")
    fields = ("account", "type", "actor", "at", "detail")
    readonly_fields = fields


@admin.register(Agent)
class AgentAdmin(ReadOnlyAdmin):
    list_display = (
        "enterprise",
        "person_name",
        "person_number",
        "authorised_at",
        "valid_until",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    list_select_related = ("enterprise", "person")
    search_fields = ("=enterprise__id_number", "=person__id_number", "enterprise__name")
    ordering = ("-authorised_at", "-pk")
    fields = ("enterprise", "person", "authorised_by", "authorised_at", "valid_until", "revoked_at")
    readonly_fields = fields

    @admin.display(description=_("agent"))
    def person_name(self, obj: Agent) -> str:
        return obj.person.name

    @admin.display(description=_("ID number"))
    def person_number(self, obj: Agent) -> str:
        return mask_resident_id(obj.person.id_number)
