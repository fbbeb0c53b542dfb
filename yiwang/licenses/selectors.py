"""Reads of the e-license library: the licenses a holder can use, the signed-in user's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, IntegerField, Value, When

from yiwang.licenses.models import License, LicenseQuerySet, LicenseStatus

if TYPE_CHECKING:
    from yiwang.portal.models import Account

User = AbstractBaseUser | AnonymousUser


def valid_licenses(*, holder_id_number: str, on: dt.date) -> LicenseQuerySet:
    """The holder's licenses in force on ``on`` (status valid, started, not run out):
    the ones an application may reuse in place of a material."""
    qs: LicenseQuerySet = License.objects.in_force(on).filter(
        holder_id_number=holder_id_number.strip().upper()
    )
    return qs.select_related("issuer")


def holder_ids_of(user: User | None, *, on: dt.date | None = None) -> list[str]:
    """The identities whose licenses ``user`` holds (see ``holder_ids_of_account``)."""
    from yiwang.portal.accounts import account_of  # the portal builds on licenses

    return holder_ids_of_account(account_of(user), on=on)


def holder_ids_of_account(account: Account | None, *, on: dt.date | None = None) -> list[str]:
    """The account's own ID number or USCC, then those of the enterprises it is an active
    agent (经办人) of (``yiwang.portal.accounts.acting_accounts_of``). Only verified
    accounts count, on both sides: an identity typed in at registration proves nothing
    until it is checked, and must not open someone else's licenses."""
    from yiwang.portal.accounts import acting_accounts_of, verified_id_numbers

    return verified_id_numbers(acting_accounts_of(account, on=on))


def licenses_of_holders(holder_ids: Iterable[str]) -> LicenseQuerySet:
    """Every license (valid, expired or revoked) of the given holders, valid ones first."""
    qs: LicenseQuerySet = License.objects.filter(holder_id_number__in=list(holder_ids)).select_related(
        "issuer"
    )
    valid_first = Case(
        When(status=LicenseStatus.VALID, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.order_by(valid_first, "-issued_on", "-pk")


def licenses_held_by(user: User | None, *, on: dt.date | None = None) -> LicenseQuerySet:
    """Every license of the identities ``user`` holds."""
    return licenses_of_holders(holder_ids_of(user, on=on))


def license_of_holder(user: User | None, pk: int) -> License | None:
    """License ``pk`` if ``user`` holds it (see ``holder_ids_of``), else None."""
    return licenses_held_by(user).filter(pk=pk).first()
