"""Admin pages of the e-license library.

Licenses are read-only here, within the viewer's scope (``ScopedAdminMixin``; issuing and
revoking go through ``yiwang.licenses.services``); holders' ID numbers show masked. The
directory of license types is kept by those with the model permissions (superusers);
a type's code is fixed once licenses carry it.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from yiwang.cases.admin import ReadOnlyMixin
from yiwang.licenses.models import License, LicenseType
from yiwang.org.admin import READ_ONLY_ROLES, ScopedAdminMixin
from yiwang.org.models import Role


@admin.register(LicenseType)
class LicenseTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "created_at")
    search_fields = ("code", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        if obj is not None and License.objects.filter(license_type=obj.code).exists():  # type: ignore[attr-defined]
            return ["code"]
        return []


@admin.register(License)
class LicenseAdmin(ReadOnlyMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_view_roles = (Role.SYSTEM_ADMIN, Role.APPROVER, *READ_ONLY_ROLES)
    scope_change_roles = ()
    list_display = (
        "number",
        "name",
        "holder_name",
        "masked_id",
        "issuer",
        "issued_on",
        "valid_until",
        "status",
    )
    list_select_related = ("issuer",)
    list_filter = ("status", "holder_kind")
    search_fields = ("=number", "=identifier", "holder_name")
    date_hierarchy = "issued_on"
    show_full_result_count = False
    fields = (
        "identifier",
        "license_type",
        "name",
        "number",
        "version",
        "holder_kind",
        "holder_name",
        "masked_id",
        "issuer",
        "region",
        "case",
        "issued_on",
        "valid_from",
        "valid_until",
        "status",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "source",
        "data",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return list(self.fields)

    @admin.display(description=_("holder's ID number or USCC"))
    def masked_id(self, obj: License) -> str:
        return obj.masked_holder_id
