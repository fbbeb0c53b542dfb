"""Service catalog: catalog entries (基本目录) and items (实施清单) with their versions.

An ``Item`` is the stable identity of a service as one department implements it in one
region. Everything a citizen reads about it (limits, materials, fees, workflow…) lives on
an ``ItemVersion``. A published version is immutable: a change is a new draft version,
published with an effective date; the version it supersedes gets ``effective_to``. A case
refers to the version it was filed under, so later changes never rewrite its rules.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.org.models import Department, Region, Role


class ItemType(models.TextChoices):
    """事项类型, with the national code values (DOMAIN.md)."""

    LICENSING = "01", _("administrative licensing")
    PENALTY = "02", _("administrative penalty")
    ENFORCEMENT = "03", _("administrative enforcement")
    LEVY = "04", _("administrative levy")
    BENEFIT = "05", _("administrative benefit")
    INSPECTION = "06", _("administrative inspection")
    CONFIRMATION = "07", _("administrative confirmation")
    REWARD = "08", _("administrative reward")
    ADJUDICATION = "09", _("administrative adjudication")
    OTHER = "10", _("other administrative power")
    PUBLIC_SERVICE = "20", _("public service")


class PowerSource(models.TextChoices):
    STATUTORY = "1", _("statutory")
    DELEGATED = "2", _("delegated down by a superior")
    AUTHORISED_SUPERIOR = "3", _("authorised by a superior")
    AUTHORISED_PEER = "4", _("authorised by a peer")
    ENTRUSTED_SUPERIOR = "5", _("entrusted by a superior")
    ENTRUSTED_PEER = "6", _("entrusted by a peer")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working", _("working days")
    NATURAL_DAYS = "natural", _("natural days")


class CaseKind(models.TextChoices):
    IMMEDIATE = "1", _("immediate (即办件)")
    PROMISED = "2", _("promised limit (承诺件)")


class Target(models.TextChoices):
    INDIVIDUAL = "individual", _("individuals")
    ENTERPRISE = "enterprise", _("enterprises and organisations")
    BOTH = "both", _("individuals and enterprises")


class OnlineDepth(models.IntegerChoices):
    """网上办理深度 (national code values)."""

    CONSULTATION = 1, _("online consultation")
    RECEIPT = 2, _("online receipt")
    PRE_REVIEW = 3, _("online pre-review")
    ACCEPTANCE = 4, _("online acceptance")
    HANDLING = 5, _("fully online handling")
    RESULT = 6, _("online result feedback")
    E_LICENSE = 7, _("e-license feedback")


class ResultType(models.TextChoices):
    LICENSE = "1", _("license or certificate")
    APPROVAL = "2", _("approval document")
    OTHER = "3", _("other")
    NONE = "4", _("none")


class CatalogEntry(models.Model):
    """基本目录: the item as defined in law, before any department implements it."""

    code = models.CharField(_("catalog code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    item_type = models.CharField(_("item type"), max_length=2, choices=ItemType.choices)
    legal_basis = models.TextField(_("legal basis (设定依据)"))
    statutory_limit = models.PositiveIntegerField(
        _("statutory limit"), null=True, blank=True, help_text=_("Empty when the law sets no limit.")
    )
    statutory_limit_unit = models.CharField(
        _("statutory limit unit"), max_length=10, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    power_source = models.CharField(
        _("power source"), max_length=1, choices=PowerSource.choices, default=PowerSource.STATUTORY
    )

    class Meta:
        verbose_name = _("catalog entry")
        verbose_name_plural = _("catalog entries")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Item(models.Model):
    """实施清单 entry: one department's implementation of a catalog entry in one region."""

    code = models.CharField(_("item code"), max_length=60, unique=True)
    entry = models.ForeignKey(
        CatalogEntry, verbose_name=_("catalog entry"), on_delete=models.PROTECT, related_name="items"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("implementing department"), on_delete=models.PROTECT, related_name="items"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="items"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_region_field = "region"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", pgettext_lazy("item version status", "withdrawn")


class PublishedVersionError(ValidationError):
    """Raised on any attempt to change a published (immutable) item version."""


def _published_error(message: Any, **params: Any) -> PublishedVersionError:
    return PublishedVersionError(message, code="published_immutable", params=params or None)


class ItemVersionQuerySet(models.QuerySet["ItemVersion"]):
    def in_force(self, on: dt.date) -> ItemVersionQuerySet:
        """Published versions in force on a date: at most one per item."""
        return self.filter(status=VersionStatus.PUBLISHED, effective_from__lte=on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=on)
        )

    # Bulk writes skip Model.save()/delete(), so they carry the same guard (the admin's
    # "delete selected" action, for one, deletes through the queryset).
    def delete(self) -> tuple[int, dict[str, int]]:
        if self.exclude(status=VersionStatus.DRAFT).exists():
            raise _published_error(_("A published version cannot be deleted."))
        return super().delete()

    def update(self, **kwargs: Any) -> int:
        if set(kwargs) - {"effective_to"} and self.exclude(status=VersionStatus.DRAFT).exists():
            raise _published_error(
                _("This item version is published and cannot be changed; create a new version.")
            )
        return super().update(**kwargs)


