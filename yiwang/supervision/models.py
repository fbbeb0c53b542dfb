"""Electronic supervision (电子监察): time-limit rules, watches, alerts, irregularities, notices.

Rules are data: a ``RuleSet`` has numbered versions; a published ``RuleSetVersion`` and its
``Stage`` rows never change (a change is a new version). A ``RuleAssignment`` attaches a
rule set globally or to a region, a department or an item; the most specific wins.

Each open case has a ``Watch``: the deadlines supervision cares about (acceptance, the
current step, the case) and ``next_at``, the next moment a rule can fire, indexed, so a
sweep reads only the watches that are due. Alerts and irregularities are unique per case,
subject and level (or code and key): raising one twice is impossible, whatever runs twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.cases.models import Case
from yiwang.catalog.models import Item
from yiwang.org.models import Department, Region


class Level(models.TextChoices):
    WARNING = "warning", pgettext_lazy("alert level", "warning")
    YELLOW = "yellow", pgettext_lazy("alert level", "yellow card")
    RED = "red", pgettext_lazy("alert level", "red card")


LEVEL_ORDER = {Level.WARNING: 0, Level.YELLOW: 1, Level.RED: 2}


class Target(models.TextChoices):
    """Which deadline a stage watches: three of a case, three of an efficiency complaint."""

    ACCEPTANCE = "acceptance", _("acceptance decision (5 working days)")
    STEP = "step", _("current step")
    CASE = "case", _("case (promised limit)")
    COMPLAINT_ACK = "complaint_ack", _("complaint: telling the complainant it is accepted (3 working days)")
    COMPLAINT_HANDLING = "complaint_handling", _("complaint: handling (7, at most 15 working days)")
    COMPLAINT_FEEDBACK = "complaint_feedback", _("complaint: feedback to the complainant (10 working days)")


COMPLAINT_TARGETS = (Target.COMPLAINT_ACK, Target.COMPLAINT_HANDLING, Target.COMPLAINT_FEEDBACK)


class Anchor(models.TextChoices):
    REMAINING = "remaining", _("when this many working days remain")
    OVERDUE = "overdue", _("this many working days after the due date (0: on the due date)")
    AFTER_PREVIOUS = "after_previous", _("this many working days after the previous stage")


class NoticeKind(models.TextChoices):
    INQUIRY = "inquiry", _("inquiry notice")
    ACCOUNTABILITY = "accountability", _("accountability notice")
    URGING = "urging", _("urging notice")
    RECOMMENDATION = "recommendation", _("supervision recommendation")
    DECISION = "decision", _("supervision decision")


class ImmutableError(Exception):
    """A published rule set version (or one of its stages) cannot be changed."""


class RuleSet(models.Model):
    code = models.SlugField(pgettext_lazy("rule set", "code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("time-limit rule set")
        verbose_name_plural = _("time-limit rule sets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RuleSetVersion(models.Model):
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("rule set version")
        verbose_name_plural = _("rule set versions")
        ordering = ["rule_set", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "number"], name="supervision_ruleset_version")
        ]

    def __str__(self) -> str:
        return f"{self.rule_set} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and RuleSetVersion.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise ImmutableError(_("A published rule set version cannot be changed; create a new version."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_published:
            raise ImmutableError(_("A published rule set version cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Stage(models.Model):
    """One rung of a ladder: when ``level`` is raised for ``target``."""

    version = models.ForeignKey(
        RuleSetVersion, verbose_name=_("rule set version"), on_delete=models.CASCADE, related_name="stages"
    )
    target = models.CharField(_("deadline watched"), max_length=20, choices=Target.choices)
    level = models.CharField(pgettext_lazy("alert", "level"), max_length=8, choices=Level.choices)
    anchor = models.CharField(_("fires"), max_length=16, choices=Anchor.choices)
    workdays = models.PositiveSmallIntegerField(_("working days"))
    percent = models.PositiveSmallIntegerField(
        _("or share of the limit remaining (%)"),
        null=True,
        blank=True,
        help_text=_(
            "Only with “remaining”: also fire when this share of the limit remains, whichever is first."
        ),
    )
    notice_kind = models.CharField(_("notice issued"), max_length=16, choices=NoticeKind.choices, blank=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["version", "target", "level"]
        constraints = [
            models.UniqueConstraint(fields=["version", "target", "level"], name="supervision_stage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} · {self.get_level_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if RuleSetVersion.objects.filter(pk=self.version_id, published_at__isnull=False).exists():
            raise ImmutableError(_("The stages of a published rule set version cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.version.is_published:
            raise ImmutableError(_("The stages of a published rule set version cannot be changed."))
        return super().delete(*args, **kwargs)


class RuleAssignment(models.Model):
    """Attaches a rule set: to everything (no scope), a region subtree, a department or an item."""

    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT, related_name="assignments"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule set assignment")
        verbose_name_plural = _("rule set assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(region__isnull=True, department__isnull=True)
                    | Q(region__isnull=True, item__isnull=True)
                    | Q(department__isnull=True, item__isnull=True)
                ),
                name="supervision_assignment_one_scope",
            ),
            models.UniqueConstraint(
                fields=["item"], condition=Q(item__isnull=False), name="supervision_assignment_item"
            ),
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(department__isnull=False),
                name="supervision_assignment_department",
            ),
            models.UniqueConstraint(
                fields=["region"], condition=Q(region__isnull=False), name="supervision_assignment_region"
            ),
            models.UniqueConstraint(
                fields=["rule_set"],
                condition=Q(region__isnull=True, department__isnull=True, item__isnull=True),
                name="supervision_assignment_global_per_set",
            ),
        ]

    def __str__(self) -> str:
        scope = self.item or self.department or self.region or _("everywhere")
        return f"{self.rule_set} → {scope}"

    def clean(self) -> None:
        if sum(x is not None for x in (self.region_id, self.department_id, self.item_id)) > 1:
            raise ValidationError(
                _("Attach a rule set to one region, one department or one item, not several.")
            )


class Watch(models.Model):
    """What supervision watches on one open case, kept by the event hook."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), primary_key=True, on_delete=models.CASCADE, related_name="watch"
    )
    rule_version = models.ForeignKey(
        RuleSetVersion,
        verbose_name=_("rule set version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subjects = models.JSONField(_("deadlines watched"), default=list)
    step_seq = models.PositiveIntegerField(_("event that started the current step"), null=True, blank=True)
    next_at = models.DateTimeField(_("next moment a rule can fire"), null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("watch")
        verbose_name_plural = _("watches")
        indexes = [
            models.Index(fields=["next_at"], condition=Q(next_at__isnull=False), name="supervision_watch_due")
        ]

    def __str__(self) -> str:
        return str(self.case_id)


class AlertStatus(models.TextChoices):
    RAISED = "raised", _("raised")
    EXPLAINED = "explained", _("explanation submitted")
    ACCEPTED = "accepted", _("explanation accepted")
    REJECTED = "rejected", _("explanation rejected")
    ESCALATED = "escalated", _("escalated")


class Alert(models.Model):
    """A warning or card raised on a case, or on an efficiency complaint's time limit. It
    stays on record after the case (complaint) completes. ``department`` is the one that
    answers for the deadline: the case's, or for a complaint the supervision room (self-
    handled) or the handling unit (transferred)."""

    scope_region_field = "region"
    scope_department_field = "department"

    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    complaint = models.ForeignKey(
        "Complaint",
        verbose_name=_("efficiency complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="alerts"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="alerts"
    )
    target = models.CharField(_("deadline"), max_length=20, choices=Target.choices)
    subject_key = models.CharField(_("subject"), max_length=40)
    subject_name = models.CharField(_("step"), max_length=100, blank=True)
    level = models.CharField(pgettext_lazy("alert", "level"), max_length=8, choices=Level.choices)
    due_date = models.DateField(pgettext_lazy("alert", "due date"))
    fire_at = models.DateTimeField(_("due to fire at"))
    raised_at = models.DateTimeField(_("raised at"))
    rule_version = models.ForeignKey(
        RuleSetVersion, verbose_name=_("rule set version"), on_delete=models.PROTECT, related_name="alerts"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.RAISED
    )
    explanation = models.TextField(_("explanation (情况说明)"), blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("explained by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    explained_at = models.DateTimeField(_("explained at"), null=True, blank=True)
    resolution = models.TextField(_("supervisor's conclusion"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("concluded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("concluded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "subject_key", "level"], name="supervision_alert_once"),
            models.UniqueConstraint(
                fields=["complaint", "subject_key", "level"],
                condition=Q(complaint__isnull=False),
                name="supervision_alert_complaint_once",
            ),
            models.CheckConstraint(
                condition=Q(case__isnull=False, complaint__isnull=True)
                | Q(case__isnull=True, complaint__isnull=False),
                name="supervision_alert_case_or_complaint",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "raised_at"], name="supervision_alert_dept"),
            models.Index(fields=["level", "raised_at"], name="supervision_alert_level"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.case_id or self.complaint_id}"


class HistoryEntry(models.Model):
    """One line of an append-only history: what was done, by whom, when, with a note."""

    action = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True


class AlertAction(HistoryEntry):
    """The history of an alert: notified, explained, accepted, rejected, escalated (append-only)."""

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="actions"
    )

    class Meta(HistoryEntry.Meta):
        verbose_name = _("alert action")
        verbose_name_plural = _("alert actions")
        ordering = ["alert", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} · {self.alert_id}"


class Irregularity(models.Model):
    """A finding of an irregularity detector on a case, with the events that prove it."""

    scope_region_field = "region"
    scope_department_field = "department"

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="irregularities"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="irregularities"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="irregularities"
    )
    code = models.CharField(pgettext_lazy("irregularity", "detector"), max_length=24)
    key = models.CharField(_("instance"), max_length=40)
    severity = models.CharField(_("severity"), max_length=8)
    explanation = models.TextField(_("explanation"))
    event_seqs = models.JSONField(_("events"), default=list)
    detected_at = models.DateTimeField(_("detected at"))

    class Meta:
        verbose_name = _("irregularity")
        verbose_name_plural = _("irregularities")
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "code", "key"], name="supervision_irregularity_once")
        ]
        indexes = [models.Index(fields=["department", "detected_at"], name="supervision_irreg_dept")]

    def __str__(self) -> str:
        return f"{self.code} · {self.case_id}"


class DetectorSetting(models.Model):
    """Overrides of a detector's defaults (enabled, severity, thresholds), for everyone."""

    code = models.CharField(_("detector"), max_length=24, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    severity = models.CharField(_("severity"), max_length=8, blank=True)
    params = models.JSONField(_("thresholds"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("detector setting")
        verbose_name_plural = _("detector settings")

    def __str__(self) -> str:
        return self.code


class Notice(models.Model):
    """A numbered supervision notice (问询 / 问责 / 督办 / 建议书) and its PDF."""

    scope_region_field = "region"
    scope_department_field = "department"

    # Unique with its issuing region (see the constraint): two counties of one name may
    # print the same number, as their 电子监察室 are different units.
    number = models.CharField(_("number"), max_length=40, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    serial = models.PositiveIntegerField(_("serial"))
    year = models.PositiveSmallIntegerField(_("year"))
    region = models.ForeignKey(
        Region, verbose_name=_("issuing region"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("addressee"), on_delete=models.PROTECT, related_name="notices"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    alert = models.ForeignKey(
        Alert,
        verbose_name=_("alert"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    complaint = models.ForeignKey(
        "Complaint",
        verbose_name=_("efficiency complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    issuing_unit = models.CharField(_("issuing unit"), max_length=100)
    facts = models.TextField(_("facts"))
    requirement = models.TextField(_("requirement"))
    reply_by = models.DateField(_("reply by"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pdf = models.FileField(_("PDF"), upload_to="notices/%Y/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "year", "serial"], name="supervision_notice_serial"
            )
        ]
        indexes = [models.Index(fields=["sha256"], name="supervision_notice_pending")]

    def __str__(self) -> str:
        return self.number


class NoticeSequence(models.Model):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "year"], name="supervision_notice_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


# --------------------------------------------------------------------------- admonition talks


class TalkReason(models.TextChoices):
    COMPLAINT = "complaint", _("substantiated complaint")
    RULES = "rules", _("breach of approval rules or centre management")
    PERFORMANCE = "performance", _("poor performance")
    REPEATED = "repeated", _("staff member talked to repeatedly")
    OTHER = "other", pgettext_lazy("talk reason", "other")


class TalkStatus(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("talk", "scheduled")
    HELD = "held", pgettext_lazy("talk", "held")
    MISSED = "missed", pgettext_lazy("talk", "missed")
    CANCELLED = "cancelled", pgettext_lazy("talk", "cancelled")


class TalkLevel(models.TextChoices):
    STAFF = "staff", _("with the staff member")
    HEAD = "head", _("with the department's head")


class Talk(models.Model):
    """An admonition talk (约谈) of the supervision room with a staff member, or, when a
    staff member has been talked to too often, with their department's administrative head
    (单位行政负责人, ``level`` head; ``concerning`` names the staff member, ``escalated_from``
    the held talk that reached the threshold; at most one head talk per such talk).

    Department and region are those of the person talked to when it was scheduled, kept
    for scoping. A talk may cite a case and the efficiency complaint behind it. Every
    change is a ``TalkEvent`` row. A talk missed without a valid reason is a bad record
    (不良记录)."""

    scope_region_field = "region"
    scope_department_field = "department"

    staff = models.ForeignKey(
        "org.Staff", verbose_name=_("staff member talked to"), on_delete=models.PROTECT, related_name="talks"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="talks"
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(
        pgettext_lazy("talk", "level"), max_length=8, choices=TalkLevel.choices, default=TalkLevel.STAFF
    )
    concerning = models.ForeignKey(
        "org.Staff",
        verbose_name=_("about the staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="head_talks",
    )
    escalated_from = models.OneToOneField(
        "self",
        verbose_name=pgettext_lazy("talk", "escalated from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalation",
    )
    reason = models.CharField(pgettext_lazy("talk", "reason"), max_length=12, choices=TalkReason.choices)
    reason_text = models.TextField(pgettext_lazy("talk", "what it is about"))
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="talks"
    )
    complaint = models.ForeignKey(
        "Complaint",
        verbose_name=_("efficiency complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="talks",
    )
    scheduled_at = models.DateTimeField(pgettext_lazy("talk", "scheduled for"))
    place = models.CharField(pgettext_lazy("talk", "place"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=TalkStatus.choices, default=TalkStatus.SCHEDULED
    )
    record = models.TextField(_("record of the talk"), blank=True)
    rectification = models.TextField(_("rectification required"), blank=True)
    rectify_workdays = models.PositiveSmallIntegerField(
        _("rectify within (working days)"), null=True, blank=True
    )
    rectify_by = models.DateField(pgettext_lazy("talk", "rectify by"), null=True, blank=True)
    held_at = models.DateTimeField(pgettext_lazy("talk", "held at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("talk", "recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    excused = models.BooleanField(_("absence excused"), default=False)
    bad_record = models.BooleanField(_("bad record (不良记录)"), default=False)
    closing_note = models.TextField(_("reason for the absence or cancellation"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("talk", "scheduled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("admonition talk")
        verbose_name_plural = _("admonition talks")
        ordering = ["-scheduled_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="staff", concerning__isnull=True) | Q(level="head"),
                name="supervision_talk_concerning_head_only",
            ),
        ]
        indexes = [
            models.Index(fields=["staff", "status", "held_at"], name="supervision_talk_staff"),
            models.Index(fields=["concerning", "created_at"], name="supervision_talk_concerning"),
            models.Index(fields=["department", "scheduled_at"], name="supervision_talk_dept"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.staff_id} · {self.scheduled_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status == TalkStatus.SCHEDULED


class TalkEvent(HistoryEntry):
    """The history of a talk (append-only): scheduled, held, missed, cancelled, escalated,
    notified; who and when."""

    talk = models.ForeignKey(
        Talk, verbose_name=_("admonition talk"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(HistoryEntry.Meta):
        verbose_name = _("talk event")
        verbose_name_plural = _("talk events")
        ordering = ["talk", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} · {self.talk_id}"


# --------------------------------------------------------------------------- efficiency complaints


class ComplaintChannel(models.TextChoices):
    PORTAL = "portal", _("online, through the portal")
    PHONE = "phone", _("telephone")
    LETTER = "letter", _("letter")
    VISIT = "visit", _("visit in person")
    HOTLINE = "hotline", _("transferred by the 12345 hotline")


class ComplaintCategory(models.TextChoices):
    """What is complained about: seed 004 part 1, 一、处理范围, and retaliation (四、2)."""

    NOT_DISCLOSED = "not_disclosed", _("not disclosing or not notifying as required")
    REFUSED = "refused", _("refusing or obstructing a valid application")
    NO_NOTICE = "no_notice", _("no one-time notice of what is missing")
    LOST_MATERIALS = "lost_materials", _("losing or damaging the applicant's materials")
    NOT_TRANSFERRED = "not_transferred", _("not explaining, referring or transferring a matter")
    BUCK_PASSING = "buck_passing", _("buck-passing")
    ATTITUDE = "attitude", _("bad attitude")
    EFFICIENCY = "efficiency", _("low efficiency or overdue handling")
    FEES = "fees", _("changing the scope or standard of fees")
    IGNORED = "ignored", _("ignoring reasonable requests")
    RETALIATION = "retaliation", _("retaliation against a complainant")
    OTHER = "other", pgettext_lazy("complaint category", "other")


class ComplaintStatus(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("complaint", "registered")
    HANDLING = "handling", pgettext_lazy("complaint", "being handled")
    PROPOSED = "proposed", pgettext_lazy("complaint", "proposal awaiting approval")
    CONSENTED = "consented", pgettext_lazy("complaint", "handling agreed, unit acting")
    HANDLED = "handled", pgettext_lazy("complaint", "handled")
    CLOSED = "closed", pgettext_lazy("complaint", "answered without investigation")
    ARCHIVED = "archived", pgettext_lazy("complaint", "archived")


class ComplaintMode(models.TextChoices):
    SELF = "self", _("handled by the supervision room (自办)")
    TRANSFER = "transfer", _("transferred to a handling unit (转办)")


class MeasureKind(models.TextChoices):
    """处理方式, seed 004 part 1, 二."""

    SELF_EXAMINATION = "self_examination", _("written self-examination")
    CRITICISM = "criticism", _("notice of criticism")
    RECTIFICATION = "rectification", _("rectification within a time limit")
    HONOURS = "honours", _("loss of the year's honours")
    REMOVAL = "removal", _("removal from the approval post")
    DISCIPLINARY = "disciplinary", _("referral for disciplinary action")


class Complaint(models.Model):
    """An efficiency complaint (效能投诉), registered on the 效能投诉受理登记表 and handled
    by the supervision room of ``region`` (seed 004 part 1, 三、处理程序).

    ``department`` (and optionally ``staff`` and ``case``) is what it is about. The
    complainant's particulars are shown only to the supervision room (supervisors whose
    scope covers the complaint); everyone else sees the complaint without them.

    The complaint's time limits are watched like a case's: ``subjects`` are the deadlines
    running, ``rule_version`` the ladder that applies and ``next_at`` the next moment a
    warning or card can fire, read by the same sweep."""

    scope_region_field = "region"
    scope_department_field = "department"

    number = models.CharField(_("number"), max_length=40, db_index=True)
    serial = models.PositiveIntegerField(_("serial"))
    year = models.PositiveSmallIntegerField(_("year"))
    region = models.ForeignKey(
        Region, verbose_name=_("supervision room's region"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(
        pgettext_lazy("complaint", "channel"), max_length=10, choices=ComplaintChannel.choices
    )
    category = models.CharField(
        pgettext_lazy("complaint", "category"), max_length=16, choices=ComplaintCategory.choices
    )
    priority = models.BooleanField(_("priority"), default=False)
    complainant_name = models.CharField(_("complainant"), max_length=100)
    complainant_mobile = models.CharField(_("complainant's mobile"), max_length=11, blank=True)
    complainant_phone = models.CharField(_("other telephone"), max_length=30, blank=True)
    complainant_address = models.CharField(_("complainant's address"), max_length=200, blank=True)
    complainant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("complainant's account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department complained about"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("staff member complained about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    content = models.TextField(pgettext_lazy("complaint", "what happened"))
    request = models.TextField(_("what the complainant asks for"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.REGISTERED
    )
    received_at = models.DateTimeField(_("received at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ack_due = models.DateField(_("complainant told of acceptance by"))
    acked_at = models.DateTimeField(_("complainant told of acceptance at"), null=True, blank=True)
    answer = models.TextField(_("answer to the complainant"), blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    mode = models.CharField(_("handling"), max_length=8, choices=ComplaintMode.choices, blank=True)
    handling_unit = models.ForeignKey(
        Department,
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    transfer_instruction = models.TextField(_("head's instruction to transfer (批示)"), blank=True)
    handling_limit = models.PositiveSmallIntegerField(
        _("handling limit (working days)"), null=True, blank=True
    )
    handling_due = models.DateField(_("handled by"), null=True, blank=True)
    feedback_due = models.DateField(_("feedback by"), null=True, blank=True)
    interim_at = models.DateTimeField(_("complainant told of the delay at"), null=True, blank=True)
    feedback = models.TextField(_("feedback to the complainant"), blank=True)
    feedback_at = models.DateTimeField(_("feedback given at"), null=True, blank=True)
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("feedback given by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    findings = models.TextField(_("findings"), blank=True)
    proposal = models.TextField(_("proposed handling"), blank=True)
    proposed_measures = models.JSONField(_("measures proposed"), default=list, blank=True)
    substantiated = models.BooleanField(_("substantiated"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.TextField(_("result of the handling"), blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    reinvestigations = models.PositiveSmallIntegerField(_("re-investigations ordered"), default=0)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeats the complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeats",
    )
    closed_at = models.DateTimeField(pgettext_lazy("complaint", "closed at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    archive = models.FileField(_("archive file"), upload_to="complaints/archive/%Y/", blank=True)
    archive_sha256 = models.CharField(_("archive SHA-256"), max_length=64, blank=True)
    # The watch: the deadlines running, the ladder, the next moment a rule can fire.
    subjects = models.JSONField(_("deadlines watched"), default=list, blank=True)
    rule_version = models.ForeignKey(
        RuleSetVersion,
        verbose_name=_("rule set version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    next_at = models.DateTimeField(_("next moment a rule can fire"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("efficiency complaint")
        verbose_name_plural = _("efficiency complaints")
        ordering = ["-priority", "-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "serial"], name="supervision_complaint_serial"),
            models.CheckConstraint(
                condition=~Q(mode="transfer") | Q(handling_unit__isnull=False),
                name="supervision_complaint_transfer_unit",
            ),
            models.CheckConstraint(
                condition=Q(handling_limit__isnull=True) | Q(handling_limit__lte=15),
                name="supervision_complaint_limit_15",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_at"], condition=Q(next_at__isnull=False), name="supervision_complaint_due"
            ),
            models.Index(fields=["department", "received_at"], name="supervision_complaint_dept"),
            models.Index(fields=["region", "status"], name="supervision_complaint_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in (ComplaintStatus.CLOSED, ComplaintStatus.ARCHIVED)

    @property
    def responsible_department_id(self) -> int | None:
        """Who answers for the handling deadline: the unit of a transferred complaint."""
        return self.handling_unit_id if self.mode == ComplaintMode.TRANSFER else None


class ComplaintEvent(HistoryEntry):
    """The history of a complaint (append-only): registered, accepted, transferred, each
    record, proposal, approval, consent, result, feedback, re-investigation, archive."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("efficiency complaint"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(HistoryEntry.Meta):
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["complaint", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} · {self.complaint_id}"


class ComplaintDocumentKind(models.TextChoices):
    ATTACHMENT = "attachment", _("complainant's attachment")
    RECORD = "record", _("investigation record")
    REPORT = "report", _("handling unit's written report")
    FEEDBACK = "feedback", _("written feedback")
    OTHER = "other", pgettext_lazy("document", "other")


class ComplaintDocument(models.Model):
    """A file kept with a complaint; every one goes into the archive."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("efficiency complaint"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ComplaintDocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="complaints/%Y/")
    content_type = models.CharField(pgettext_lazy("document", "file type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("complaint document")
        verbose_name_plural = _("complaint documents")
        ordering = ["complaint", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.title


class InvestigationKind(models.TextChoices):
    TALK = "talk", _("talk (谈话)")
    INQUIRY = "inquiry", _("inquiry (询问)")
    DOCUMENTS = "documents", _("review of documents (查阅资料)")
    SITE = "site", _("on-site check")


class Investigation(models.Model):
    """One investigation record of a complaint: a talk, an inquiry, a review of documents."""

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("efficiency complaint"),
        on_delete=models.PROTECT,
        related_name="investigations",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=InvestigationKind.choices)
    held_on = models.DateField(_("date"))
    people = models.CharField(_("people involved"), max_length=200, blank=True)
    record = models.TextField(_("record"))
    document = models.ForeignKey(
        ComplaintDocument,
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("investigation record")
        verbose_name_plural = _("investigation records")
        ordering = ["complaint", "held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.held_on}"


class ComplaintMeasure(models.Model):
    """A measure taken on a substantiated complaint, against a staff member and their
    department (counted in performance)."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("efficiency complaint"), on_delete=models.PROTECT, related_name="measures"
    )
    kind = models.CharField(_("measure"), max_length=16, choices=MeasureKind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaint_measures",
    )
    note = models.TextField(_("note"), blank=True)
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["complaint", "pk"]
        indexes = [models.Index(fields=["department", "decided_at"], name="supervision_measure_dept")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.complaint_id}"


# --------------------------------------------------------------------------- performance


# The figures a fact row counts (each a whole number, summed over days and rows). The
# scoring schemes' formulas may name these and nothing else.
FACT_MEASURES: tuple[str, ...] = (
    "received",  # cases submitted (申请)
    "online",  # … of which submitted online
    "accepted",  # cases accepted (受理)
    "refused",  # cases refused (不予受理)
    "completed",  # cases completed (办结)
    "on_time",  # … within the promised limit
    "early",  # … before the promised due date (提前办结)
    "late",  # … after it
    "workdays_used",  # working days used by the cases completed (clock time)
    "promised_days",  # their promised limits, summed
    "statutory_days",  # their statutory limits, summed
    "supplements",  # supplement requests (补齐补正)
    "repeat_supplements",  # … beyond the first on a case (no one-time notice)
    "suspensions",  # special procedures started (特别程序)
    "ratings",  # service ratings given (评议)
    "ratings_satisfied",  # … satisfied or basically satisfied (满意/基本满意)
    "ratings_poor",  # … unsatisfied (不满意)
    "complaints",  # efficiency complaints received
    "complaints_substantiated",  # … found substantiated
    "warnings",  # warnings raised
    "yellow_cards",
    "red_cards",
    "irregularities",  # irregularity findings
)


class DailyFact(models.Model):
    """The figures of one day for one department, item, window and staff member, kept as
    events arrive and rebuildable from the ledger. Reports and dashboards read these,
    never the cases. ``item_id``, ``window_id`` and ``staff_id`` are 0 where a figure is
    not about one (plain numbers, not foreign keys: the table is derived and large)."""

    day = models.DateField(pgettext_lazy("fact", "day"))
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    region_path = models.CharField(_("region path"), max_length=12)
    item_id = models.PositiveIntegerField(_("item"), default=0)
    window_id = models.PositiveIntegerField(_("window"), default=0)
    staff_id = models.PositiveIntegerField(_("staff member"), default=0)
    received = models.IntegerField(default=0)
    online = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    early = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    workdays_used = models.IntegerField(default=0)
    promised_days = models.IntegerField(default=0)
    statutory_days = models.IntegerField(default=0)
    supplements = models.IntegerField(default=0)
    repeat_supplements = models.IntegerField(default=0)
    suspensions = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    ratings_satisfied = models.IntegerField(default=0)
    ratings_poor = models.IntegerField(default=0)
    complaints = models.IntegerField(default=0)
    complaints_substantiated = models.IntegerField(default=0)
    warnings = models.IntegerField(default=0)
    yellow_cards = models.IntegerField(default=0)
    red_cards = models.IntegerField(default=0)
    irregularities = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily fact")
        verbose_name_plural = _("daily facts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "department", "item_id", "window_id", "staff_id"], name="supervision_fact_key"
            )
        ]
        indexes = [
            # A region's subtree is a prefix of the path (LIKE '1304%'): on PostgreSQL only
            # the pattern operator class lets the index serve it under a non-C collation.
            models.Index(
                fields=["region_path", "day"],
                name="supervision_fact_region_day",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            models.Index(fields=["department", "day"], name="supervision_fact_dept_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} · {self.department_id}/{self.item_id}/{self.window_id}/{self.staff_id}"


class ScoringScheme(models.Model):
    """A performance scoring scheme (绩效评估办法): numbered versions of weighted
    indicators, attached to regions."""

    code = models.SlugField(pgettext_lazy("scheme", "code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ScoringSchemeVersion(models.Model):
    """One version of a scheme: its total and its indicators (a list of objects: code,
    label, kind rate / complement / deduction / bonus, weight and the measures it reads;
    see ``yiwang.supervision.scoring``). Immutable once published."""

    scheme = models.ForeignKey(
        ScoringScheme, verbose_name=_("scoring scheme"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    total = models.PositiveSmallIntegerField(_("total points"), default=100)
    indicators = models.JSONField(_("indicators"), default=list)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("scoring scheme version")
        verbose_name_plural = _("scoring scheme versions")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="supervision_scheme_version")
        ]

    def __str__(self) -> str:
        return f"{self.scheme} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and ScoringSchemeVersion.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise ImmutableError(
                _("A published scoring scheme version cannot be changed; create a new version.")
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.published_at is not None:
            raise ImmutableError(_("A published scoring scheme version cannot be deleted."))
        return super().delete(*args, **kwargs)


class SchemeAssignment(models.Model):
    """Attaches a scheme to a region subtree (the nearest wins) or, without a region,
    everywhere."""

    scheme = models.ForeignKey(
        ScoringScheme, verbose_name=_("scoring scheme"), on_delete=models.PROTECT, related_name="assignments"
    )
    region = models.OneToOneField(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scoring scheme assignment")
        verbose_name_plural = _("scoring scheme assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme"], condition=Q(region__isnull=True), name="supervision_scheme_global"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme} → {self.region or _('everywhere')}"
