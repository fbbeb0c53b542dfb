"""Admin pages of the service catalog.

Department maintainers see and edit only their own scope's items (``yiwang.org.permissions``).
A draft version is edited here; a published one is shown read-only, parts included. New
drafts and publication go through ``yiwang.catalog.services`` via the actions below.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from yiwang.catalog import services
from yiwang.catalog.forms import ItemAdminForm, PublishForm
from yiwang.catalog.models import (
    FAQ,
    CatalogEntry,
    Fee,
    FormField,
    Item,
    ItemVersion,
    Material,
    ParallelPartner,
    VersionStatus,
    WorkflowStep,
)
from yiwang.org.admin import ADMIN_ROLES, READ_ONLY_ROLES, ScopedAdminMixin
from yiwang.org.models import Role
from yiwang.org.permissions import scope_of


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- catalog entries ------------------------------------------------------------------


@admin.register(CatalogEntry)
class CatalogEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The base catalog: maintainers read it (to pick an entry); system administrators edit it."""

    list_display = ("code", "name", "item_type", "statutory_limit", "statutory_limit_unit", "power_source")
    list_filter = ("item_type", "power_source")
    search_fields = ("code", "name")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*ADMIN_ROLES, *READ_ONLY_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope_of(request.user).has_role(*ADMIN_ROLES, *READ_ONLY_ROLES)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(Role.SYSTEM_ADMIN)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # items refer to entries; an obsolete entry stays for the record

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()

    def save_model(
        self, request: HttpRequest, obj: CatalogEntry, form: forms.ModelForm, change: bool
    ) -> None:  # type: ignore[type-arg]
        saved = services.entry_upsert(
            code=obj.code,
            name=obj.name,
            item_type=obj.item_type,
            legal_basis=obj.legal_basis,
            statutory_limit=obj.statutory_limit,
            statutory_limit_unit=obj.statutory_limit_unit,
            power_source=obj.power_source,
        )
        obj.pk = saved.pk


# --- items ----------------------------------------------------------------------------


class VersionInline(admin.TabularInline):  # type: ignore[type-arg]
    """The item's versions, newest first, each a link to its page."""

    model = ItemVersion
    fields = ("version_link", "name", "status", "effective_from", "effective_to", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = gettext_lazy("versions")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # the parent page is already scoped

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("version"))
    def version_link(self, obj: ItemVersion) -> str:
        url = reverse("admin:catalog_itemversion_change", args=[obj.pk])
        return format_html('<a href="{}">v{}</a>', url, obj.version)


def _is_partner_autocomplete(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        match is not None
        and match.url_name == "autocomplete"
        and request.GET.get("app_label") == "catalog"
        and request.GET.get("model_name") == ParallelPartner._meta.model_name
        and request.GET.get("field_name") == "partner"
    )


def _latest_published() -> QuerySet[ItemVersion]:
    return ItemVersion.objects.filter(item=OuterRef("pk"), status=VersionStatus.PUBLISHED).order_by(
        "-effective_from", "-version"
    )


