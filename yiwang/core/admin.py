"""Admin of the working-day calendar's override table.

Saving and deleting go through ``yiwang.core.calendar_services``; the forms run the same
validation first, so a bad entry is shown on the form and nothing is written. Both
change lists warn about the years around today whose holiday schedule is unknown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from yiwang.core import calendar, notify
from yiwang.core.calendar_services import (
    calendar_day_create,
    calendar_day_delete,
    calendar_day_update,
    calendar_year_delete,
    calendar_year_set,
    validate_calendar_day,
    validate_calendar_year,
)
from yiwang.core.checks import format_years
from yiwang.core.models import CalendarDay, CalendarYear, Notification, OutboundMessage
from yiwang.org.models import Role
from yiwang.org.permissions import scope_of

DATE_FORMAT_MESSAGE = _("Enter the date as YYYY-MM-DD, for example 2027-10-01.")


def warn_uncovered_years(request: HttpRequest) -> list[int]:
    """Add a warning naming last, this and next year if their schedule is unknown."""
    year = timezone.localdate().year
    missing = calendar.uncovered_years(range(year - 1, year + 2))
    if missing:
        messages.warning(
            request,
            gettext(
                "The holiday schedule of %(years)s has not been entered yet; until it is, working days "
                "there are counted Monday to Friday. Enter the published holidays and make-up working days "
                "as calendar days, then mark the year complete under calendar years."
            )
            % {"years": format_years(missing)},
        )
    return missing


class CalendarDayForm(forms.ModelForm):
    date = forms.DateField(
        label=_("date"),
        widget=AdminDateWidget,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_FORMAT_MESSAGE},
    )

    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "name", "source"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not self.errors:
            try:
                validate_calendar_day(
                    day=cleaned["date"],
                    is_workday=cleaned["is_workday"],
                    name=cleaned.get("name", ""),
                    source=cleaned.get("source", ""),
                    exclude_pk=self.instance.pk,
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


class CalendarAdminPermissions(admin.ModelAdmin):
    """The calendar is national data, not scoped to a region: every staff member with a
    role may read it, system administrators maintain it (as may holders of Django's own
    model permissions)."""

    def _any_role(self, request: HttpRequest) -> bool:
        return bool(scope_of(request.user).roles)

    def _maintains(self, request: HttpRequest) -> bool:
        return scope_of(request.user).has_role(Role.SYSTEM_ADMIN)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self._any_role(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self._any_role(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) or self._maintains(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) or self._maintains(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) or self._maintains(request)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdminPermissions):
    form = CalendarDayForm
    list_display = ["date", "weekday", "is_workday", "name", "source", "package_says", "updated_at"]
    list_filter = ["is_workday"]
    search_fields = ["name", "source"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "l")

    @admin.display(description=_("chinesecalendar says"))
    def package_says(self, obj: CalendarDay) -> str:
        value = calendar.package_day(obj.date)
        if value is None:
            return gettext("no data (Monday to Friday)")
        return gettext("working day") if value else gettext("day off")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        warn_uncovered_years(request)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        values = {
            "day": data["date"],
            "is_workday": data["is_workday"],
            "name": data["name"],
            "source": data.get("source", ""),
            "actor": request.user,
        }
        saved = calendar_day_update(calendar_day=obj, **values) if change else calendar_day_create(**values)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        calendar_day_delete(calendar_day=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for obj in queryset:
            calendar_day_delete(calendar_day=obj, actor=request.user)


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "schedule_reference", "published_on", "complete", "note"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        year = cleaned.get("year", self.instance.year if self.instance.pk else None)
        if not self.errors and year is not None:
            try:
                validate_calendar_year(
                    year=year,
                    schedule_reference=cleaned.get("schedule_reference", ""),
                    complete=bool(cleaned.get("complete")),
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdminPermissions):
    form = CalendarYearForm
    list_display = [
        "year",
        "complete",
        "schedule_reference",
        "published_on",
        "coverage_status",
        "days_entered",
    ]
    list_filter = ["complete"]

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> list[str]:
        return ["year"] if obj is not None else []

    @admin.display(description=_("coverage"))
    def coverage_status(self, obj: CalendarYear) -> str:
        cover = calendar.coverage(obj.year)
        if cover.by_table:
            return gettext("covered by this table")
        if cover.by_package:
            return gettext("covered by chinesecalendar")
        return gettext("not covered: Monday to Friday")

    @admin.display(description=_("days entered"))
    def days_entered(self, obj: CalendarYear) -> int:
        return calendar.coverage(obj.year).override_days

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        warn_uncovered_years(request)
        return super().changelist_view(request, extra_context)

    def save_model(
        self, request: HttpRequest, obj: CalendarYear, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        saved = calendar_year_set(
            year=obj.year,
            schedule_reference=data.get("schedule_reference", ""),
            complete=bool(data.get("complete")),
            published_on=data.get("published_on"),
            note=data.get("note", ""),
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        calendar_year_delete(calendar_year=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for obj in queryset:
            calendar_year_delete(calendar_year=obj, actor=request.user)


# --------------------------------------------------------------------------- notifications


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Inbox rows are written by ``yiwang.core.notify.send`` only; the admin reads them."""

    list_display = ["subject", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "kind", "recipient__username"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    readonly_fields = ["recipient", "kind", "subject", "body", "link", "created_at", "read_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The outbox, read-only: addresses are shown masked, and the only action is to try
    failed (or waiting) messages again now."""

    list_display = [
        "created_at",
        "channel",
        "masked_address",
        "recipient",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["subject", "recipient__username"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "channel",
        "masked_address",
        "recipient",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
    )
    actions = ["retry_now"]

    @admin.display(description=pgettext_lazy("notification", "recipient address"))
    def masked_address(self, obj: OutboundMessage) -> str:
        return notify.mask_address(obj.channel, obj.address)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=pgettext_lazy("notification", "Try again now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = notify.retry(queryset)
        messages.success(
            request,
            ngettext(
                "%(n)d message will be sent again within a minute (sent messages are left alone).",
                "%(n)d messages will be sent again within a minute (sent messages are left alone).",
                count,
            )
            % {"n": count},
        )
