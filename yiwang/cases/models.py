"""Cases (办件) and their append-only event ledger.

``CaseEvent`` rows are the truth: every change of a case is one event, hash-chained to
the case's previous event, never updated or deleted (enforced here and, on PostgreSQL,
by a trigger). ``Case`` is a projection of its events (``yiwang.cases.workflow``),
rebuilt on demand by ``manage.py rebuild_cases``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Item, ItemVersion, Material
from yiwang.core.identifiers import mask_name, mask_resident_id, mask_uscc
from yiwang.org.models import Department, Region


class ApplicantKind(models.TextChoices):
    INDIVIDUAL = "individual", _("individual")
    ENTERPRISE = "enterprise", _("enterprise or organisation")


class Channel(models.TextChoices):
    """办理形式 (national code values)."""

    WINDOW = "1", _("at a window")
    ONLINE = "2", _("online")
    POST = "3", _("by post")


class CaseState(models.TextChoices):
    SUBMITTED = "submitted", _("submitted, awaiting acceptance")
    SUPPLEMENT = "supplement", _("awaiting the applicant's supplement")
    IN_PROGRESS = "in_progress", _("being handled")
    SUSPENDED = "suspended", _("suspended (special procedure)")
    DECIDED = "decided", _("decided")
    COMPLETED = "completed", _("completed")
    DELIVERED = "delivered", _("result delivered")
    REFUSED = "refused", _("not accepted")
    WITHDRAWN = "withdrawn", _("withdrawn by the applicant")
    TRANSFERRED = "transferred", _("transferred to the competent department")


TERMINAL_STATES = frozenset(
    {CaseState.DELIVERED, CaseState.REFUSED, CaseState.WITHDRAWN, CaseState.TRANSFERRED}
)


class Decision(models.TextChoices):
    APPROVED = "approved", _("approved")
    DENIED = "denied", _("denied")


class EventType(models.TextChoices):
    """Event types, chosen to line up with the national e-supervision message set
    (DOMAIN.md) so that cases handled in a department's own system import as the same
    events; ``national_code`` gives the message each one maps to."""

    APPLY = "apply", _("application received")
    ACCEPT = "accept", _("accepted")
    REFUSE = "refuse", _("not accepted")
    SUPPLEMENT_REQUEST = "supplement_request", _("supplement requested (one-time notice)")
    SUPPLEMENT_RECEIVE = "supplement_receive", _("supplement received")
    STEP = "step", _("step completed")
    RETURN = "return", _("returned to an earlier step")
    DECIDE = "decide", _("decided")
    COMPLETE = "complete", _("completed")
    DELIVER = "deliver", _("result delivered")
    SUSPEND = "suspend", _("special procedure started")
    RESUME = "resume", _("special procedure ended")
    EXTEND = "extend", _("time limit extended")
    WITHDRAW = "withdraw", _("withdrawn")
    TRANSFER = "transfer", _("transferred")
    NOTICE = "notice", _("supervision notice issued")


NATIONAL_MESSAGE_CODE: dict[str, int | None] = {
    EventType.APPLY: 0,
    EventType.ACCEPT: 2,
    EventType.REFUSE: 2,
    EventType.STEP: 3,
    EventType.RETURN: 3,
    EventType.DECIDE: 3,
    EventType.COMPLETE: 4,
    EventType.SUSPEND: 5,
    EventType.RESUME: 6,
    EventType.SUPPLEMENT_REQUEST: 7,
    EventType.SUPPLEMENT_RECEIVE: 8,
    EventType.DELIVER: 9,
    EventType.EXTEND: None,
    EventType.WITHDRAW: None,
    EventType.TRANSFER: None,
    EventType.NOTICE: None,
}

# Events that record what supervision did about a case; they change nothing of its state
# and are not shown to the applicant.
SUPERVISION_EVENTS = frozenset({EventType.NOTICE})


class SuspensionKind(models.TextChoices):
    """特别程序 (行政许可法 §45): time they take is not counted."""

    HEARING = "hearing", _("hearing")
    SITE_INSPECTION = "site_inspection", _("site inspection")
    EXPERT_REVIEW = "expert_review", _("expert review")
    TESTING = "testing", _("testing or inspection")
    PUBLIC_NOTICE = "public_notice", _("public notice")
    TENDER = "tender", _("tender or auction")


class DeliveryMethod(models.TextChoices):
    WINDOW = "window", _("collected at the window")
    POST = "post", _("by post")
    ELECTRONIC = "electronic", _("electronic delivery")


class Case(models.Model):
    """The projection of a case's events. Only ``yiwang.cases.services`` writes it."""

    number = models.CharField(_("case number"), max_length=30, unique=True)
    query_token = models.CharField(_("query token"), max_length=43, unique=True, editable=False)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, null=True, blank=True, unique=True
    )
    item_version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.PROTECT, related_name="cases"
    )
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="cases"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="cases"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("lead case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
        help_text=_("For a branch of a parallel approval: the lead case."),
    )
    channel = models.CharField(_("channel"), max_length=1, choices=Channel.choices)
    applicant_kind = models.CharField(_("applicant kind"), max_length=12, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("applicant"), max_length=200)
    applicant_id_number = models.CharField(_("ID number or USCC"), max_length=18)
    applicant_mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant's account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    form_data = models.JSONField(_("form data"), default=dict, blank=True)

    # --- projection of the events (see workflow.apply_event) ---
    state = models.CharField(_("state"), max_length=12, choices=CaseState.choices)
    step_index = models.PositiveSmallIntegerField(_("current step"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    acceptance_due = models.DateField(_("acceptance due"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    step_due_date = models.DateField(_("step due date"), null=True, blank=True)
    clock_stopped = models.BooleanField(_("clock stopped"), default=False)
    extension_days = models.PositiveSmallIntegerField(_("extension (days)"), default=0)
    supplement_requests = models.PositiveSmallIntegerField(_("supplement requests"), default=0)
    last_seq = models.PositiveIntegerField(_("last event number"), default=0)
    last_hash = models.CharField(_("last event hash"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_region_field = "region"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-number"]
        indexes = [
            models.Index(fields=["department", "state", "due_date"], name="cases_dept_state_due"),
            models.Index(fields=["state", "due_date"], name="cases_state_due"),
            models.Index(fields=["applicant_id_number"], name="cases_applicant"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in CaseState]), name="cases_case_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES

    @property
    def masked_applicant_id(self) -> str:
        if self.applicant_kind == ApplicantKind.INDIVIDUAL:
            return mask_resident_id(self.applicant_id_number)
        return mask_uscc(self.applicant_id_number)

    @property
    def masked_applicant_name(self) -> str:
        if self.applicant_kind == ApplicantKind.INDIVIDUAL:
            return mask_name(self.applicant_name)
        return self.applicant_name


class LedgerViolation(Exception):
    """Raised on any attempt to change or remove a recorded event."""


class CaseEventQuerySet(models.QuerySet["CaseEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise LedgerViolation("case events are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerViolation("case events are never deleted")


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("sequence number"))
    type = models.CharField(_("type"), max_length=20, choices=EventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=30, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    payload = models.JSONField(_("payload"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="cases_event_unique_seq")]
        indexes = [models.Index(fields=["type", "occurred_at"], name="cases_event_type_time")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise LedgerViolation("case events are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LedgerViolation("case events are never deleted")


class CaseFile(models.Model):
    """An uploaded material. The file's SHA-256 is also written into the event that
    brought it, so the ledger proves which bytes the applicant handed in."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="files")
    material = models.ForeignKey(
        Material, verbose_name=_("required material"), null=True, blank=True, on_delete=models.PROTECT
    )
    name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("case file")
        verbose_name_plural = _("case files")
        ordering = ["case", "pk"]

    def __str__(self) -> str:
        return self.name


class CaseNumberSequence(models.Model):
    """The last sequence number used per region and day: one row locked per new case."""

    region_code = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="cases_number_seq_unique")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.day}: {self.last}"
