"""Core data: the override table of the working-day calendar.

``chinesecalendar`` knows the State Council's holiday schedules up to the year of its
release; every later schedule (and any correction) is entered here by an administrator.
A ``CalendarDay`` row decides its date outright; a ``CalendarYear`` row with ``complete``
set declares that the table holds the whole published schedule of that year, so entering
one day never makes a year look covered. Writes go through ``yiwang.core.calendar_services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from yiwang.core import calendar

WORKDAY_CHOICES = [
    (True, _("working day (e.g. a make-up working weekend)")),
    (False, _("day off (e.g. a statutory holiday)")),
]


class CalendarDay(models.Model):
    date = models.DateField(
        _("date"),
        unique=True,
        error_messages={
            "unique": _("There is already a calendar entry for this date; change that entry instead.")
        },
    )
    is_workday = models.BooleanField(_("working day?"), choices=WORKDAY_CHOICES)
    name = models.CharField(
        _("name or reason"), max_length=50, help_text=_("For example 春节 (Spring Festival) or 调休上班.")
    )
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("The published notice, for example 国办发明电〔2025〕7号."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        error_messages={"unique": _("This year has already been entered; change that entry instead.")},
    )
    schedule_reference = models.CharField(
        _("published schedule"),
        max_length=100,
        blank=True,
        help_text=_("The State Council notice of the year's holidays, for example 国办发明电〔2025〕7号."),
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)
    complete = models.BooleanField(
        _("schedule completely entered"),
        default=False,
        help_text=_(
            "Tick only when every holiday and make-up working day of the year has been entered as a calendar day."
        ),
    )
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


# The calendar keeps precomputed tables per process; any change to these rows, however
# it is written, must invalidate them (here and, through the cache stamp, elsewhere).
for _model in (CalendarDay, CalendarYear):
    post_save.connect(calendar.rows_changed, sender=_model, dispatch_uid=f"calendar-save-{_model.__name__}")
    post_delete.connect(
        calendar.rows_changed, sender=_model, dispatch_uid=f"calendar-delete-{_model.__name__}"
    )
