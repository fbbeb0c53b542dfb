"""Online applications in the making: a draft keeps the form and the files an applicant
has given so far, until it is submitted as a case (``cases.services.case_file``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.cases.models import Case
from yiwang.catalog.models import Item, ItemVersion, Material
from yiwang.portal.models.accounts import Account


class Draft(models.Model):
    """An application being prepared by ``account`` (or by an agent for it: ``filed_by``).

    ``reuse`` maps a material's id (as text) to what stands in for an upload:
    ``{"case_file": <CaseFile id>}`` for a file accepted in an earlier case, or
    ``{"license": <License identifier>}`` for an e-license the applicant holds.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="drafts"
    )
    filed_by = models.ForeignKey(
        Account, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.PROTECT, related_name="+"
    )
    form_data = models.JSONField(_("form data"), default=dict, blank=True)
    reuse = models.JSONField(_("reused materials"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    case = models.OneToOneField(
        Case,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="draft",
    )

    class Meta:
        verbose_name = _("application draft")
        verbose_name_plural = _("application drafts")
        indexes = [models.Index(fields=["account", "-updated_at"], name="portal_draft_account")]

    def __str__(self) -> str:
        return f"{self.item_id} draft {self.pk}"

    @property
    def is_submitted(self) -> bool:
        return self.case_id is not None


class DraftFile(models.Model):
    """A file uploaded to a draft; checked by the case upload rules when it arrives."""

    draft = models.ForeignKey(Draft, verbose_name=_("draft"), on_delete=models.CASCADE, related_name="files")
    material = models.ForeignKey(
        Material,
        verbose_name=_("required material"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(_("file"), upload_to="drafts/%Y/%m/")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("draft file")
        verbose_name_plural = _("draft files")

    def __str__(self) -> str:
        return self.name
