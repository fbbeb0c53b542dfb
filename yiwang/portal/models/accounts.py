"""Citizen and enterprise accounts (个人 / 企业用户).

An account is one identity (一号申请: the resident ID or the USCC is the single key). A
new account is unverified: it may browse, search and consult but not apply, until window
staff check the identity document on site or a real-name provider confirms it; either is
an ``AccountEvent``. An enterprise acts through its legal representative's account or the
agents (经办人) it authorises.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.models import SideChannelDevice

from yiwang.cases.models import ApplicantKind
from yiwang.core.identifiers import mask_mobile, mask_resident_id, mask_uscc


class VerificationMethod(models.TextChoices):
    ON_SITE = "on_site", _("identity checked at a window")
    PROVIDER = "provider", _("real-name provider")


class Account(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="account"
    )
    kind = models.CharField(_("account kind"), max_length=12, choices=ApplicantKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # Resident ID number (individual) or USCC (enterprise), validated and normalised.
    id_number = models.CharField(_("ID number or USCC"), max_length=18, unique=True)
    mobile = models.CharField(_("mobile"), max_length=20)
    email = models.EmailField(_("email"), blank=True)
    legal_rep_name = models.CharField(_("legal representative"), max_length=50, blank=True)
    legal_rep_id_number = models.CharField(_("legal representative's ID number"), max_length=18, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verification_method = models.CharField(
        _("verification method"), max_length=10, choices=VerificationMethod.choices, blank=True
    )
    verification_reference = models.CharField(_("verification reference"), max_length=100, blank=True)
    second_factor = models.BooleanField(_("SMS code at sign-in"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("citizen or enterprise account")
        verbose_name_plural = _("citizen and enterprise accounts")
        indexes = [models.Index(fields=["mobile"], name="portal_account_mobile")]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_id_number})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_enterprise(self) -> bool:
        return self.kind == ApplicantKind.ENTERPRISE

    @property
    def masked_id_number(self) -> str:
        if self.kind == ApplicantKind.ENTERPRISE:
            return mask_uscc(self.id_number)
        return mask_resident_id(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


class AccountEventType(models.TextChoices):
    REGISTERED = "registered", _("registered")
    VERIFIED = "verified", _("identity verified")
    VERIFICATION_FAILED = "verification_failed", _("identity verification failed")
    AGENT_AUTHORISED = "agent_authorised", _("agent authorised")
    AGENT_REVOKED = "agent_revoked", _("agent's authorisation revoked")
    SECOND_FACTOR_ON = "second_factor_on", _("SMS sign-in code turned on")
    SECOND_FACTOR_OFF = "second_factor_off", _("SMS sign-in code turned off")
    PROFILE_CHANGED = "profile_changed", _("contact details changed")
    PASSWORD_RESET = "password_reset", _("password reset with a code sent by SMS")


class AccountEvent(models.Model):
    """What happened to an account and who did it; rows are only ever added."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="events"
    )
    type = models.CharField(_("type"), max_length=20, choices=AccountEventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(pgettext_lazy("event", "at"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["account", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.type} {self.at:%Y-%m-%d %H:%M}"


class Agent(models.Model):
    """经办人: an individual account authorised to act for an enterprise account."""

    enterprise = models.ForeignKey(
        Account, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="agents"
    )
    person = models.ForeignKey(
        Account, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="agencies"
    )
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("authorised by"), on_delete=models.PROTECT, related_name="+"
    )
    authorised_at = models.DateTimeField(_("authorised at"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent (经办人)")
        verbose_name_plural = _("agents (经办人)")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "person"],
                condition=Q(revoked_at__isnull=True),
                name="portal_agent_once_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.enterprise_id}"


class SmsDevice(SideChannelDevice):
    """The second factor: a one-time code sent by SMS (django-otp side-channel device)."""

    number = models.CharField(_("mobile"), max_length=20)

    class Meta(SideChannelDevice.Meta):
        verbose_name = _("SMS code device")
        verbose_name_plural = _("SMS code devices")
