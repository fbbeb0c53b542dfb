"""Admin pages of electronic supervision.

Rules as data are edited here: time-limit rule sets, their versions and stages, where
each set is attached, and the irregularity detectors' settings. A draft version is
edited freely; publishing goes through ``services.ruleset_publish``, which refuses a
ladder that is not usable, and a published version (stages included) is shown read-only:
a change is a new version, made from it with "New draft from this version".

Rule sets apply across the province, so only superusers and system administrators or
supervisors whose scope is a whole province edit them. Attaching a rule set to a region,
department or item is open to those roles within their own scope.

Alerts, their history, irregularities and notices are records the sweep and the
detectors write: everyone whose scope covers them may read them here, nobody edits them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery, Value, When
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yiwang.cases.admin import ReadOnlyMixin
from yiwang.org.admin import ScopedAdminMixin, scoped_choices
from yiwang.org.models import Region, Role
from yiwang.org.permissions import can_act, can_view, scope_of, visible
from yiwang.supervision import rules, scoring, services
from yiwang.supervision.detectors import DEFAULT_PARAMS, DetectorCode, ParamsError, Severity, merge_params
from yiwang.supervision.models import (
    FACT_MEASURES,
    LEVEL_ORDER,
    Alert,
    AlertAction,
    Complaint,
    ComplaintEvent,
    DetectorSetting,
    Irregularity,
    Notice,
    RuleAssignment,
    RuleSet,
    RuleSetVersion,
    SchemeAssignment,
    ScoringScheme,
    ScoringSchemeVersion,
    Stage,
    Talk,
    TalkEvent,
)

RULE_EDIT_ROLES: tuple[Role, ...] = (Role.SYSTEM_ADMIN, Role.SUPERVISOR)
RULE_VIEW_ROLES: tuple[Role, ...] = (*RULE_EDIT_ROLES, Role.LEADER)
# Alerts and findings are read by the watchers and by the departments' administrators.
RECORD_VIEW_ROLES: tuple[Role, ...] = (Role.SUPERVISOR, Role.LEADER, Role.SYSTEM_ADMIN)

_EDITOR_ATTR = "_supervision_rule_editor"


def province_wide_editor(user: Any) -> bool:
    """May the user change rules that apply everywhere: a superuser, or a system
    administrator or supervisor whose grant covers a whole province (no department limit)?
    Answered once per user object, i.e. once per request."""
    cached = getattr(user, _EDITOR_ATTR, None)
    if cached is not None:
        return bool(cached)
    scope = scope_of(user)
    if scope.is_superuser:
        allowed = True
    else:
        grants = [g for g in scope.grants_for(RULE_EDIT_ROLES) if g.department_ids is None]
        roots: set[str] = set()
        if grants:
            roots = set(Region.objects.filter(parent__isnull=True).values_list("path", flat=True))
        allowed = any(g.region_path is None or g.region_path in roots for g in grants)
    if user is not None and user.is_authenticated:
        setattr(user, _EDITOR_ATTR, allowed)
    return allowed


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _adopt(target: Model, saved: Model) -> None:
    """Make the admin's form instance the row a service saved (the admin goes on to log
    and redirect with it)."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


