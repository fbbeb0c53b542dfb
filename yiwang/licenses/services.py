"""Every write to the e-license library.

- ``license_issue_for_case``: the license of a completed, approved case whose item issues
  a license or certificate (called by the case ledger's receiver, ``receivers``);
- ``license_issue``: a license received from a departmental system (the data exchange)
  or entered by the issuing department;
- ``license_revoke``: revocation by the issuing department;
- ``expire_licenses``: the nightly sweep marking licenses past their end date expired.

A refused action raises ``LicenseError`` (field and code) and writes nothing.

Which e-license type an item issues: the catalog has no field for it (``ItemVersion``
names the document it issues in ``result_name``, and ``Material.license_type`` names the
type that can stand in for a material). The type is therefore looked up in the
directory of types (``LicenseType``) by the item's result name; a result name not in the
directory is registered there under the issuing department, as the type's defining
authority, with the next free three-digit serial (GB/T 36904's ``USCC + serial`` form).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.cases.models import ApplicantKind, Case, CaseEvent, Decision, EventType
from yiwang.catalog.models import ItemVersion, ResultType
from yiwang.core import notify
from yiwang.core.errors import ServiceError
from yiwang.core.identifiers import validate_resident_id, validate_uscc
from yiwang.licenses.identifiers import LICENSE_TYPE_RE, build_identifier, parse_identifier
from yiwang.licenses.models import HolderKind, License, LicenseSerial, LicenseStatus, LicenseType
from yiwang.org.models import Department, Region, Role
from yiwang.org.permissions import can_act

logger = logging.getLogger("yiwang.licenses")

User = AbstractBaseUser | AnonymousUser

# The role that issues and revokes licenses for its department (准予 / 撤销 are decisions).
ISSUING_ROLE = Role.APPROVER


class LicenseErrorCode(models.TextChoices):
    FORBIDDEN = "forbidden", gettext_lazy("not allowed for this user")
    ILLEGAL_IN_STATE = "illegal_in_state", gettext_lazy("not possible in the license's current state")
    REASON_REQUIRED = "reason_required", gettext_lazy("reason required")
    BAD_INPUT = "bad_input", gettext_lazy("bad input")
    CONFLICT = "conflict", gettext_lazy("conflicts with a license on file")


class LicenseError(ServiceError):
    """A refusal of an e-license service."""


# --------------------------------------------------------------------------- helpers


def holder_kind_of(applicant_kind: str) -> str:
    return HolderKind.RESIDENT_ID if applicant_kind == ApplicantKind.INDIVIDUAL else HolderKind.USCC


def _validate_holder(holder_kind: str, holder_name: str, holder_id_number: str) -> str:
    if holder_kind not in HolderKind.values:
        raise LicenseError(
            _("The holder is identified by a resident ID (111) or a unified social credit code (001)."),
            LicenseErrorCode.BAD_INPUT,
            "holder_kind",
        )
    if not (holder_name or "").strip():
        raise LicenseError(_("Enter the holder's name."), LicenseErrorCode.BAD_INPUT, "holder_name")
    try:
        if holder_kind == HolderKind.RESIDENT_ID:
            return validate_resident_id(holder_id_number)
        return validate_uscc(holder_id_number)
    except ValidationError as exc:
        raise LicenseError(exc.messages[0], LicenseErrorCode.BAD_INPUT, "holder_id_number") from None


def _validate_validity(valid_from: dt.date, valid_until: dt.date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise LicenseError(
            _("A license cannot end (%(until)s) before it starts (%(start)s).")
            % {"until": valid_until.isoformat(), "start": valid_from.isoformat()},
            LicenseErrorCode.BAD_INPUT,
            "valid_until",
        )


def _next_serial(license_type: str, issuer: Department, on: dt.date) -> str:
    """The next serial of ``license_type`` at ``issuer``: the year and a seven-digit
    counter, e.g. ``20250000001``. The counter row is locked by the increment until the
    transaction ends, so concurrent issues never share a serial."""
    try:
        with transaction.atomic():
            seq, _created = LicenseSerial.objects.get_or_create(license_type=license_type, issuer=issuer)
    except IntegrityError:  # created by a concurrent issue in the meantime
        seq = LicenseSerial.objects.get(license_type=license_type, issuer=issuer)
    LicenseSerial.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db(fields=["last"])
    return f"{on:%Y}{seq.last:07d}"


def license_type_for(version: ItemVersion, issuer: Department) -> LicenseType:
    """The e-license type an item version issues: the directory's type named like its
    result (or the item when it names no result); registered under ``issuer`` when the
    directory has none (see the module's docstring)."""
    name = (version.result_name or version.name).strip()
    found = LicenseType.objects.filter(name=name).first()
    if found is not None:
        return found
    taken = LicenseType.objects.filter(code__startswith=issuer.uscc).values_list("code", flat=True)
    serials = [int(code[18:]) for code in taken if LICENSE_TYPE_RE.match(code)]
    code = f"{issuer.uscc}{max(serials, default=0) + 1:03d}"
    try:
        with transaction.atomic():
            return LicenseType.objects.create(code=code, name=name)
    except IntegrityError:  # registered concurrently (same name) or the serial was taken
        found = LicenseType.objects.filter(name=name).first()
        if found is None:
            raise
        return found


def _recipients(license: License, extra: Iterable[Any] = ()) -> list[Any]:
    """Who hears about a license: the given users (the case's applicant) and the verified
    portal account whose identity is the holder's."""
    from yiwang.portal.models import Account

    users = {u.pk: u for u in extra if u is not None}
    for account in Account.objects.filter(
        id_number=license.holder_id_number, verified_at__isnull=False
    ).select_related("user"):
        users.setdefault(account.user.pk, account.user)
    return list(users.values())


def _notify_issued(license: License, extra: Iterable[Any] = ()) -> None:
    subject = _("E-license issued: %(name)s") % {"name": license.name}
    body = _(
        "Your e-license “%(name)s” no. %(number)s has been issued by %(issuer)s. "
        "It can now be shown by its QR code and used in new applications instead of the paper document."
    ) % {"name": license.name, "number": license.number, "issuer": license.issuer.name}
    link = reverse("licenses:mine")
    notify.send(
        notify.Message(recipient=user, subject=subject, body=body, link=link, kind="license.issued")
        for user in _recipients(license, extra)
    )


def _notify_revoked(license: License) -> None:
    subject = _("E-license revoked: %(name)s") % {"name": license.name}
    body = _("Your e-license “%(name)s” no. %(number)s was revoked by %(issuer)s. Reason: %(reason)s") % {
        "name": license.name,
        "number": license.number,
        "issuer": license.issuer.name,
        "reason": license.revoke_reason,
    }
    notify.send(
        notify.Message(
            recipient=user, subject=subject, body=body, link=reverse("licenses:mine"), kind="license.revoked"
        )
        for user in _recipients(license)
    )


# --------------------------------------------------------------------------- issue


def _complete_event(case: Case, event: CaseEvent | None) -> CaseEvent | None:
    if event is not None and event.type == EventType.COMPLETE:
        return event
    return case.events.filter(type=EventType.COMPLETE).order_by("-seq").first()


def issues_license(case: Case) -> bool:
    """Does completing this case issue an e-license: approved, and its item's result is a
    license or certificate."""
    return case.decision == Decision.APPROVED and case.item_version.result_type == ResultType.LICENSE


@transaction.atomic
def license_issue_for_case(*, case: Case, event: CaseEvent | None = None) -> License | None:
    """The license of a completed case: number and end date from the COMPLETE event
    (``result_number``, or the case number when none was given; ``result_valid_until``),
    valid from the completion day. ``None`` when the case issues none (denied, or its
    item's result is not a license). Idempotent: a case has at most one license, and a
    second call returns it.

    A result end date before the completion day is refused with a ``CaseError`` on
    ``result_valid_until``: raised from the ledger's receiver it rolls the completion back."""
    existing = License.objects.filter(case=case).first()
    if existing is not None:
        return existing
    if not issues_license(case):
        return None
    complete = _complete_event(case, event)
    if complete is None:
        return None
    payload: Mapping[str, Any] = complete.payload
    on = timezone.localdate(complete.occurred_at)
    raw_until = payload.get("result_valid_until")
    valid_until = dt.date.fromisoformat(raw_until) if raw_until else None
    if valid_until is not None and valid_until < on:
        from yiwang.cases.services import CaseError, CaseErrorCode

        raise CaseError(
            _("The license would end (%(until)s) before it is issued (%(on)s); check the “valid until” date.")
            % {"until": valid_until.isoformat(), "on": on.isoformat()},
            CaseErrorCode.BAD_INPUT,
            "result_valid_until",
        )
    issuer = case.department
    license_type = license_type_for(case.item_version, issuer)
    serial = _next_serial(license_type.code, issuer, on)
    license = License.objects.create(
        identifier=build_identifier(license_type=license_type.code, issuer=issuer.uscc, serial=serial),
        license_type=license_type.code,
        name=license_type.name,
        number=(payload.get("result_number") or "").strip() or case.number,
        holder_name=case.applicant_name,
        holder_id_number=case.applicant_id_number,
        holder_kind=holder_kind_of(case.applicant_kind),
        issuer=issuer,
        region=case.region,
        case=case,
        issued_on=on,
        valid_from=on,
        valid_until=valid_until,
    )
    _notify_issued(license, [case.applicant_user] if case.applicant_user_id else [])
    return license


@transaction.atomic
def license_issue(
    *,
    user: User | None,
    license_type: str,
    name: str,
    number: str,
    holder_name: str,
    holder_id_number: str,
    holder_kind: str,
    issuer: Department,
    issued_on: dt.date,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    identifier: str = "",
    region: Region | None = None,
    source: str = "",
    data: Mapping[str, Any] | None = None,
) -> License:
    """A license issued outside a case here: received from a departmental system
    (``user`` None: the data exchange, a trusted caller) or entered by staff who may
    approve for ``issuer``. With ``identifier`` (the issuing system's) it is checked and
    kept; without one it is built here. Delivering the same license again (same
    identifier, or same type, issuer and number) returns the one on file."""
    region = region or issuer.region
    probe = License(issuer=issuer, region=region)
    if user is not None and not can_act(user, probe, ISSUING_ROLE):
        raise LicenseError(
            _("You may not issue licenses for %(issuer)s.") % {"issuer": issuer.name},
            LicenseErrorCode.FORBIDDEN,
        )
    license_type = (license_type or "").strip().upper()
    if not LICENSE_TYPE_RE.match(license_type):
        raise LicenseError(
            _(
                "A license type code is the defining authority's 18-character code followed by a "
                "three-digit number; “%(value)s” is not."
            )
            % {"value": license_type},
            LicenseErrorCode.BAD_INPUT,
            "license_type",
        )
    name = (name or "").strip()
    number = (number or "").strip()
    if not name:
        raise LicenseError(_("Enter the license's name."), LicenseErrorCode.BAD_INPUT, "name")
    if not number:
        raise LicenseError(_("Enter the license's number."), LicenseErrorCode.BAD_INPUT, "number")
    holder_id_number = _validate_holder(holder_kind, holder_name, holder_id_number)
    valid_from = valid_from or issued_on
    _validate_validity(valid_from, valid_until)
    version = 1
    if identifier:
        try:
            parsed = parse_identifier(identifier)
        except ValidationError as exc:
            raise LicenseError(exc.messages[0], LicenseErrorCode.BAD_INPUT, "identifier") from None
        if parsed.license_type != license_type or parsed.issuer != issuer.uscc:
            raise LicenseError(
                _("The identifier names another license type or issuer than this license."),
                LicenseErrorCode.BAD_INPUT,
                "identifier",
            )
        identifier = str(parsed)
        version = parsed.version
        same = License.objects.filter(identifier=identifier).first()
    else:
        same = License.objects.filter(license_type=license_type, issuer=issuer, number=number).first()
    if same is not None:
        if (same.number, same.holder_id_number) != (number, holder_id_number):
            raise LicenseError(
                _("A different license is on file under this identifier."),
                LicenseErrorCode.CONFLICT,
                "identifier",
            )
        return same
    if not identifier:
        identifier = build_identifier(
            license_type=license_type,
            issuer=issuer.uscc,
            serial=_next_serial(license_type, issuer, issued_on),
        )
    license = License.objects.create(
        identifier=identifier,
        license_type=license_type,
        name=name,
        number=number,
        version=version,
        holder_name=holder_name.strip(),
        holder_id_number=holder_id_number,
        holder_kind=holder_kind,
        issuer=issuer,
        region=region,
        issued_on=issued_on,
        valid_from=valid_from,
        valid_until=valid_until,
        source=source.strip(),
        data=dict(data or {}),
    )
    _notify_issued(license)
    return license


# --------------------------------------------------------------------------- revoke


@transaction.atomic
def license_revoke(
    *, license: License, user: User | None, reason: str, at: dt.datetime | None = None
) -> License:
    """撤销: the issuing department (an approver in its scope) revokes a license, with its
    reason. The holder's account is told."""
    reason = (reason or "").strip()
    locked = License.objects.select_for_update().select_related("issuer").get(pk=license.pk)
    if not can_act(user, locked, ISSUING_ROLE):
        raise LicenseError(
            _("Only the issuing department (%(issuer)s) may revoke this license.")
            % {"issuer": locked.issuer.name},
            LicenseErrorCode.FORBIDDEN,
        )
    if not locked.can_revoke():
        raise LicenseError(_("This license has already been revoked."), LicenseErrorCode.ILLEGAL_IN_STATE)
    if not reason:
        raise LicenseError(_("State why the license is revoked."), LicenseErrorCode.REASON_REQUIRED, "reason")
    if len(reason) > License._meta.get_field("revoke_reason").max_length:  # type: ignore[operator]
        raise LicenseError(
            _("The reason is too long (300 characters at most)."), LicenseErrorCode.BAD_INPUT, "reason"
        )
    locked.status = LicenseStatus.REVOKED
    locked.revoked_at = at or timezone.now()
    locked.revoked_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
    locked.revoke_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    _notify_revoked(locked)
    return locked


# --------------------------------------------------------------------------- expire


def expire_licenses(*, today: dt.date | None = None) -> int:
    """Mark valid licenses whose end date has passed as expired; returns how many. Safe
    to run twice (the second run finds none)."""
    today = today or timezone.localdate()
    return License.objects.filter(status=LicenseStatus.VALID, valid_until__lt=today).update(
        status=LicenseStatus.EXPIRED
    )
