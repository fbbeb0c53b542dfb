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
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
        pgettext_lazy("calendar", "source"),
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


# --------------------------------------------------------------------------- notifications
# Written by ``yiwang.core.notify.send`` (in bulk, in the caller's transaction) and, for the
# outbox, delivered by ``yiwang.core.notify.deliver_pending`` from a periodic task.


class Notification(models.Model):
    """One message in a user's in-app inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("notification", "recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(
        pgettext_lazy("notification", "kind"),
        max_length=50,
        blank=True,
        help_text=_("A short code such as alert.yellow."),
    )
    subject = models.CharField(pgettext_lazy("notification", "subject"), max_length=200)
    body = models.TextField(pgettext_lazy("notification", "message"), blank=True)
    link = models.CharField(pgettext_lazy("notification", "link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(pgettext_lazy("notification", "read at"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("notification", "notification")
        verbose_name_plural = pgettext_lazy("notification", "notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"], name="core_notif_inbox_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboundChannel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("notification", "email")
    SMS = "sms", pgettext_lazy("notification", "SMS")


class OutboundStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("notification", "pending")
    SENT = "sent", pgettext_lazy("notification", "sent")
    FAILED = "failed", pgettext_lazy("notification", "failed")


class OutboundMessage(models.Model):
    """One email or SMS waiting to be sent, sent, or given up on (the outbox)."""

    channel = models.CharField(
        pgettext_lazy("notification", "channel"), max_length=10, choices=OutboundChannel.choices
    )
    address = models.CharField(
        pgettext_lazy("notification", "recipient address"),
        max_length=254,
        help_text=_("An email address or a mobile number."),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("notification", "recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(pgettext_lazy("notification", "subject"), max_length=200)
    body = models.TextField(pgettext_lazy("notification", "message"), blank=True)
    status = models.CharField(
        pgettext_lazy("notification", "status"),
        max_length=10,
        choices=OutboundStatus.choices,
        default=OutboundStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(pgettext_lazy("notification", "attempts"), default=0)
    last_error = models.TextField(pgettext_lazy("notification", "last error"), blank=True)
    next_attempt_at = models.DateTimeField(
        pgettext_lazy("notification", "next attempt at"), default=timezone.now
    )
    sent_at = models.DateTimeField(pgettext_lazy("notification", "sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("notification", "outbound message")
        verbose_name_plural = pgettext_lazy("notification", "outbound messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.subject}"
