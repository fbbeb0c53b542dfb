"""在线咨询: questions on an item, asked signed in or anonymously with a contact,
answered by the item's department within a time limit; good answers are published to
the item's FAQ on its guide page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Item
from yiwang.org.models import Department, Region
from yiwang.portal.models.accounts import Account


class ConsultationStatus(models.TextChoices):
    OPEN = "open", _("awaiting an answer")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed without an answer")


class Consultation(models.Model):
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
    )
    contact_name = models.CharField(_("name"), max_length=50)
    contact_mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    contact_email = models.EmailField(_("email"), blank=True)
    question = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("asked at"))
    due_date = models.DateField(_("answer due"))
    # The anonymous asker reaches the answer by this token (sent by SMS or email).
    query_token = models.CharField(_("query token"), max_length=43, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ConsultationStatus.choices, default=ConsultationStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published to the FAQ at"), null=True, blank=True)
    published_question = models.CharField(_("question as published"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    close_reason = models.CharField(_("why it was closed"), max_length=300, blank=True)
    # The department is told once when the answer is overdue.
    overdue_told_at = models.DateTimeField(_("told overdue at"), null=True, blank=True)

    scope_region_field = "region"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        indexes = [
            models.Index(fields=["department", "status", "due_date"], name="portal_consult_queue"),
            models.Index(
                fields=["item", "-published_at"],
                condition=Q(published_at__isnull=False),
                name="portal_consult_faq",
            ),
            models.Index(
                fields=["due_date"],
                condition=Q(status="open", overdue_told_at__isnull=True),
                name="portal_consult_overdue",
            ),
        ]

    def __str__(self) -> str:
        return self.question[:40]