class RuleConfigMixin:
    """Rule configuration: read by the supervising roles, changed by province-wide editors."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*RULE_VIEW_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return scope_of(request.user).has_role(*RULE_VIEW_ROLES)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return province_wide_editor(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return province_wide_editor(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return province_wide_editor(request.user)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)  # a bulk delete would skip the model's guards
        return actions


def _version_status(version: RuleSetVersion) -> str:
    if version.is_published:
        return pgettext("rule set version", "published")
    return pgettext("rule set version", "draft")


def _version_link(version: RuleSetVersion) -> str:
    url = reverse("admin:supervision_rulesetversion_change", args=[version.pk])
    return format_html('<a href="{}">v{}</a>', url, version.number)


def _scope_label(assignment: RuleAssignment) -> str:
    if assignment.item_id:
        return f"{pgettext('rule scope', 'item')}: {assignment.item}"
    if assignment.department_id:
        return f"{pgettext('rule scope', 'department')}: {assignment.department}"
    if assignment.region_id:
        return f"{pgettext('rule scope', 'region')}: {assignment.region}"
    return pgettext("rule scope", "everywhere (default)")


# --- rule sets ------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # governed by the page it is shown on

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(ReadOnlyInline):
    """The rule set's versions, newest first, each a link to its page."""

    model = RuleSetVersion
    fields = ("version_link", "status", "stage_count", "published_at", "published_by", "note")
    readonly_fields = fields
    verbose_name_plural = _("versions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleSetVersion]:
        return (
            super()
            .get_queryset(request)
            .select_related("published_by")
            .annotate(stage_total=Count("stages"))
            .order_by("-number")
        )

    @admin.display(description=pgettext_lazy("rule set version", "version"))
    def version_link(self, obj: RuleSetVersion) -> str:
        return _version_link(obj)

    @admin.display(description=_("status"))
    def status(self, obj: RuleSetVersion) -> str:
        return _version_status(obj)

    @admin.display(description=_("stages"))
    def stage_count(self, obj: RuleSetVersion) -> int:
        return obj.stage_total  # type: ignore[attr-defined,no-any-return]


class AssignmentInline(ReadOnlyInline):
    """Where the rule set is attached."""

    model = RuleAssignment
    fields = ("scope", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("attached to")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleAssignment]:
        return super().get_queryset(request).select_related("region", "department", "item")

    @admin.display(description=_("scope"))
    def scope(self, obj: RuleAssignment) -> str:
        return _scope_label(obj)


class VersionedConfigAdmin(RuleConfigMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A rule set or scoring scheme: its name and description; its numbered versions and
    attachments are listed below and changed on their own pages. Subclasses name the
    version model, its foreign key to the owner and the admin URL of a new version."""

    version_model: Any = None
    owner_field = ""
    version_add_url = ""
    list_display = ("code", "name", "current_version", "draft_version")
    search_fields = ("code", "name")

    def _latest(self, published: bool) -> QuerySet[Any]:
        return self.version_model.objects.filter(
            **{self.owner_field: OuterRef("pk"), "published_at__isnull": not published}
        ).order_by("-number")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_number=Subquery(self._latest(True).values("number")[:1]),
                draft_number=Subquery(self._latest(False).values("number")[:1]),
            )
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("code", "name", "description")
        return ("code", "name", "description", "new_version")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The code names it in commands, replays and links: set once.
        return ("code", "new_version") if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and (obj.versions.exists() or obj.assignments.exists()):
            return False  # versions and attachments are on record
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("current version"), ordering="current_number")
    def current_version(self, obj: Any) -> str:
        number = obj.current_number
        return f"v{number}" if number is not None else "—"

    @admin.display(description=_("draft in progress"), ordering="draft_number")
    def draft_version(self, obj: Any) -> str:
        number = obj.draft_number
        return f"v{number}" if number is not None else "—"

    @admin.display(description=_("new version"))
    def new_version(self, obj: Any) -> str:
        url = reverse(self.version_add_url)
        return format_html(
            '<a href="{}?{}={}">{}</a>',
            url,
            self.owner_field,
            obj.pk,
            gettext("Write a new version from scratch"),
        )


@admin.register(RuleSet)
class RuleSetAdmin(VersionedConfigAdmin):
    version_model = RuleSetVersion
    owner_field = "rule_set"
    version_add_url = "admin:supervision_rulesetversion_add"
    inlines = (VersionInline, AssignmentInline)


# --- rule set versions ----------------------------------------------------------------


_LEVEL_RANK = models.Case(
    *(When(level=level, then=Value(rank)) for level, rank in LEVEL_ORDER.items()),
    output_field=IntegerField(),
)


def _stage_rule(data: dict[str, Any]) -> rules.StageRule:
    return rules.StageRule(
        data.get("target") or "",
        data.get("level") or "",
        data.get("anchor") or "",
        data.get("workdays"),  # type: ignore[arg-type]
        data.get("percent"),
        data.get("notice_kind") or "",
    )


class StageFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """The stages as a whole must make a usable ladder (``rules.ladder_errors``), the same
    test publishing applies, so a draft is never saved in a state that cannot be published."""

    def kept_rows(self) -> list[dict[str, Any]]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = self.kept_rows()
        if not rows:
            raise ValidationError(gettext("A rule set version needs at least one stage."))
        errors = rules.ladder_errors([_stage_rule(row) for row in rows])
        if errors:
            raise ValidationError(errors)


class StageInline(admin.TabularInline):  # type: ignore[type-arg]
    """The ladder: editable while the version is a draft, read-only once published."""

    model = Stage
    formset = StageFormSet
    fields = ("target", "level", "anchor", "workdays", "percent", "notice_kind")

    @staticmethod
    def _editable(request: HttpRequest, obj: RuleSetVersion | None) -> bool:
        return province_wide_editor(request.user) and (obj is None or not obj.is_published)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Stage]:
        # Warning, yellow card, red card: the order they fire in, not the alphabet's.
        return super().get_queryset(request).annotate(rank=_LEVEL_RANK).order_by("target", "rank")

    def get_extra(self, request: HttpRequest, obj: RuleSetVersion | None = None, **kwargs: Any) -> int:
        if obj is None:
            return 3
        return 1 if self._editable(request, obj) else 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # governed by the version's page

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)


class PublishedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "published"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("yes", pgettext("rule set version", "published")),
            ("no", pgettext("rule set version", "draft")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(published_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(published_at__isnull=True)
        return queryset


# The change page of a version adds two buttons below the usual ones (after them, so the
# Enter key still saves): "Save and publish" on a draft, "New draft from this version" on
# a published version. A template file would do as well; the page needs nothing else.
_VERSION_FORM = """{% extends "admin/change_form.html" %}
{% block submit_buttons_bottom %}{{ block.super }}{% if rule_buttons %}
<div class="submit-row">{% for name, label, formaction in rule_buttons %}
<input type="submit" name="{{ name }}" value="{{ label }}"{% if formaction %} formaction="{{ formaction }}"{% endif %}>
{% endfor %}</div>{% endif %}{% endblock %}"""


@functools.cache
def _version_form() -> Any:
    return engines["django"].from_string(_VERSION_FORM)


class VersionActionsMixin:
    """Publishing drafts and "new draft from this version" for a versioned admin (rule
    sets, scoring schemes), as list actions and as buttons on a version's page. A
    subclass publishes through its service in ``publish_version`` and copies in
    ``copy_as_draft``; a refusal is shown with its reasons. Only a province-wide editor
    publishes: a version applies wherever its set is attached."""

    opts: Any
    admin_site: Any
    published_message: Any = ""

    def publish_version(self, request: HttpRequest, version: Any) -> None:
        raise NotImplementedError

    def copy_as_draft(self, request: HttpRequest, source: Any) -> Any:
        raise NotImplementedError

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return province_wide_editor(request.user)

    def _publish_one(self, request: HttpRequest, version: Any) -> bool:
        try:
            self.publish_version(request, version)
        except ValidationError as e:
            self.message_user(  # type: ignore[attr-defined]
                request,
                gettext("%(version)s was not published: %(reason)s")
                % {"version": version, "reason": _error_text(e)},
                messages.ERROR,
            )
            return False
        self.message_user(  # type: ignore[attr-defined]
            request, self.published_message % {"version": version}, messages.SUCCESS
        )
        return True

    @admin.action(description=_("Publish the selected drafts"), permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for version in queryset.order_by("number"):
            self._publish_one(request, version)

    def _change_url(self, pk: Any) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk])

    def _new_draft(self, request: HttpRequest, source: Any) -> Any:
        try:
            draft = self.copy_as_draft(request, source)
        except ValidationError as e:
            self.message_user(request, f"{source}: {_error_text(e)}", messages.ERROR)  # type: ignore[attr-defined]
            return None
        self.message_user(  # type: ignore[attr-defined]
            request,
            format_html(
                '{}: <a href="{}">{}</a>',
                source,
                self._change_url(draft.pk),
                gettext("draft version %(v)d created from version %(from)d")
                % {"v": draft.number, "from": source.number},
            ),
            messages.SUCCESS,
        )
        return draft

    @admin.action(description=_("New draft from the selected version"), permissions=["add"])
    def new_version(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for version in queryset:
            self._new_draft(request, version)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/new-version/",
                self.admin_site.admin_view(require_POST(self.new_version_view)),
                name=f"{self.opts.app_label}_{self.opts.model_name}_new_version",
            )
        ]
        return extra + super().get_urls()  # type: ignore[misc]

    def new_version_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_add_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        source = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if source is None:
            raise Http404(gettext("No such record within your scope."))
        draft = self._new_draft(request, source)
        target = draft if draft is not None else source
        return HttpResponseRedirect(self._change_url(target.pk))


@admin.register(RuleSetVersion)
class RuleSetVersionAdmin(VersionActionsMixin, RuleConfigMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "rule_set", "number", "status", "published_at", "note")
    list_display_links = ("__str__",)
    list_select_related = ("rule_set",)
    list_filter = (PublishedFilter, "rule_set")
    search_fields = ("rule_set__code", "rule_set__name", "note")
    ordering = ("rule_set__code", "-number")
    inlines = (StageInline,)
    actions = ("publish", "new_version")

    @property
    def change_form_template(self) -> Any:  # type: ignore[override]
        return _version_form()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("rule_set", "note")
        return ("rule_set", "number", "status", "published_at", "published_by", "note")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("rule_set", "number", "status", "published_at", "published_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_published:
            return False  # published: read-only for everyone, superusers included
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("status"))
    def status(self, obj: RuleSetVersion) -> str:
        return _version_status(obj)

    # -- saving: a new version is numbered by the service; a draft's stages by the formset

    def save_model(self, request: HttpRequest, obj: RuleSetVersion, form: Any, change: bool) -> None:
        if change:
            obj.save()  # the note of a draft
        # A new version is created with its stages in save_related, by the service.

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)
            return
        stage_set = next(fs for fs in formsets if fs.model is Stage)
        version = services.ruleset_new_version(
            rule_set=form.cleaned_data["rule_set"],
            stages=stage_set.kept_rows(),
            note=form.cleaned_data.get("note") or "",
            user=request.user,
            publish=False,
        )
        _adopt(form.instance, version)
        for formset in formsets:  # what the change message reads
            formset.new_objects = list(version.stages.all()) if formset is stage_set else []
            formset.changed_objects, formset.deleted_objects = [], []

    def response_add(self, request: HttpRequest, obj: RuleSetVersion, *args: Any) -> HttpResponse:
        if "_publish" in request.POST:
            self._publish_one(request, obj)
            return HttpResponseRedirect(reverse("admin:supervision_rulesetversion_change", args=[obj.pk]))
        return super().response_add(request, obj, *args)

    def response_change(self, request: HttpRequest, obj: RuleSetVersion) -> HttpResponse:
        if "_publish" in request.POST:
            self._publish_one(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        buttons = []
        if province_wide_editor(request.user):
            if obj is None or not obj.is_published:
                buttons.append(("_publish", gettext("Save and publish"), ""))
            else:
                buttons.append(
                    (
                        "_new_version",
                        gettext("New draft from this version"),
                        reverse("admin:supervision_rulesetversion_new_version", args=[obj.pk]),
                    )
                )
        context["rule_buttons"] = buttons
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- publishing and new drafts

    published_message = _("%(version)s is published; cases under this rule set follow it from now on.")

    def publish_version(self, request: HttpRequest, version: RuleSetVersion) -> None:
        services.ruleset_publish(version=version, user=request.user)

    def copy_as_draft(self, request: HttpRequest, source: RuleSetVersion) -> RuleSetVersion:
        return services.ruleset_new_version(
            rule_set=source.rule_set,
            stages=list(source.stages.all()),
            note=gettext("From version %(n)d.") % {"n": source.number},
            user=request.user,
            publish=False,
        )


# --- where rule sets apply ------------------------------------------------------------


class RuleAssignmentForm(forms.ModelForm):  # type: ignore[type-arg]
    # The signed-in user, set on the class by the admin (``RuleAssignmentAdmin.get_form``).
    actor: Any = None

    class Meta:
        model = RuleAssignment
        fields = ("rule_set", "region", "department", "item")

    def _get_validation_exclusions(self) -> set[str]:  # type: ignore[misc]
        # Attaching to a scope that already has a rule set replaces it (the service does):
        # the one-per-scope constraints must not refuse the form. The model's clean()
        # still refuses more than one scope.
        return {*super()._get_validation_exclusions(), "region", "department", "item"}  # type: ignore[misc]

    def validate_unique(self) -> None:
        pass  # see above

    def clean_rule_set(self) -> RuleSet:
        rule_set: RuleSet = self.cleaned_data["rule_set"]
        if not rule_set.versions.filter(published_at__isnull=False).exists():
            raise ValidationError(
                gettext("Rule set “%(name)s” has no published version yet.") % {"name": rule_set.name}
            )
        return rule_set

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope: list[Model] = [data[name] for name in ("region", "department", "item") if data.get(name)]
        if len(scope) > 1:
            return data  # the model's clean() says so
        if not scope:
            if not province_wide_editor(self.actor):
                raise ValidationError(
                    gettext(
                        "Only a province-wide administrator or supervisor may attach a rule set everywhere."
                    )
                )
        elif not any(can_act(self.actor, scope[0], role) for role in RULE_EDIT_ROLES):
            raise ValidationError(gettext("You may attach rule sets only within your own scope."))
        return data


@admin.register(RuleAssignment)
class RuleAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Which rule set applies where: the item's, else the department's, else the nearest
    region's, else the one attached everywhere. Attaching replaces what was there."""

    form = RuleAssignmentForm
    scope_change_roles = RULE_EDIT_ROLES  # what the region/department/item pickers offer
    list_display = ("scope", "scope_kind", "rule_set", "created_at")
    list_select_related = ("rule_set", "region", "department", "item")
    list_filter = ("rule_set",)
    search_fields = ("region__name", "region__code", "department__name", "item__code", "rule_set__name")
    autocomplete_fields = ("region", "department", "item")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*RULE_VIEW_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope_of(request.user).has_role(*RULE_VIEW_ROLES)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*RULE_EDIT_ROLES)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        scope = obj.item or obj.department or obj.region
        if scope is None:
            return province_wide_editor(request.user)
        return any(can_act(request.user, scope, role) for role in RULE_EDIT_ROLES)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A scope's rule set is replaced, not removed: there is no service that removes
        # one and re-watches the cases it covered.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Changing an attachment changes its rule set; another scope is another attachment.
        return ("region", "department", "item") if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in ("region", "department", "item"):
            base = kwargs.get("queryset", db_field.related_model._default_manager.all())
            kwargs["queryset"] = scoped_choices(request.user, db_field.related_model, RULE_EDIT_ROLES, base)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user, "__module__": form.__module__})

    def save_model(self, request: HttpRequest, obj: RuleAssignment, form: Any, change: bool) -> None:
        saved = services.ruleset_assign(
            rule_set=obj.rule_set, region=obj.region, department=obj.department, item=obj.item
        )
        _adopt(obj, saved)

    @admin.display(description=_("scope"))
    def scope(self, obj: RuleAssignment) -> str:
        return str(obj.item or obj.department or obj.region or pgettext("rule scope", "everywhere (default)"))

    @admin.display(description=_("applies to"))
    def scope_kind(self, obj: RuleAssignment) -> str:
        if obj.item_id:
            return pgettext("rule scope", "item")
        if obj.department_id:
            return pgettext("rule scope", "department")
        if obj.region_id:
            return pgettext("rule scope", "region")
        return pgettext("rule scope", "everywhere (default)")