def promised_exceeds_statutory(promised: int, statutory: int) -> ValidationError:
    return ValidationError(
        _("The promised limit (%(promised)d) cannot exceed the statutory limit (%(statutory)d)."),
        code="promised_exceeds_statutory",
        params={"promised": promised, "statutory": statutory},
    )


class ItemVersion(models.Model):
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(
        _("effective until"),
        null=True,
        blank=True,
        help_text=_("Set when a later version supersedes this one."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    change_note = models.CharField(_("change note"), max_length=300, blank=True)

    name = models.CharField(_("name"), max_length=200)
    item_type = models.CharField(_("item type"), max_length=2, choices=ItemType.choices)
    handling_unit = models.CharField(_("handling unit (承办机构)"), max_length=200, blank=True)
    legal_basis = models.TextField(_("legal basis (实施依据)"))
    statutory_limit = models.PositiveIntegerField(_("statutory limit"), null=True, blank=True)
    promised_limit = models.PositiveIntegerField(_("promised limit"), validators=[MinValueValidator(0)])
    limit_unit = models.CharField(
        _("limit unit"), max_length=10, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    limit_note = models.CharField(_("limit note"), max_length=300, blank=True)
    case_kind = models.CharField(
        _("case kind"), max_length=1, choices=CaseKind.choices, default=CaseKind.PROMISED
    )
    target = models.CharField(_("target"), max_length=12, choices=Target.choices, default=Target.BOTH)
    conditions = models.TextField(_("conditions"), blank=True)
    special_procedures = models.TextField(_("special procedures"), blank=True)
    online_depth = models.PositiveSmallIntegerField(
        _("online depth"), choices=OnlineDepth.choices, default=OnlineDepth.ACCEPTANCE
    )
    visits = models.PositiveSmallIntegerField(_("number of visits"), default=1)
    appointment = models.BooleanField(_("appointments offered"), default=False)
    parallel_approval = models.BooleanField(_("parallel approval"), default=False)
    result_type = models.CharField(
        _("result type"), max_length=1, choices=ResultType.choices, default=ResultType.APPROVAL
    )
    result_name = models.CharField(_("result (name of the document issued)"), max_length=200, blank=True)
    place_and_hours = models.TextField(_("place and hours"), blank=True)
    consultation_phone = models.CharField(_("consultation phone"), max_length=100, blank=True)
    consultation_address = models.CharField(_("consultation address"), max_length=200, blank=True)
    complaint_phone = models.CharField(_("complaint phone"), max_length=100, blank=True)
    online_url = models.URLField(_("online handling address"), blank=True)
    # Jieba tokens of name, entry, department and keywords, space-separated; written by
    # catalog.services when a version is saved, read by the portal's search.
    search_text = models.TextField(_("search tokens"), blank=True, editable=False)

    objects = ItemVersionQuerySet.as_manager()

    scope_region_field = "item__region"
    scope_department_field = "item__department"

    class Meta:
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")
        ordering = ["item", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="catalog_version_unique"),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status="draft"),
                name="catalog_one_draft_per_item",
                violation_error_message=_("This item already has a draft version."),
            ),
        ]
        indexes = [models.Index(fields=["status", "effective_from", "effective_to"], name="catalog_in_force")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    # Immutability of published versions. Services are the only writers, but the guard
    # sits here so that no path (admin, shell, import) can rewrite what citizens relied on.
    # After publication only two things may still happen to a version: a later version or
    # a withdrawal ends it (``effective_to``), and a published version may be withdrawn.
    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            self._guard_published(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def _guard_published(self, update_fields: Any) -> None:
        attnames = [f.attname for f in self._meta.concrete_fields]
        stored = ItemVersion.objects.filter(pk=self.pk).values(*attnames).first()
        if stored is None or stored["status"] == VersionStatus.DRAFT:
            return
        written = (
            set(attnames)
            if update_fields is None
            else {getattr(self._meta.get_field(name), "attname", name) for name in update_fields}
        )
        changed = {name for name in written if getattr(self, name) != stored[name]}
        allowed = {"effective_to"}
        if stored["status"] == VersionStatus.PUBLISHED and self.status == VersionStatus.WITHDRAWN:
            allowed.add("status")
        if changed - allowed:
            raise _published_error(
                _("Version %(v)d of this item is published and cannot be changed; create a new version."),
                v=stored["version"],
            )

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        stored = ItemVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if self.is_published or (stored is not None and stored != VersionStatus.DRAFT):
            raise _published_error(_("A published version cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status != VersionStatus.DRAFT

    @property
    def is_free(self) -> bool:
        return not any(fee.standard_amount for fee in self.fees.all())

    def clean(self) -> None:
        if (
            self.statutory_limit is not None
            and self.promised_limit is not None
            and self.promised_limit > self.statutory_limit
        ):
            raise ValidationError(
                {"promised_limit": promised_exceeds_statutory(self.promised_limit, self.statutory_limit)}
            )


class VersionPartQuerySet(models.QuerySet[Any]):
    def delete(self) -> tuple[int, dict[str, int]]:
        self._guard()
        return super().delete()

    def update(self, **kwargs: Any) -> int:
        self._guard()
        return super().update(**kwargs)

    def _guard(self) -> None:
        if self.exclude(version__status=VersionStatus.DRAFT).exists():
            raise _published_error(
                _("This item version is published and cannot be changed; create a new version.")
            )


class VersionPart(models.Model):
    """A row that belongs to one item version and freezes with it."""

    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = VersionPartQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["order", "pk"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self) -> None:
        # Both the version the row belongs to now and the one it is stored under: moving a
        # row out of a published version changes that version as much as editing it.
        touched = Q(pk=self.version_id)  # type: ignore[attr-defined]
        if self.pk is not None:
            touched |= Q(pk__in=type(self)._base_manager.filter(pk=self.pk).values("version"))  # type: ignore[misc]
        if ItemVersion.objects.filter(touched).exclude(status=VersionStatus.DRAFT).exists():
            raise _published_error(
                _("This item version is published and cannot be changed; create a new version.")
            )


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("original")
    COPY = "copy", _("copy")
    ORIGINAL_AND_COPY = "original_copy", _("original and copy")
    ELECTRONIC = "electronic", _("electronic")


class Necessity(models.TextChoices):
    REQUIRED = "required", _("required")
    CONDITIONAL = "conditional", _("required in some cases")
    OPTIONAL = "optional", _("optional")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", pgettext_lazy("material source", "the applicant")
    GOVERNMENT = "government", _("issued by a government department")
    OTHER = "other", _("a third party")


class Material(VersionPart):
    version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.CASCADE, related_name="materials"
    )
    name = models.CharField(_("name"), max_length=200)
    form = models.CharField(
        _("form"), max_length=15, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL
    )
    copies = models.PositiveSmallIntegerField(_("paper copies"), default=1)
    necessity = models.CharField(
        _("necessity"), max_length=12, choices=Necessity.choices, default=Necessity.REQUIRED
    )
    condition = models.CharField(_("when required"), max_length=300, blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=MaterialSource.choices, default=MaterialSource.APPLICANT
    )
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    requirements = models.TextField(_("acceptance standard"), blank=True)
    blank_form = models.FileField(_("blank form"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("filled-in sample"), upload_to="catalog/samples/", blank=True)
    license_type = models.CharField(
        _("e-license type that can stand in"),
        max_length=60,
        blank=True,
        help_text=_(
            "Code of an e-license type; when the applicant holds one, this material is not asked for."
        ),
    )

    class Meta(VersionPart.Meta):
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.necessity == Necessity.CONDITIONAL and not self.condition:
            raise ValidationError(
                {
                    "condition": ValidationError(
                        _("Say when a conditional material is required."), code="condition_missing"
                    )
                }
            )


class Fee(VersionPart):
    version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.CASCADE, related_name="fees"
    )
    name = models.CharField(_("fee item"), max_length=200)
    standard_amount = models.DecimalField(
        _("standard amount (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("charged per"), max_length=50, blank=True)
    basis = models.CharField(_("charging basis"), max_length=300)
    reductions = models.CharField(_("reductions and exemptions"), max_length=300, blank=True)

    class Meta(VersionPart.Meta):
        verbose_name = _("fee")
        verbose_name_plural = _("fees")

    def __str__(self) -> str:
        return f"{self.name} ¥{self.standard_amount}"


class StepKind(models.TextChoices):
    """Kinds of workflow step; the cases app drives its state machine from these."""

    ACCEPT = "accept", _("acceptance (受理)")
    HANDLE = "handle", _("handling (承办)")
    REVIEW = "review", _("review (审核)")
    DECIDE = "decide", _("decision (批准/决定)")
    COMPLETE = "complete", _("completion (办结)")
    DELIVER = "deliver", _("delivery (送达)")


class WorkflowStep(VersionPart):
    version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.CASCADE, related_name="steps"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    limit = models.PositiveIntegerField(_("step limit"), help_text=_("In the item's limit unit."))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Another department approving in parallel; empty for the implementing department."),
    )
    parallel_group = models.PositiveSmallIntegerField(
        _("parallel group"),
        null=True,
        blank=True,
        help_text=_("Steps with the same group number run at the same time (parallel approval)."),
    )

    class Meta(VersionPart.Meta):
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class FAQ(VersionPart):
    version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.CASCADE, related_name="faqs"
    )
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))

    class Meta(VersionPart.Meta):
        verbose_name = _("frequently asked question")
        verbose_name_plural = _("frequently asked questions")

    def __str__(self) -> str:
        return self.question


class ParallelPartner(VersionPart):
    """并联审批: an item of another department that decides alongside this one.

    A case of the version's item (the lead) spawns, when accepted, one branch case per
    partner, against the partner's version in force; the lead is decided once every
    branch has been. Frozen with its version like every other part.
    """

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.CASCADE, related_name="partners"
    )
    partner = models.ForeignKey(
        Item,
        verbose_name=_("partner item"),
        on_delete=models.PROTECT,
        related_name="partner_of",
        help_text=_("An item of another department, decided in parallel with this one."),
    )

    class Meta(VersionPart.Meta):
        verbose_name = _("parallel approval partner")
        verbose_name_plural = _("parallel approval partners")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "partner"],
                name="catalog_partner_once_per_version",
                violation_error_message=_("This item is already a partner of the version."),
            )
        ]

    def __str__(self) -> str:
        return str(self.partner)


