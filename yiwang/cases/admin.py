"""Read-only admin pages of cases, their events and files.

Cases change only through ``yiwang.cases.services`` (the workbench, the API): here they
are looked at, never added, changed or deleted, and always within the viewer's scope
(``ScopedAdminMixin``). Events and files carry no scope of their own: they are placed by
their case, through the same permission module. ID numbers show masked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.cases.models import Case, CaseEvent, CaseFile
from yiwang.org.admin import READ_ONLY_ROLES, ScopedAdminMixin
from yiwang.org.models import Role
from yiwang.org.permissions import can_view, scope_of, visible

# Everyone who may read cases in the admin: the department's administrators and the
# watchers (supervisors, leaders). Case workers use the workbench.
CASE_VIEW_ROLES: tuple[Role, ...] = (Role.SYSTEM_ADMIN, *READ_ONLY_ROLES)


class ReadOnlyMixin:
    """No add, change or delete for anyone, superusers included: the ledger is append-only
    and written by the services alone."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


class ByCaseScopeMixin(ReadOnlyMixin):
    """Scoping for rows placed by their case (events, files)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        cases = visible(request.user, Case.objects.all(), roles=CASE_VIEW_ROLES)
        return queryset.filter(case__in=cases.values("pk"))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404(gettext("No such record within your scope."))
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*CASE_VIEW_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None:
            return scope_of(request.user).has_role(*CASE_VIEW_ROLES)
        return can_view(request.user, obj.case, roles=CASE_VIEW_ROLES)  # type: ignore[attr-defined]


def _workbench_link(case: Case) -> str:
    return format_html('<a href="{}">{}</a>', reverse("cases:case", args=[case.number]), case.number)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("seq", "type", "occurred_at", "actor_name", "role", "department", "hash")
    readonly_fields = fields
    ordering = ("seq",)
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True  # governed by the case page it is shown on

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return super().get_queryset(request).select_related("department")


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_view_roles = CASE_VIEW_ROLES
    scope_change_roles = ()
    list_display = ("number", "item_name", "state", "due_date", "department", "submitted_at")
    list_select_related = ("item_version", "department")
    list_filter = ("state", "channel", "decision", "clock_stopped", "department")
    search_fields = ("=number", "applicant_name", "item_version__name", "item__code")
    date_hierarchy = "submitted_at"
    ordering = ("-number",)
    list_per_page = 50
    show_full_result_count = False  # a count over millions of cases is not worth its time
    inlines = (CaseEventInline,)
    fieldsets = (
        (None, {"fields": ("workbench", "item_version", "department", "region", "parent", "channel")}),
        (
            _("Applicant"),
            {"fields": ("applicant_kind", "applicant_name", "masked_id", "masked_mobile", "applicant_user")},
        ),
        (
            _("State and deadlines"),
            {
                "fields": (
                    "state",
                    "step_index",
                    "decision",
                    "submitted_at",
                    "accepted_at",
                    "decided_at",
                    "completed_at",
                    "delivered_at",
                    "closed_at",
                    "acceptance_due",
                    "due_date",
                    "step_due_date",
                    "clock_stopped",
                    "extension_days",
                    "supplement_requests",
                )
            },
        ),
        (_("Ledger"), {"fields": ("last_seq", "last_hash", "form_data")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [str(name) for _title, options in self.fieldsets for name in options["fields"]]

    def get_list_filter(self, request: HttpRequest) -> Any:
        # The department filter would list every department of the province; only people
        # with a wide scope see it.
        filters = list(self.list_filter)
        if not scope_of(request.user).is_superuser:
            filters.remove("department")
        return filters

    @admin.display(description=_("item"), ordering="item_version__name")
    def item_name(self, obj: Case) -> str:
        return obj.item_version.name

    @admin.display(description=_("case page"))
    def workbench(self, obj: Case) -> str:
        return _workbench_link(obj)

    @admin.display(description=_("ID number or USCC"))
    def masked_id(self, obj: Case) -> str:
        return obj.masked_applicant_id

    @admin.display(description=_("mobile"))
    def masked_mobile(self, obj: Case) -> str:
        from yiwang.core.identifiers import mask_mobile

        return mask_mobile(obj.applicant_mobile)


@admin.register(CaseEvent)
class CaseEventAdmin(ByCaseScopeMixin, admin.ModelAdmin):
    list_display = ("case", "seq", "type", "occurred_at", "actor_name", "role", "department")
    list_select_related = ("case", "department")
    list_filter = ("type",)
    search_fields = ("=case__number",)
    ordering = ("-occurred_at",)
    list_per_page = 100
    show_full_result_count = False
    fields = (
        "case",
        "seq",
        "type",
        "occurred_at",
        "recorded_at",
        "actor",
        "actor_name",
        "role",
        "department",
        "payload",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields


@admin.register(CaseFile)
class CaseFileAdmin(ByCaseScopeMixin, admin.ModelAdmin):
    list_display = ("name", "case", "material", "size", "content_type", "uploaded_at")
    list_select_related = ("case", "material")
    search_fields = ("=case__number", "name")
    ordering = ("-uploaded_at",)
    show_full_result_count = False
    fields = ("case", "material", "name", "download", "sha256", "size", "content_type", "uploaded_at")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj: CaseFile) -> str:
        # Through the workbench, which checks the permission again; never the storage URL.
        url = reverse("cases:file", args=[obj.case.number, obj.pk])
        return format_html('<a href="{}?download=1">{}</a>', url, gettext("Download"))