# --- detector settings ----------------------------------------------------------------


class DetectorSettingForm(forms.ModelForm):  # type: ignore[type-arg]
    code = forms.ChoiceField(label=_("detector"), choices=DetectorCode.choices)
    severity = forms.ChoiceField(
        label=_("severity"),
        choices=[("", _("the detector's default")), *Severity.choices],
        required=False,
    )
    params = forms.JSONField(
        label=_("thresholds"),
        required=False,
        help_text=_('An object of named non-negative numbers, e.g. {"hours": 24}; empty for the defaults.'),
    )

    class Meta:
        model = DetectorSetting
        fields = ("code", "enabled", "severity", "params")

    def clean_params(self) -> dict[str, Any]:
        params = self.cleaned_data.get("params")
        if params in (None, ""):
            return {}
        if not isinstance(params, dict):
            raise ValidationError(
                gettext('Thresholds are an object of names and numbers, e.g. {"hours": 24}.')
            )
        for name, value in params.items():
            if name in ("enabled", "severity"):
                raise ValidationError(
                    gettext("“%(name)s” has its own field above; leave it out of the thresholds.")
                    % {"name": name}
                )
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValidationError(
                    gettext("The threshold “%(name)s” must be a number of zero or more, not %(value)s.")
                    % {"name": name, "value": repr(value)}
                )
        return params  # type: ignore[no-any-return]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = data.get("code")
        if code and "params" in data:
            try:
                merge_params({code: data["params"]})
            except ParamsError as e:
                self.add_error("params", e.message)
        return data