class FieldKind(models.TextChoices):
    """What an application form field holds, and so how it is checked."""

    TEXT = "text", _("text (one line)")
    TEXTAREA = "textarea", _("text (several lines)")
    INTEGER = "integer", _("whole number")
    DECIMAL = "decimal", _("number with decimals")
    DATE = "date", _("date")
    CHOICE = "choice", _("choice from a list")
    ID_NUMBER = "id_number", _("resident ID number")
    USCC = "uscc", _("unified social credit code")
    MOBILE = "mobile", _("mobile number")
    EMAIL = "email", _("email address")


TEXT_KINDS = frozenset({FieldKind.TEXT, FieldKind.TEXTAREA})
NUMBER_KINDS = frozenset({FieldKind.INTEGER, FieldKind.DECIMAL})
_FIELD_NAME_RE = r"^[a-z][a-z0-9_]{0,49}\Z"


def _field_error(field: str, message: Any, code: str, **params: Any) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params or None)})


class FormField(VersionPart):
    """One field of the item's online application form (在线办理表单). The portal builds
    the form from these rows; a case's ``form_data`` keeps the answers under ``name``."""

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.CASCADE, related_name="form_fields"
    )
    name = models.CharField(
        _("key"),
        max_length=50,
        validators=[
            RegexValidator(
                _FIELD_NAME_RE,
                _("Use lower-case letters, digits and underscores, starting with a letter."),
                code="field_name_format",
            )
        ],
        help_text=_("The answer's key in the case's form data, e.g. business_address."),
    )
    label = models.CharField(pgettext_lazy("form field", "label"), max_length=200)
    kind = models.CharField(
        pgettext_lazy("form field", "kind"), max_length=12, choices=FieldKind.choices, default=FieldKind.TEXT
    )
    required = models.BooleanField(_("required"), default=True)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('For a choice field: the options, as a list of texts, e.g. ["餐饮服务", "食品销售"].'),
    )
    min_length = models.PositiveIntegerField(_("minimum length"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    min_value = models.DecimalField(
        _("minimum value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    pattern = models.CharField(
        _("pattern"),
        max_length=200,
        blank=True,
        help_text=_("A regular expression the whole answer must match (text fields only)."),
    )
    pattern_message = models.CharField(
        _("message when the pattern does not match"), max_length=200, blank=True
    )

    class Meta(VersionPart.Meta):
        verbose_name = _("application form field")
        verbose_name_plural = _("application form fields")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "name"],
                name="catalog_form_field_name_once",
                violation_error_message=_("Another field of this form has the same key."),
            )
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        kind = self.kind
        if kind == FieldKind.CHOICE:
            options = self.choices if isinstance(self.choices, list) else None
            if not options or not all(isinstance(o, str) and o.strip() for o in options):
                raise _field_error(
                    "choices", _("List the options of a choice field as non-empty texts."), "choices_missing"
                )
            if len({o.strip() for o in options}) != len(options):
                raise _field_error("choices", _("An option is listed twice."), "choices_duplicate")
            self.choices = [o.strip() for o in options]
        elif self.choices:
            raise _field_error("choices", _("Only a choice field has options."), "choices_not_allowed")
        if (self.min_length is not None or self.max_length is not None) and kind not in TEXT_KINDS:
            raise _field_error("max_length", _("Lengths apply to text fields only."), "length_not_allowed")
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise _field_error(
                "max_length", _("The maximum length is below the minimum length."), "length_order"
            )
        if (self.min_value is not None or self.max_value is not None) and kind not in NUMBER_KINDS:
            raise _field_error("max_value", _("Values apply to number fields only."), "value_not_allowed")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise _field_error("max_value", _("The maximum value is below the minimum value."), "value_order")
        if kind == FieldKind.INTEGER:
            for name in ("min_value", "max_value"):
                bound = getattr(self, name)
                if bound is not None and bound != bound.to_integral_value():
                    raise _field_error(
                        name, _("A whole-number field's bounds are whole numbers."), "value_not_integer"
                    )
        if self.pattern:
            if kind not in TEXT_KINDS:
                raise _field_error("pattern", _("Patterns apply to text fields only."), "pattern_not_allowed")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise _field_error(
                    "pattern",
                    _("This is not a valid regular expression: %(error)s."),
                    "pattern_invalid",
                    error=str(exc),
                ) from None
        elif self.pattern_message:
            raise _field_error(
                "pattern_message", _("A message is only used with a pattern."), "pattern_message_alone"
            )