@admin.register(Item)
class ItemAdmin(ScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    form = ItemAdminForm
    list_display = ("code", "current_name", "department", "region", "status_label")
    list_select_related = ("department", "region")
    search_fields = ("code", "entry__name", "entry__code")
    autocomplete_fields = ("entry",)
    inlines = (VersionInline,)
    actions = ("create_draft",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        # The list shows each item's state from three subqueries, so a page of items
        # costs the same few queries whatever its length.
        today = timezone.localdate()
        in_force = ItemVersion.objects.in_force(today).filter(item=OuterRef("pk"))
        drafts = ItemVersion.objects.filter(item=OuterRef("pk"), status=VersionStatus.DRAFT)
        return (
            super()
            .get_queryset(request)
            .annotate(
                in_force_version=Subquery(in_force.values("version")[:1]),
                latest_version=Subquery(_latest_published().values("version")[:1]),
                latest_from=Subquery(_latest_published().values("effective_from")[:1]),
                latest_to=Subquery(_latest_published().values("effective_to")[:1]),
                draft_version=Subquery(drafts.values("version")[:1]),
                has_draft=Exists(drafts),
                current_version_name=Coalesce(
                    Subquery(in_force.values("name")[:1]),
                    Subquery(_latest_published().values("name")[:1]),
                    Subquery(drafts.values("name")[:1]),
                ),
            )
        )

    @admin.display(description=gettext_lazy("current version"), ordering="current_version_name")
    def current_name(self, obj: Item) -> str:
        return obj.current_version_name or "—"  # type: ignore[attr-defined]

    @admin.display(description=gettext_lazy("status"))
    def status_label(self, obj: Item) -> str:
        today = timezone.localdate()
        a: Any = obj
        if a.in_force_version is not None:
            text = _("In force (version %(v)d)") % {"v": a.in_force_version}
        elif a.latest_version is not None and a.latest_from and a.latest_from > today:
            text = _("Version %(v)d takes effect on %(date)s") % {
                "v": a.latest_version,
                "date": a.latest_from,
            }
        elif a.latest_version is not None and a.latest_to is not None:
            text = _("Withdrawn on %(date)s") % {"date": a.latest_to}
        elif a.has_draft:
            text = _("Draft, never published")
        else:
            text = _("No version")
        if a.has_draft and a.latest_version is not None:
            text += _("; draft version %(v)d in progress") % {"v": a.draft_version}
        return text

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else ()  # a new item has no versions yet

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Item], search_term: str) -> Any:
        # The partner picker of a parallel approval chooses among other departments'
        # items: it searches every item with a version in force (the catalogue is public)
        # rather than the maintainer's own scope.
        if _is_partner_autocomplete(request):
            in_force = ItemVersion.objects.in_force(timezone.localdate()).filter(item=OuterRef("pk"))
            queryset = Item.objects.filter(Exists(in_force)).select_related("department")
            return admin.ModelAdmin.get_search_results(self, request, queryset, search_term)
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # An item's code, entry, department and region are its identity: cases and
        # scopes refer to them. They are set once, when the item is created.
        return ("code", "entry", "department", "region") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an item is withdrawn, never deleted: cases refer to it

    def save_model(self, request: HttpRequest, obj: Item, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        if change:
            return  # nothing on the item itself is editable
        created = services.item_create(
            code=obj.code, entry=obj.entry, department=obj.department, region=obj.region
        )
        obj.pk = created.pk
        obj._state.adding = False

    @admin.action(description=gettext_lazy("Create a new draft from the latest version"))
    def create_draft(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        for item in queryset:
            try:
                draft = services.draft_create(item=item)
            except ValidationError as e:
                self.message_user(request, f"{item.code}: {_error_text(e)}", messages.ERROR)
                continue
            self.message_user(
                request,
                format_html(
                    '{}: <a href="{}">{}</a>',
                    item.code,
                    reverse("admin:catalog_itemversion_change", args=[draft.pk]),
                    _("draft version %(v)d created") % {"v": draft.version},
                ),
                messages.SUCCESS,
            )


# --- item versions --------------------------------------------------------------------


class PartInline(admin.TabularInline):  # type: ignore[type-arg]
    """A part of a version: editable while the version is a draft, read-only once published."""

    extra = 0

    @staticmethod
    def _editable(obj: ItemVersion | None) -> bool:
        return obj is None or obj.status == VersionStatus.DRAFT

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # the parent page is already scoped

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj)


class MaterialInline(PartInline):
    model = Material
    fields = (
        "order",
        "name",
        "form",
        "copies",
        "necessity",
        "condition",
        "source",
        "basis",
        "requirements",
        "blank_form",
        "sample",
        "license_type",
    )


class FeeInline(PartInline):
    model = Fee
    fields = ("order", "name", "standard_amount", "unit", "basis", "reductions")


class WorkflowStepInline(PartInline):
    model = WorkflowStep
    fields = ("order", "name", "kind", "role", "limit", "department", "parallel_group")
    raw_id_fields = ("department",)


class FAQInline(PartInline):
    model = FAQ
    fields = ("order", "question", "answer")


class FormFieldInline(PartInline):
    """The online application form: one row per field, checked by ``FormField.clean``."""

    model = FormField
    fields = (
        "order",
        "name",
        "label",
        "kind",
        "required",
        "help_text",
        "choices",
        "min_length",
        "max_length",
        "min_value",
        "max_value",
        "pattern",
        "pattern_message",
    )


class PartnerInline(PartInline):
    """并联审批: the other departments' items decided alongside this one. The picker
    searches the whole public catalogue (see ``ItemAdmin.get_search_results``), since the
    partners belong to departments outside the maintainer's own scope."""

    model = ParallelPartner
    fields = ("order", "partner")
    autocomplete_fields = ("partner",)


_PUBLICATION_FIELDS = ("version", "status", "effective_from", "effective_to", "published_at")


@admin.register(ItemVersion)
class ItemVersionAdmin(ScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("item", "version", "name", "status", "effective_from", "effective_to")
    list_select_related = ("item",)
    list_filter = ("status",)
    search_fields = ("item__code", "name")
    inlines = (MaterialInline, FeeInline, WorkflowStepInline, FAQInline)
    actions = ("create_draft", "publish")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("item", "name", "item_type", "handling_unit", "legal_basis", "change_note")}),
        (
            gettext_lazy("Time limits"),
            {"fields": ("statutory_limit", "promised_limit", "limit_unit", "limit_note", "case_kind")},
        ),
        (
            gettext_lazy("How it is handled"),
            {
                "fields": (
                    "target",
                    "conditions",
                    "special_procedures",
                    "online_depth",
                    "visits",
                    "appointment",
                    "parallel_approval",
                    "result_type",
                    "result_name",
                )
            },
        ),
        (
            gettext_lazy("Where and whom to ask"),
            {
                "fields": (
                    "place_and_hours",
                    "consultation_phone",
                    "consultation_address",
                    "complaint_phone",
                    "online_url",
                )
            },
        ),
    )

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        inlines = list(self.inlines)
        # The application form shows on a saved draft (to be written) and on a published
        # version that has one; a version being added gets its fields once saved.
        if obj is not None and (obj.status == VersionStatus.DRAFT or obj.form_fields.exists()):
            inlines.insert(1, FormFieldInline)
        # Partner items only matter to the few items approved in parallel: the section
        # shows once the version is marked so (or still names partners).
        if obj is not None and (obj.parallel_approval or obj.partners.exists()):
            inlines.append(PartnerInline)
        return inlines

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.fieldsets
        return (*self.fieldsets, (gettext_lazy("Publication"), {"fields": _PUBLICATION_FIELDS}))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("item", *_PUBLICATION_FIELDS) if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False  # published: read-only for everyone, superusers included
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # drafts are deleted one at a time, from their page
        return actions

    def save_model(self, request: HttpRequest, obj: ItemVersion, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        fields = {
            name: form.cleaned_data[name] for name in services.VERSION_FIELDS if name in form.cleaned_data
        }
        if change:
            services.draft_update(version=obj, fields=fields)
            return
        # A draft added here starts empty; its parts come from the inlines saved next.
        draft = services.draft_create(
            item=obj.item,
            fields=fields,
            parts={
                services.PARTNERS: [],
                services.FORM_FIELDS: [],
                **{related: [] for related, _model in services.PART_MODELS},
            },
            change_note=form.cleaned_data.get("change_note", ""),
        )
        obj.pk = draft.pk
        obj.version = draft.version
        obj._state.adding = False

    @admin.action(description=gettext_lazy("Create a new draft from this version"))
    def create_draft(self, request: HttpRequest, queryset: QuerySet[ItemVersion]) -> None:
        for version in queryset.select_related("item"):
            try:
                draft = services.draft_create(item=version.item, source=version)
            except ValidationError as e:
                self.message_user(request, f"{version}: {_error_text(e)}", messages.ERROR)
                continue
            self.message_user(
                request,
                format_html(
                    '{}: <a href="{}">{}</a>',
                    version.item.code,
                    reverse("admin:catalog_itemversion_change", args=[draft.pk]),
                    _("draft version %(v)d created from version %(from)d")
                    % {"v": draft.version, "from": version.version},
                ),
                messages.SUCCESS,
            )

    @admin.action(description=gettext_lazy("Publish…"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ItemVersion]) -> HttpResponse | None:
        versions = list(queryset.select_related("item").order_by("item__code"))
        not_drafts = [v for v in versions if v.status != VersionStatus.DRAFT]
        if not_drafts:
            self.message_user(
                request,
                _("Only drafts can be published; these are not: %(versions)s")
                % {"versions": "、".join(str(v) for v in not_drafts)},
                messages.ERROR,
            )
            return None
        form = PublishForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            failures = self._publish_all(versions, form.cleaned_data["effective_from"])
            if not failures:
                self.message_user(
                    request,
                    ngettext(
                        "%(n)d version published, in force from %(date)s.",
                        "%(n)d versions published, in force from %(date)s.",
                        len(versions),
                    )
                    % {"n": len(versions), "date": form.cleaned_data["effective_from"].isoformat()},
                    messages.SUCCESS,
                )
                return None
            for version, error in failures:
                self.message_user(request, f"{version}: {_error_text(error)}", messages.ERROR)
            self.message_user(request, _("Nothing was published."), messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish item versions"),
            "opts": self.opts,
            "versions": versions,
            "form": form,
            "media": self.media + form.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/catalog/itemversion/publish.html", context)

    @staticmethod
    def _publish_all(
        versions: list[ItemVersion], effective_from: Any
    ) -> list[tuple[ItemVersion, ValidationError]]:
        """Publish every version or none: the first failure does not stop the others' checks."""
        failures: list[tuple[ItemVersion, ValidationError]] = []
        with transaction.atomic():
            for version in versions:
                try:
                    services.version_publish(version=version, effective_from=effective_from)
                except ValidationError as e:
                    failures.append((version, e))
            if failures:
                transaction.set_rollback(True)
        if failures:
            for version in versions:
                version.refresh_from_db()
        return failures
