"""在线评议 / 好差评: one rating per completed case, on the seeds' four levels by default
or the national five-level scale (``PORTAL_RATING_SCALE``). A poor rating opens a
follow-up for the department with a time limit, ending with a revisit of the rater."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.cases.models import Case
from yiwang.org.models import Department, Region
from yiwang.portal.models.accounts import Account


class RatingLevel(models.TextChoices):
    """Both scales' levels; ``yiwang.portal.ratings`` says which belong to which scale,
    which count as satisfied and which as poor."""

    VERY_SATISFIED = "very_satisfied", _("very satisfied")
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    AVERAGE = "average", _("average")
    DISSATISFIED = "dissatisfied", _("dissatisfied")
    VERY_DISSATISFIED = "very_dissatisfied", _("very dissatisfied")


class Rating(models.Model):
    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="rating")
    account = models.ForeignKey(
        Account, verbose_name=_("rated by"), on_delete=models.PROTECT, related_name="ratings"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    scale = models.PositiveSmallIntegerField(_("scale (levels)"))
    level = models.CharField(_("rating"), max_length=20, choices=RatingLevel.choices)
    is_poor = models.BooleanField(_("poor rating"))
    is_satisfied = models.BooleanField(_("satisfied"))
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"))

    scope_region_field = "region"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        indexes = [models.Index(fields=["department", "rated_at"], name="portal_rating_dept")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.level}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("awaiting the department's answer")
    ANSWERED = "answered", _("answered, awaiting the revisit")
    REVISITED = "revisited", _("revisited")


class RevisitResult(models.TextChoices):
    SATISFIED = "satisfied", _("the rater is now satisfied")
    UNSATISFIED = "unsatisfied", _("the rater is still dissatisfied")
    UNREACHABLE = "unreachable", _("the rater could not be reached")


class RatingFollowUp(models.Model):
    """差评整改: the department answers and rectifies by ``due_date``; then the rater is
    revisited (回访)."""

    rating = models.OneToOneField(
        Rating, verbose_name=_("rating"), on_delete=models.PROTECT, related_name="follow_up"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    due_date = models.DateField(_("answer due"))
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    answer = models.TextField(_("answer to the rater"), blank=True)
    rectification = models.TextField(_("rectification"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    revisit_result = models.CharField(
        _("revisit result"), max_length=12, choices=RevisitResult.choices, blank=True
    )
    revisit_note = models.TextField(_("revisit note"), blank=True)
    revisited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revisited by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revisited_at = models.DateTimeField(_("revisited at"), null=True, blank=True)
    # When the department and the supervisors were told the answer is overdue: once.
    overdue_told_at = models.DateTimeField(_("told overdue at"), null=True, blank=True)

    # Placed like the daily facts place a department's figures: by its region.
    scope_region_field = "department__region"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("poor-rating follow-up")
        verbose_name_plural = _("poor-rating follow-ups")
        indexes = [models.Index(fields=["department", "status", "due_date"], name="portal_followup_queue")]

    def __str__(self) -> str:
        return f"{self.rating_id} {self.status}"