@admin.register(DetectorSetting)
class DetectorSettingAdmin(RuleConfigMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    form = DetectorSettingForm
    list_display = ("detector", "enabled", "severity_label", "params")
    list_filter = ("enabled",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code", "enabled", "severity", "params", "defaults")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code", "defaults") if obj is not None else ("defaults",)

    @admin.display(description=_("detector"), ordering="code")
    def detector(self, obj: DetectorSetting) -> str:
        return str(DetectorCode(obj.code).label) if obj.code in DetectorCode.values else obj.code

    @admin.display(description=_("severity"))
    def severity_label(self, obj: DetectorSetting) -> str:
        if not obj.severity:
            return gettext("the detector's default")
        return str(Severity(obj.severity).label) if obj.severity in Severity.values else obj.severity

    @admin.display(description=_("defaults"))
    def defaults(self, obj: DetectorSetting | None) -> str:
        codes = [obj.code] if obj is not None and obj.code in DEFAULT_PARAMS else list(DEFAULT_PARAMS)
        return format_html_join(
            "",
            "<div><b>{}</b>: {}</div>",
            (
                (
                    DetectorCode(code).label,
                    ", ".join(f"{name} = {value}" for name, value in DEFAULT_PARAMS[code].items()),
                )
                for code in codes
            ),
        )


# --- records: alerts, their history, irregularities, notices --------------------------


class ReadOnlyScopedAdmin(ReadOnlyMixin, ScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    scope_view_roles = RECORD_VIEW_ROLES
    scope_change_roles = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(str(name) for name in self.fields or ())


def _choices_filter(title: Any, parameter: str, choices: Any) -> type[admin.SimpleListFilter]:
    """A list filter offering a field's known values by their labels."""

    class ChoicesFilter(admin.SimpleListFilter):
        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            return [(value, str(label)) for value, label in choices]

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            return queryset.filter(**{parameter: self.value()}) if self.value() else queryset

    ChoicesFilter.title = title
    ChoicesFilter.parameter_name = parameter
    return ChoicesFilter


class AlertActionInline(ReadOnlyInline):
    model = AlertAction
    fields = ("action", "actor", "at", "note")
    readonly_fields = fields


class NoticeOfAlertInline(ReadOnlyInline):
    model = Notice
    fields = ("number", "kind", "issued_at", "pdf_link")
    readonly_fields = fields

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Notice) -> str:
        return _pdf_link(obj)


@admin.register(Alert)
class AlertAdmin(ReadOnlyScopedAdmin):
    list_display = (
        "case",
        "complaint",
        "level",
        "target",
        "subject_name",
        "department",
        "due_date",
        "raised_at",
        "status",
    )
    list_select_related = ("case", "complaint", "department")
    list_filter = ("level", "status", "target", ("department", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=case__number",)
    date_hierarchy = "raised_at"
    show_full_result_count = False
    inlines = (AlertActionInline, NoticeOfAlertInline)
    fields = (
        "case",
        "complaint",
        "department",
        "region",
        "target",
        "subject_name",
        "level",
        "due_date",
        "fire_at",
        "raised_at",
        "rule_version",
        "status",
        "explanation",
        "explained_by",
        "explained_at",
        "resolution",
        "resolved_by",
        "resolved_at",
    )


@admin.register(AlertAction)
class AlertActionAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """An alert's history, placed by its alert."""

    list_display = ("alert", "case_number", "action", "actor", "at")
    list_select_related = ("alert__case", "alert__complaint", "actor")
    list_filter = ("action",)
    search_fields = ("=alert__case__number",)
    show_full_result_count = False
    fields = ("alert", "action", "actor", "at", "note")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AlertAction]:
        alerts = visible(request.user, Alert.objects.all(), roles=RECORD_VIEW_ROLES)
        return super().get_queryset(request).filter(alert__in=alerts.values("pk"))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No such record within your scope."))
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*RECORD_VIEW_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return scope_of(request.user).has_role(*RECORD_VIEW_ROLES)
        return can_view(request.user, obj.alert, roles=RECORD_VIEW_ROLES)

    @admin.display(description=_("case"), ordering="alert__case__number")
    def case_number(self, obj: AlertAction) -> str:
        alert = obj.alert
        return alert.case.number if alert.case is not None else str(alert.complaint)


@admin.register(Irregularity)
class IrregularityAdmin(ReadOnlyScopedAdmin):
    list_display = ("case", "detector", "severity_label", "department", "detected_at")
    list_select_related = ("case", "department")
    list_filter = (
        _choices_filter(_("detector"), "code", DetectorCode.choices),
        _choices_filter(_("severity"), "severity", Severity.choices),
        ("department", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("=case__number",)
    date_hierarchy = "detected_at"
    show_full_result_count = False
    fields = (
        "case",
        "department",
        "region",
        "detector",
        "key",
        "severity_label",
        "explanation",
        "event_seqs",
        "detected_at",
    )

    @admin.display(description=_("detector"), ordering="code")
    def detector(self, obj: Irregularity) -> str:
        return str(DetectorCode(obj.code).label) if obj.code in DetectorCode.values else obj.code

    @admin.display(description=_("severity"), ordering="severity")
    def severity_label(self, obj: Irregularity) -> str:
        return str(Severity(obj.severity).label) if obj.severity in Severity.values else obj.severity


def _pdf_link(notice: Notice) -> str:
    try:
        url = reverse("supervision:notice_pdf", args=[notice.pk])
    except NoReverseMatch:
        if not notice.pdf:
            return "—"
        url = notice.pdf.url
    return format_html('<a href="{}">{}</a>', url, gettext("Download PDF"))


@admin.register(Notice)
class NoticeAdmin(ReadOnlyScopedAdmin):
    list_display = ("number", "kind", "department", "case", "issued_at", "reply_by", "pdf_link")
    list_select_related = ("department", "case")
    list_filter = ("kind", ("department", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=case__number", "number")
    date_hierarchy = "issued_at"
    show_full_result_count = False
    fields = (
        "number",
        "kind",
        "region",
        "department",
        "case",
        "alert",
        "issuing_unit",
        "facts",
        "requirement",
        "reply_by",
        "issued_at",
        "issued_by",
        "pdf_link",
        "sha256",
    )

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Notice) -> str:
        return _pdf_link(obj)


class TalkEventInline(ReadOnlyInline):
    model = TalkEvent
    fields = ("action", "actor", "at", "note")


@admin.register(Talk)
class TalkAdmin(ReadOnlyScopedAdmin):
    """Talks are scheduled and recorded on the supervision pages (/supervision/talks/),
    which check who may; here they are only read."""

    list_display = ("staff", "department", "level", "reason", "status", "scheduled_at", "bad_record")
    list_select_related = ("staff", "department")
    list_filter = (
        "status",
        "level",
        "reason",
        "bad_record",
        ("department", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("staff__name",)
    date_hierarchy = "scheduled_at"
    inlines = [TalkEventInline]


class ComplaintEventInline(ReadOnlyInline):
    model = ComplaintEvent
    fields = ("action", "actor", "at", "note")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyScopedAdmin):
    """Efficiency complaints are registered and handled on the supervision pages
    (/supervision/complaints/), which check who may; here they are only read, and never
    with the complainant's particulars, which only the supervision room sees there."""

    list_display = ("number", "category", "department", "status", "mode", "received_at", "priority")
    list_select_related = ("department",)
    list_filter = ("status", "category", "mode", "channel", ("department", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=number",)
    date_hierarchy = "received_at"
    show_full_result_count = False
    inlines = [ComplaintEventInline]
    fields = (
        "number",
        "region",
        "channel",
        "category",
        "priority",
        "department",
        "staff",
        "case",
        "content",
        "status",
        "received_at",
        "ack_due",
        "accepted_on",
        "mode",
        "handling_unit",
        "handling_due",
        "feedback_due",
        "substantiated",
        "result",
        "handled_at",
        "feedback_at",
        "reinvestigations",
        "repeat_of",
        "archived_at",
    )


# --- scoring schemes ------------------------------------------------------------------
#
# Edited here as the time-limit rule sets are: drafts as a table of indicators checked by
# scoring.validate, published through scoring.scheme_publish (then immutable), new drafts
# from a published version, and attachments through scoring.scheme_assign.


def _scheme_version_status(version: ScoringSchemeVersion) -> str:
    if version.published_at is not None:
        return pgettext("rule set version", "published")
    return pgettext("rule set version", "draft")


class ScoringSchemeVersionInline(ReadOnlyInline):
    """The scheme's versions, newest first, each a link to its page."""

    model = ScoringSchemeVersion
    fields = ("version_link", "status", "total", "published_at", "published_by", "note")
    readonly_fields = fields
    verbose_name_plural = _("versions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScoringSchemeVersion]:
        return super().get_queryset(request).select_related("published_by").order_by("-number")

    @admin.display(description=pgettext_lazy("rule set version", "version"))
    def version_link(self, obj: ScoringSchemeVersion) -> str:
        url = reverse("admin:supervision_scoringschemeversion_change", args=[obj.pk])
        return format_html('<a href="{}">v{}</a>', url, obj.number)

    @admin.display(description=_("status"))
    def status(self, obj: ScoringSchemeVersion) -> str:
        return _scheme_version_status(obj)


class SchemeAssignmentInline(ReadOnlyInline):
    """Where the scheme is attached."""

    model = SchemeAssignment
    fields = ("scope", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("attached to")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SchemeAssignment]:
        return super().get_queryset(request).select_related("region")

    @admin.display(description=_("scope"))
    def scope(self, obj: SchemeAssignment) -> str:
        return str(obj.region or pgettext("rule scope", "everywhere (default)"))


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(VersionedConfigAdmin):
    version_model = ScoringSchemeVersion
    owner_field = "scheme"
    version_add_url = "admin:supervision_scoringschemeversion_add"
    inlines = (ScoringSchemeVersionInline, SchemeAssignmentInline)


# --- scoring scheme versions: the indicators as a table of rows -----------------------
#
# A version's indicators are a JSON list (see ``scoring``); on a draft's page they are
# edited as a table, one indicator a row, and the whole is checked by
# ``scoring.validate`` on save, so a draft is never stored in a state that cannot be
# published. A deduction's or a bonus's points are written "yellow_cards:2, red_cards:5".

INDICATOR_COLUMNS: tuple[str, ...] = ("code", "label", "kind", "weight", "numerator", "denominator", "points")
MAX_INDICATOR_ROWS = 100  # a scheme of more than a hundred indicators is a typing accident
_POINT_PIECES = re.compile(r"[,，;；\n]")
_POINT_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*[:：=]\s*(\S+)")


def _points_text(points: Any) -> str:
    if isinstance(points, Mapping):
        # In the measures' own order: PostgreSQL's jsonb does not keep the written order.
        order = {name: i for i, name in enumerate(FACT_MEASURES)}
        ranked = sorted(points.items(), key=lambda kv: order.get(kv[0], len(order)))
        return ", ".join(f"{measure}:{value}" for measure, value in ranked)
    return "" if points is None else str(points)


def _row_text(data: Any) -> dict[str, str]:
    """One row of the table as text, from a stored indicator or a row as typed."""
    if not isinstance(data, Mapping):
        return dict.fromkeys(INDICATOR_COLUMNS, "")
    row = {column: "" if data.get(column) is None else str(data.get(column)) for column in INDICATOR_COLUMNS}
    row["points"] = _points_text(data.get("points"))
    return row


def parse_points(text: str, code: str) -> dict[str, str]:
    """ "yellow_cards:2, red_cards:5" as {"yellow_cards": "2", "red_cards": "5"}; the
    measures and numbers are checked by ``scoring.validate``."""
    points: dict[str, str] = {}
    for piece in _POINT_PIECES.split(text):
        if not piece.strip():
            continue
        found = _POINT_PAIR.fullmatch(piece.strip())
        if found is None:
            raise ValidationError(
                gettext(
                    "Indicator “%(code)s”: “%(piece)s” is not a measure and its points; "
                    "write them as yellow_cards:2, red_cards:5."
                )
                % {"code": code, "piece": piece.strip()}
            )
        measure, value = found.groups()
        if measure in points:
            raise ValidationError(
                gettext("Indicator “%(code)s” gives points for “%(measure)s” twice.")
                % {"code": code, "measure": measure}
            )
        points[measure] = value
    return points


class IndicatorTable(forms.Widget):
    """The indicators as a table: one row each, plus blank rows to add more. A row is
    removed by ticking its box or by emptying it."""

    extra_rows = 3

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[dict[str, str]] | None:
        try:
            count = min(int(data.get(f"{name}-rows", "")), MAX_INDICATOR_ROWS)
        except (TypeError, ValueError):
            return None
        rows = []
        for index in range(count):
            if data.get(f"{name}-{index}-DELETE"):
                continue
            row = {
                column: str(data.get(f"{name}-{index}-{column}") or "").strip()
                for column in INDICATOR_COLUMNS
            }
            if any(row.values()):
                rows.append(row)
        return rows

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return f"{name}-rows" not in data

    @staticmethod
    def _select(name: str, value: str, choices: list[tuple[str, str]]) -> str:
        if value and value not in {key for key, _label in choices}:
            choices = [*choices, (value, value)]  # shown as sent, so the error names it
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if key == value else "", label)
                for key, label in [("", "---------"), *choices]
            ),
        )
        return format_html('<select name="{}" style="width: 10em">{}</select>', name, options)

    def _row(self, name: str, index: int, row: dict[str, str]) -> str:
        def text(column: str, size: int, placeholder: str = "") -> str:
            return format_html(
                '<input type="text" name="{}-{}-{}" value="{}" size="{}" placeholder="{}">',
                name,
                index,
                column,
                row[column],
                size,
                placeholder,
            )

        kinds = [(str(value), str(label)) for value, label in scoring.IndicatorKind.choices]
        measures = [(m, f"{m}（{scoring.MEASURE_LABELS.get(m, (m, ''))[0]}）") for m in FACT_MEASURES]
        cells = (
            text("code", 10),
            text("label", 8),
            self._select(f"{name}-{index}-kind", row["kind"], kinds),
            text("weight", 3),
            self._select(f"{name}-{index}-numerator", row["numerator"], measures),
            self._select(f"{name}-{index}-denominator", row["denominator"], measures),
            text("points", 24, "yellow_cards:2, red_cards:5"),
            format_html('<input type="checkbox" name="{}-{}-DELETE">', name, index),
        )
        return format_html("<tr>{}</tr>", format_html_join("", "<td>{}</td>", ((cell,) for cell in cells)))

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        rows = [_row_text(data) for data in value] if isinstance(value, list | tuple) else []
        rows += [dict.fromkeys(INDICATOR_COLUMNS, "") for _blank in range(self.extra_rows)]
        headers = (
            pgettext("scheme", "code"),
            gettext("label"),
            gettext("formula kind"),
            gettext("weight"),
            gettext("numerator"),
            gettext("denominator"),
            gettext("points per measure"),
            gettext("remove"),
        )
        return format_html(
            '<input type="hidden" name="{}-rows" value="{}">'
            '<div style="overflow-x: auto; min-width: 0; flex: 1 1 0">'
            '<table class="indicator-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>',
            name,
            len(rows),
            format_html_join("", "<th>{}</th>", ((header,) for header in headers)),
            format_html_join("", "{}", ((self._row(name, i, row),) for i, row in enumerate(rows))),
        )


class IndicatorsField(forms.Field):
    """The table's rows as indicator objects, each with the parts its kind reads."""

    widget = IndicatorTable
    default_error_messages = {"required": _("A scheme needs at least one indicator.")}

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        indicators: list[dict[str, Any]] = []
        errors: list[ValidationError] = []
        for raw in value if isinstance(value, list | tuple) else []:
            row = _row_text(raw)
            data: dict[str, Any] = {column: row[column] for column in ("code", "label", "kind", "weight")}
            if row["kind"] in scoring.SHARE_KINDS:
                data["numerator"], data["denominator"] = row["numerator"], row["denominator"]
            elif row["kind"] in scoring.POINT_KINDS:
                try:
                    data["points"] = parse_points(row["points"], row["code"] or row["label"])
                except ValidationError as error:
                    errors.append(error)
            indicators.append(data)
        if errors:
            raise ValidationError(errors)
        return indicators

    def has_changed(self, initial: Any, data: Any) -> bool:
        before = [_row_text(row) for row in initial or []]
        return before != [_row_text(row) for row in data or []]


class SchemeVersionForm(forms.ModelForm):  # type: ignore[type-arg]
    indicators = IndicatorsField(
        label=_("indicators"),
        help_text=_(
            "One row per indicator. A rate or a complement reads a numerator and a denominator; "
            "a deduction or a capped bonus reads points per measure, written as "
            "yellow_cards:2, red_cards:5. The weights add up to the total; a bonus's weight is "
            "its cap. Blank rows are ignored; tick “remove” to drop a row."
        ),
    )

    class Meta:
        model = ScoringSchemeVersion
        fields = ("scheme", "total", "indicators", "note")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "total" in data and "indicators" in data:
            errors = scoring.validate(data["total"], data["indicators"])
            if errors:
                self.add_error("indicators", errors)
            else:
                # Stored as the service stores them: numbers as numbers, points in order.
                data["indicators"] = [
                    scoring.Indicator.from_json(item).to_json() for item in data["indicators"]
                ]
        return data


def _measure_legend() -> str:
    return format_html(
        "<p>{}: {}</p>",
        gettext("Measures"),
        ", ".join(f"{m}（{scoring.MEASURE_LABELS.get(m, (m, ''))[0]}）" for m in FACT_MEASURES),
    )


@admin.register(ScoringSchemeVersion)
class ScoringSchemeVersionAdmin(VersionActionsMixin, RuleConfigMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A draft is edited freely and published through ``scoring.scheme_publish``; a
    published version is read-only, and changes by a new draft made from it."""

    form = SchemeVersionForm
    list_display = ("__str__", "scheme", "number", "status", "total", "published_at", "note")
    list_display_links = ("__str__",)
    list_select_related = ("scheme",)
    list_filter = (PublishedFilter, "scheme")
    search_fields = ("scheme__code", "scheme__name", "note")
    ordering = ("scheme__code", "-number")
    actions = ("publish", "new_version")

    @property
    def change_form_template(self) -> Any:  # type: ignore[override]
        return _version_form()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("scheme", "total", "indicators", "measure_legend", "note")
        head = ("scheme", "number", "status", "total")
        if self.has_change_permission(request, obj):
            return (*head, "indicators", "measure_legend", "indicator_table", "note")
        return (*head, "indicator_table", "published_at", "published_by", "note")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("measure_legend",)
        return (
            "scheme",
            "number",
            "status",
            "measure_legend",
            "indicator_table",
            "published_at",
            "published_by",
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.published_at is not None:
            return False  # published: read-only for everyone, superusers included
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("status"))
    def status(self, obj: ScoringSchemeVersion) -> str:
        return _scheme_version_status(obj)

    @admin.display(description=pgettext_lazy("scheme", "measures"))
    def measure_legend(self, obj: ScoringSchemeVersion | None = None) -> str:
        return _measure_legend()

    @admin.display(description=_("formulas"))
    def indicator_table(self, obj: ScoringSchemeVersion) -> str:
        try:
            indicators = scoring.indicators_of(obj)
        except ValidationError as error:
            return _error_text(error)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (i.code, i.label, scoring.IndicatorKind(i.kind).label, scoring.plain(i.weight), i.formula)
                for i in indicators
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            pgettext("scheme", "code"),
            gettext("label"),
            gettext("formula kind"),
            gettext("weight"),
            gettext("formula"),
            rows,
        )

    # -- saving: a new version is made and numbered by the service

    def save_model(self, request: HttpRequest, obj: ScoringSchemeVersion, form: Any, change: bool) -> None:
        if change:
            # A draft's total, indicators (checked and normalised by the form) and note.
            # The model refuses the write if the version was published meanwhile.
            obj.save(update_fields=["total", "indicators", "note"])
            return
        version = scoring.scheme_new_version(
            scheme=obj.scheme,
            total=obj.total,
            indicators=obj.indicators,
            note=obj.note,
            user=request.user,
            publish=False,
        )
        _adopt(obj, version)

    def response_add(self, request: HttpRequest, obj: ScoringSchemeVersion, *args: Any) -> HttpResponse:
        if "_publish" in request.POST:
            self._publish_one(request, obj)
            return HttpResponseRedirect(
                reverse("admin:supervision_scoringschemeversion_change", args=[obj.pk])
            )
        return super().response_add(request, obj, *args)

    def response_change(self, request: HttpRequest, obj: ScoringSchemeVersion) -> HttpResponse:
        if "_publish" in request.POST:
            self._publish_one(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        buttons = []
        if province_wide_editor(request.user):
            if obj is None or obj.published_at is None:
                buttons.append(("_publish", gettext("Save and publish"), ""))
            else:
                buttons.append(
                    (
                        "_new_version",
                        gettext("New draft from this version"),
                        reverse("admin:supervision_scoringschemeversion_new_version", args=[obj.pk]),
                    )
                )
        context["rule_buttons"] = buttons
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- publishing and new drafts

    published_message = _(
        "%(version)s is published; scores under this scheme are worked out with it from now on."
    )

    def publish_version(self, request: HttpRequest, version: ScoringSchemeVersion) -> None:
        scoring.scheme_publish(version=version, user=request.user)

    def copy_as_draft(self, request: HttpRequest, source: ScoringSchemeVersion) -> ScoringSchemeVersion:
        return scoring.scheme_new_version(
            scheme=source.scheme,
            total=source.total,
            indicators=source.indicators,
            note=gettext("From version %(n)d.") % {"n": source.number},
            user=request.user,
            publish=False,
        )


# --- where scoring schemes apply ------------------------------------------------------


class SchemeAssignmentForm(forms.ModelForm):  # type: ignore[type-arg]
    # The signed-in user, set on the class by the admin (``SchemeAssignmentAdmin.get_form``).
    actor: Any = None

    class Meta:
        model = SchemeAssignment
        fields = ("scheme", "region")

    def _get_validation_exclusions(self) -> set[str]:  # type: ignore[misc]
        # Attaching where a scheme is already attached replaces it (the service does): the
        # one-per-region and one-global constraints must not refuse the form.
        return {*super()._get_validation_exclusions(), "scheme", "region"}  # type: ignore[misc]

    def validate_unique(self) -> None:
        pass  # see above

    def clean_scheme(self) -> ScoringScheme:
        scheme: ScoringScheme = self.cleaned_data["scheme"]
        if not scheme.versions.filter(published_at__isnull=False).exists():
            raise ValidationError(
                gettext("Scoring scheme “%(name)s” has no published version yet.") % {"name": scheme.name}
            )
        return scheme

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.has_error("region"):
            return data
        # On an existing attachment the region is shown, not edited.
        region = data.get("region") if "region" in self.fields else self.instance.region
        if region is None:
            if not province_wide_editor(self.actor):
                raise ValidationError(
                    gettext(
                        "Only a province-wide administrator or supervisor may attach a scoring scheme everywhere."
                    )
                )
        elif not any(can_act(self.actor, region, role) for role in RULE_EDIT_ROLES):
            raise ValidationError(gettext("You may attach scoring schemes only within your own scope."))
        return data


@admin.register(SchemeAssignment)
class SchemeAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Which scheme scores where: the nearest region's, else the one attached everywhere.
    Attaching replaces what was there. Supervisors and system administrators attach
    within their scope; the one attached everywhere is a province-wide editor's."""

    form = SchemeAssignmentForm
    list_display = ("scope", "scheme", "created_at")
    list_select_related = ("scheme", "region")
    list_filter = ("scheme",)
    search_fields = ("region__name", "region__code", "scheme__name")
    autocomplete_fields = ("region",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*RULE_VIEW_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope_of(request.user).has_role(*RULE_VIEW_ROLES)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(*RULE_EDIT_ROLES)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        if obj.region is None:
            return province_wide_editor(request.user)
        return any(can_act(request.user, obj.region, role) for role in RULE_EDIT_ROLES)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A region's scheme is replaced, not removed: there is no service that removes one.
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("scheme", "region", "created_at") if obj is not None else ("scheme", "region")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Changing an attachment changes its scheme; another region is another attachment.
        return ("region", "created_at") if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "region":
            base = kwargs.get("queryset", Region.objects.all())
            kwargs["queryset"] = scoped_choices(request.user, Region, RULE_EDIT_ROLES, base)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user, "__module__": form.__module__})

    def save_model(self, request: HttpRequest, obj: SchemeAssignment, form: Any, change: bool) -> None:
        _adopt(obj, scoring.scheme_assign(scheme=obj.scheme, region=obj.region))

    @admin.display(description=_("scope"))
    def scope(self, obj: SchemeAssignment) -> str:
        return str(obj.region or pgettext("rule scope", "everywhere (default)"))
