"""E-licenses (电子证照): the library of licenses issued on approved cases or received from
departmental systems, verified by QR and reused as application material (一号申请).

A ``License`` is identified by its GB/T 36903 identifier (``yiwang.licenses.identifiers``);
``license_type`` is the code of its e-license type (the defining authority's USCC and a
three-digit serial), the same code a catalog ``Material.license_type`` names when the
license can stand in for that material. Only ``yiwang.licenses.services`` writes these rows.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiwang.cases.models import Case
from yiwang.core.identifiers import mask_name, mask_resident_id, mask_uscc
from yiwang.org.models import Department, Region


def new_verify_token() -> str:
    """The random token in the verification page's address (printed as a QR code)."""
    return secrets.token_urlsafe(32)


class HolderKind(models.TextChoices):
    """持证主体代码类型 (GB/T 36904)."""

    RESIDENT_ID = "111", _("resident identity card")
    USCC = "001", _("unified social credit code")


class LicenseStatus(models.TextChoices):
    VALID = "valid", pgettext_lazy("license status", "valid")
    REVOKED = "revoked", pgettext_lazy("license status", "revoked")
    EXPIRED = "expired", pgettext_lazy("license status", "expired")


class LicenseType(models.Model):
    """An e-license type of the directory (证照目录): its code and name.

    Issuing on approval finds the type whose name is the item's result name; a type not
    in the directory is registered under the issuing department (see ``services``)."""

    code = models.CharField(_("license type code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-license type")
        verbose_name_plural = _("e-license types")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LicenseQuerySet(models.QuerySet["License"]):
    def in_force(self, on: dt.date) -> LicenseQuerySet:
        """Valid on ``on``: not revoked or expired, started, and not run out."""
        return self.filter(status=LicenseStatus.VALID, valid_from__lte=on).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=on)
        )


class License(models.Model):
    identifier = models.CharField(_("license identifier"), max_length=120, unique=True)
    license_type = models.CharField(_("license type code"), max_length=60, db_index=True)
    name = models.CharField(_("license name"), max_length=200)
    number = models.CharField(_("license number"), max_length=100)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    holder_name = models.CharField(_("holder"), max_length=200)
    holder_id_number = models.CharField(_("holder's ID number or USCC"), max_length=18)
    holder_kind = models.CharField(_("holder code type"), max_length=3, choices=HolderKind.choices)
    issuer = models.ForeignKey(
        Department, verbose_name=_("issuing department"), on_delete=models.PROTECT, related_name="licenses"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="licenses"
    )
    case = models.OneToOneField(
        Case,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="license",
        null=True,
        blank=True,
        help_text=_("Empty for licenses received from a departmental system."),
    )
    issued_on = models.DateField(_("issued on"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: no end."))
    status = models.CharField(
        _("status"), max_length=10, choices=LicenseStatus.choices, default=LicenseStatus.VALID
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)
    verify_token = models.CharField(
        _("verification token"), max_length=64, unique=True, default=new_verify_token, editable=False
    )
    source = models.CharField(
        _("received from"),
        max_length=60,
        blank=True,
        help_text=_("The departmental system a license was received from; empty when issued here."),
    )
    data = models.JSONField(_("further fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = LicenseQuerySet.as_manager()

    scope_region_field = "region"
    scope_department_field = "issuer"

    class Meta:
        verbose_name = _("e-license")
        verbose_name_plural = _("e-licenses")
        ordering = ["-issued_on", "-pk"]
        indexes = [
            models.Index(fields=["holder_id_number", "status"], name="licenses_holder_status"),
            models.Index(fields=["status", "valid_until"], name="licenses_status_until"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in LicenseStatus]), name="licenses_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="licenses_validity_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"

    def status_on(self, on: dt.date) -> str:
        """The status as of ``on``: a valid license past its end date reads as expired even
        before the nightly sweep marks it so."""
        if self.status == LicenseStatus.VALID and self.valid_until is not None and self.valid_until < on:
            return LicenseStatus.EXPIRED
        return self.status

    def can_revoke(self) -> bool:
        return self.status != LicenseStatus.REVOKED

    @property
    def masked_holder_name(self) -> str:
        if self.holder_kind == HolderKind.RESIDENT_ID:
            return mask_name(self.holder_name)
        return self.holder_name

    @property
    def public_number(self) -> str:
        """The number as shown on the verification page and in lists: a license numbered
        by its holder's resident ID (a 居民身份证, say) shows it masked."""
        if self.holder_kind == HolderKind.RESIDENT_ID and self.holder_id_number in self.number:
            return self.number.replace(self.holder_id_number, mask_resident_id(self.holder_id_number))
        return self.number

    @property
    def masked_holder_id(self) -> str:
        if self.holder_kind == HolderKind.RESIDENT_ID:
            return mask_resident_id(self.holder_id_number)
        return mask_uscc(self.holder_id_number)


class LicenseSerial(models.Model):
    """The last serial used per license type and issuer: one row locked per new license."""

    license_type = models.CharField(max_length=60)
    issuer = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["license_type", "issuer"], name="licenses_serial_unique")
        ]

    def __str__(self) -> str:
        return f"{self.license_type} {self.issuer_id}: {self.last}"
