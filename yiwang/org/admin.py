"""Admin pages of the organisation, and ``ScopedAdminMixin``, which every app's admin uses
to keep a staff administrator inside their scope.

A superuser sees and edits everything. Any other signed-in staff member sees the rows
their roles cover (``yiwang.org.permissions.visible``): read-only through the viewing
roles (supervisor, leader), editable through the administering roles (system
administrator, maintainer). Choices in forms offer only what is inside the editing scope,
and an object outside the scope answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Model, Prefetch, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import Http404, HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from yiwang.core.identifiers import mask_uscc
from yiwang.org import services
from yiwang.org.forms import (
    DepartmentForm,
    RegionForm,
    RoleAssignmentForm,
    ServiceCenterForm,
    StaffCreationForm,
    StaffForm,
    WindowForm,
)
from yiwang.org.models import Department, Region, Role, RoleAssignment, ServiceCenter, Staff, Window
from yiwang.org.permissions import can_act, can_view, scope_of, visible
from yiwang.org.selectors import regions_in_reach

ADMIN_ROLES: tuple[Role, ...] = (Role.SYSTEM_ADMIN, Role.MAINTAINER)
READ_ONLY_ROLES: tuple[Role, ...] = (Role.SUPERVISOR, Role.LEADER)


def _is_scoped(model: type[Model]) -> bool:
    return getattr(model, "scope_region_field", None) is not None or (
        getattr(model, "scope_department_field", None) is not None
    )


def scoped_choices(
    user: Any, model: type[Model], roles: Iterable[Role], queryset: QuerySet[Any]
) -> QuerySet[Any]:
    """The rows of ``queryset`` a user may pick in a form: those inside their scope for
    ``roles``. Regions offered include those where the user's departments work. Models
    that declare no scope are left as they are."""
    if not _is_scoped(model) or scope_of(user).is_superuser:
        return queryset
    if model is Region:
        return queryset.filter(pk__in=regions_in_reach(user, roles).values("pk"))
    return visible(user, queryset, roles)


class _ScopedFieldsMixin:
    """Limits foreign key and many-to-many choices to the editing scope."""

    scope_change_roles: Sequence[Role] = ADMIN_ROLES

    def _limit(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        model = db_field.related_model
        if "queryset" not in kwargs:
            base = self.get_field_queryset(None, db_field, request)  # type: ignore[attr-defined]
            kwargs["queryset"] = base if base is not None else model._default_manager.all()
        kwargs["queryset"] = scoped_choices(request.user, model, self.scope_change_roles, kwargs["queryset"])

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._limit(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._limit(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


def _with_actor(form: type[ModelForm], request: HttpRequest) -> type[ModelForm]:
    """The form class with the signed-in user as its ``actor`` (forms that validate
    through the services need it)."""
    return type(form.__name__, (form,), {"actor": request.user, "__module__": form.__module__})


class ScopedAdminMixin(_ScopedFieldsMixin):
    """Put before ``admin.ModelAdmin`` for any model that declares ``scope_region_field`` /
    ``scope_department_field``::

        @admin.register(Item)
        class ItemAdmin(ScopedAdminMixin, admin.ModelAdmin): ...

    Lists show ``visible`` rows; an object can be viewed through ``scope_view_roles`` or
    ``scope_change_roles`` and added, changed or deleted through ``scope_change_roles``
    (per object: ``can_view`` / ``can_act``). Foreign-key and many-to-many choices are
    limited to the editing scope, and an out-of-scope object id answers 404.
    """

    scope_view_roles: Sequence[Role] = READ_ONLY_ROLES
    scope_change_roles: Sequence[Role] = ADMIN_ROLES

    def _view_roles(self) -> tuple[Role, ...]:
        return tuple(dict.fromkeys([*self.scope_change_roles, *self.scope_view_roles]))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visible(request.user, super().get_queryset(request), roles=self._view_roles())  # type: ignore[misc]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404(gettext("No such record within your scope."))
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*self._view_roles())

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None:
            return scope_of(request.user).has_role(*self._view_roles())
        return can_view(request.user, obj, roles=self._view_roles())

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return scope_of(request.user).has_role(*self.scope_change_roles)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.may_edit(request, obj)

    def may_edit(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Does the user hold an editing role (over ``obj``, when given)?"""
        if obj is None:
            return scope_of(request.user).has_role(*self.scope_change_roles)
        return any(can_act(request.user, obj, role) for role in self.scope_change_roles)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # The list shows rows the user may only view; a bulk delete must not reach them.
        if visible(request.user, queryset, roles=self.scope_change_roles).count() != queryset.count():
            raise PermissionDenied
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        # Autocomplete widgets of other forms search here: offer only what may be picked.
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            queryset = scoped_choices(request.user, queryset.model, self._source_roles(request), queryset)
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]

    def _source_roles(self, request: HttpRequest) -> Sequence[Role]:
        """The editing roles of the form the autocomplete widget belongs to."""
        try:
            source = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        except (KeyError, LookupError):
            return ADMIN_ROLES
        source_admin = self.admin_site._registry.get(source)  # type: ignore[attr-defined]
        return getattr(source_admin, "scope_change_roles", ADMIN_ROLES)

    def get_form(
        self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        return _with_actor(form, request)


class ScopedInlineMixin(_ScopedFieldsMixin):
    """Inline rows are governed by their parent: viewable with it, editable when the user
    may change the parent."""

    scope_view_roles: Sequence[Role] = READ_ONLY_ROLES
    scope_change_roles: Sequence[Role] = ADMIN_ROLES

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        roles = (*self.scope_change_roles, *self.scope_view_roles)
        if obj is None:
            return scope_of(request.user).has_role(*roles)
        return can_view(request.user, obj, roles=roles)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can_change_parent(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can_change_parent(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can_change_parent(request, obj)

    def _can_change_parent(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None:
            return scope_of(request.user).has_role(*self.scope_change_roles)
        return any(can_act(request.user, obj, role) for role in self.scope_change_roles)

    def get_formset(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        formset.form = _with_actor(formset.form, request)
        return formset


def _adopt(target: Model, saved: Model) -> None:
    """Make the admin's form instance the row the service saved (the admin goes on to log
    and redirect with it)."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def _report(modeladmin: admin.ModelAdmin, request: HttpRequest, obj: Model, error: ValidationError) -> None:
    modeladmin.message_user(request, f"{obj}：{'；'.join(error.messages)}", level=messages.ERROR)


# Regions ------------------------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = RegionForm
    scope_change_roles = (Role.SYSTEM_ADMIN,)
    # Maintainers pick regions in the forms they edit (through autocomplete), so they see them.
    scope_view_roles = (Role.MAINTAINER, *READ_ONLY_ROLES)
    list_display = ("code", "indented_name", "level", "parent")
    list_display_links = ("code", "indented_name")
    list_select_related = ("parent",)
    list_filter = ("level",)
    search_fields = ("^code", "name")
    ordering = ("path",)
    autocomplete_fields = ("parent",)
    list_per_page = 100

    @admin.display(description=_("name"), ordering="name")
    def indented_name(self, obj: Region) -> str:
        depth = max(obj.level - 2, 0)
        return format_html("{}{}{}", "\u3000" * depth, "└ " if depth else "", obj.name)

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> tuple[str, ...]:
        # Code, level and parent place the whole subtree; they are set once.
        return ("code", "level", "parent") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        if change:
            services.region_update(actor=request.user, region=obj, name=obj.name)
        else:
            saved = services.region_create(
                actor=request.user, code=obj.code, name=obj.name, level=obj.level, parent=obj.parent
            )
            _adopt(obj, saved)


# Departments --------------------------------------------------------------------------


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = DepartmentForm
    list_display = (
        "name",
        "short_name",
        "region",
        "parent",
        "masked_uscc",
        "is_supervision_room",
        "is_active",
    )
    list_select_related = ("region", "parent")
    list_filter = ("is_active", "is_supervision_room")
    search_fields = ("name", "short_name", "=uscc")
    autocomplete_fields = ("region", "parent")

    @admin.display(description=_("unified social credit code"), ordering="uscc")
    def masked_uscc(self, obj: Department) -> str:
        return mask_uscc(obj.uscc)

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        if change:
            services.department_update(actor=request.user, department=obj, **data)
        else:
            fields = {name: form.cleaned_data[name] for name in form.cleaned_data if name != "is_active"}
            saved = services.department_create(actor=request.user, **fields)
            _adopt(obj, saved)


# Service centers and windows ------------------------------------------------------------


class WindowInline(ScopedInlineMixin, admin.TabularInline):
    model = Window
    form = WindowForm
    fields = ("number", "name", "departments", "is_active")
    autocomplete_fields = ("departments",)
    extra = 1

    def get_queryset(self, request: HttpRequest) -> QuerySet[Window]:
        return super().get_queryset(request).prefetch_related("departments")


@admin.register(ServiceCenter)
class ServiceCenterAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = ServiceCenterForm
    inlines = (WindowInline,)
    list_display = ("name", "region", "address", "phone", "window_count")
    list_select_related = ("region",)
    search_fields = ("name", "address")
    autocomplete_fields = ("region",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceCenter]:
        return super().get_queryset(request).annotate(window_total=Count("windows"))

    @admin.display(description=_("windows"), ordering="window_total")
    def window_count(self, obj: ServiceCenter) -> int:
        return obj.window_total  # type: ignore[attr-defined]

    def get_readonly_fields(self, request: HttpRequest, obj: ServiceCenter | None = None) -> tuple[str, ...]:
        return ("region",) if obj is not None else ()

    def get_inline_instances(self, request: HttpRequest, obj: ServiceCenter | None = None) -> list[Any]:
        # Windows are added once the center exists (save, then continue editing).
        return super().get_inline_instances(request, obj) if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ServiceCenter, form: Any, change: bool) -> None:
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            services.service_center_update(actor=request.user, center=obj, **data)
        else:
            saved = services.service_center_create(actor=request.user, **form.cleaned_data)
            _adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Window:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # fills new/changed/deleted_objects for the change message
        for window in formset.deleted_objects:
            services.window_delete(actor=request.user, window=window)
        for window_form in formset.forms:
            data = getattr(window_form, "cleaned_data", None)
            if not data or data.get("DELETE") or not window_form.has_changed():
                continue
            window = window_form.instance
            if window.pk is None:
                saved = services.window_create(
                    actor=request.user,
                    center=form.instance,
                    number=data["number"],
                    name=data["name"],
                    departments=data.get("departments") or (),
                )
                _adopt(window, saved)
            else:
                changes = {
                    n: data[n] for n in window_form.changed_data if n in ("number", "name", "is_active")
                }
                if "departments" in window_form.changed_data:
                    changes["departments"] = data["departments"]
                services.window_update(actor=request.user, window=window, **changes)


# Staff and roles ------------------------------------------------------------------------


class RoleAssignmentInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        actor = getattr(self.form, "actor", None)
        for form in self.initial_forms:
            if getattr(form, "cleaned_data", {}).get("DELETE"):
                # A read-only row posts no values, so its form instance is not the stored
                # row: check the stored one.
                stored = RoleAssignment.objects.select_related(
                    "staff__department__region", "region", "department__region"
                ).get(pk=form.instance.pk)
                try:
                    services.role_revoke_validate(actor=actor, assignment=stored)
                except ValidationError as e:
                    raise ValidationError([f"{stored}：{m}" for m in e.messages]) from None


class RoleAssignmentInline(ScopedInlineMixin, admin.TabularInline):
    """Roles are granted and withdrawn, never edited in place."""

    model = RoleAssignment
    form = RoleAssignmentForm
    formset = RoleAssignmentInlineFormSet
    fields = ("role", "region", "department")
    autocomplete_fields = ("region", "department")
    scope_change_roles = (Role.SYSTEM_ADMIN,)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleAssignment]:
        return super().get_queryset(request).select_related("region", "department")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Staff)
class StaffAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = StaffForm
    add_form = StaffCreationForm
    inlines = (RoleAssignmentInline,)
    list_display = (
        "name",
        "department",
        "username",
        "employee_number",
        "masked_mobile",
        "role_list",
        "is_active",
    )
    list_select_related = ("department", "user")
    list_filter = ("is_active",)
    search_fields = ("name", "employee_number", "user__username")
    autocomplete_fields = ("department",)
    readonly_fields = ("is_active",)
    actions = ("deactivate", "reactivate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Staff]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("roles", queryset=RoleAssignment.objects.select_related("region", "department"))
            )
        )

    def get_form(
        self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs.setdefault("form", self.add_form)
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Staff | None = None) -> Any:
        if obj is None:
            return (
                (_("Login account"), {"fields": ("username", "email", "password1", "password2")}),
                (_("Staff member"), {"fields": ("name", "employee_number", "department", "mobile")}),
            )
        return ((None, {"fields": ("name", "employee_number", "department", "mobile", "is_active")}),)

    def get_inline_instances(self, request: HttpRequest, obj: Staff | None = None) -> list[Any]:
        # Roles are granted to an existing staff member (save, then continue editing).
        return super().get_inline_instances(request, obj) if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Staff leave by deactivation: their name stays on the cases they handled.
        return scope_of(request.user).is_superuser

    @admin.display(description=_("user name"), ordering="user__username")
    def username(self, obj: Staff) -> str:
        return obj.user.get_username()

    @admin.display(description=_("mobile"))
    def masked_mobile(self, obj: Staff) -> str:
        return obj.masked_mobile

    @admin.display(description=_("roles"))
    def role_list(self, obj: Staff) -> str:
        return format_html_join(
            "",
            "<div>{}</div>",
            (
                (f"{a.get_role_display()} · {' / '.join(str(x) for x in (a.region, a.department) if x)}",)
                for a in obj.roles.all()
            ),
        )

    def save_model(self, request: HttpRequest, obj: Staff, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in data}
            services.staff_update(actor=request.user, staff=obj, **changes)
        else:
            saved = services.staff_create(
                actor=request.user,
                username=data["username"],
                password=data["password1"],
                email=data.get("email") or "",
                name=data["name"],
                department=data["department"],
                employee_number=data.get("employee_number") or "",
                mobile=data.get("mobile") or "",
            )
            _adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        for assignment in formset.deleted_objects:
            services.role_revoke(actor=request.user, assignment=assignment)
        for role_form in formset.extra_forms:
            data = getattr(role_form, "cleaned_data", None)
            if not data or data.get("DELETE") or not role_form.has_changed():
                continue
            saved = services.role_grant(
                actor=request.user,
                staff=form.instance,
                role=data["role"],
                region=data.get("region"),
                department=data.get("department"),
            )
            _adopt(role_form.instance, saved)

    @admin.action(description=_("Deactivate the selected staff members"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Staff]) -> None:
        self._set_active(request, queryset, services.staff_deactivate)

    @admin.action(description=_("Reactivate the selected staff members"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Staff]) -> None:
        self._set_active(request, queryset, services.staff_reactivate)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Staff], service: Any) -> None:
        done = 0
        for staff in queryset:
            try:
                service(actor=request.user, staff=staff)
            except ValidationError as e:
                _report(self, request, staff, e)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(n)d staff member updated.", "%(n)d staff members updated.", done) % {"n": done},
                level=messages.SUCCESS,
            )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            actions.pop("deactivate", None)
            actions.pop("reactivate", None)
        return actions


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Every role held, and by whom. Granted and withdrawn; never edited in place."""

    form = RoleAssignmentForm
    scope_change_roles = (Role.SYSTEM_ADMIN,)
    list_display = ("staff", "role", "region", "department")
    list_select_related = ("staff__department", "region", "department")
    list_filter = ("role",)
    search_fields = ("staff__name", "staff__user__username", "region__name", "department__name")
    autocomplete_fields = ("staff", "region", "department")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and self.may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None or not self.may_edit(request, obj):
            return self.may_edit(request) if obj is None else False
        try:
            services.role_revoke_validate(actor=request.user, assignment=obj)  # type: ignore[arg-type]
        except ValidationError:
            return False
        return True

    def save_model(self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool) -> None:
        saved = services.role_grant(
            actor=request.user,
            staff=obj.staff,
            role=Role(obj.role),
            region=obj.region,
            department=obj.department,
        )
        _adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        services.role_revoke(actor=request.user, assignment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        for assignment in queryset:
            try:
                services.role_revoke(actor=request.user, assignment=assignment)
            except ValidationError as e:
                _report(self, request, assignment, e)
