"""Citizen and enterprise accounts for demo data and tests (the same code for both)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from yiwang.cases.models import ApplicantKind
from yiwang.portal.models import Account, AccountEvent, AccountEventType, VerificationMethod

DEMO_PASSWORD = "Yiwang-demo-2026"  # noqa: S105 (demo and test accounts only)


def citizen_account(
    *,
    username: str,
    name: str,
    id_number: str,
    mobile: str,
    kind: str = ApplicantKind.INDIVIDUAL,
    email: str = "",
    legal_rep_name: str = "",
    legal_rep_id_number: str = "",
    verified_by: AbstractBaseUser | None = None,
    verified: bool = True,
    at: dt.datetime | None = None,
    password_hash: str | None = None,
) -> Account:
    """An account with its user (password ``DEMO_PASSWORD``), registered and, unless
    ``verified`` is false, verified on site, each step recorded as an account event.

    ``password_hash``: the user's password as already hashed (``make_password``), so that
    seeding many accounts hashes the demo password once, not once per account."""
    at = at or timezone.now()
    user = get_user_model().objects.create_user(
        username=username,
        password=None if password_hash else DEMO_PASSWORD,
        email=email,
        first_name=name[:150],
    )
    if password_hash:
        user.password = password_hash
        user.save(update_fields=["password"])
    account = Account.objects.create(
        user=user,
        kind=kind,
        name=name,
        id_number=id_number,
        mobile=mobile,
        email=email,
        legal_rep_name=legal_rep_name,
        legal_rep_id_number=legal_rep_id_number,
    )
    AccountEvent.objects.create(account=account, type=AccountEventType.REGISTERED, actor=user, at=at)
    if verified:
        account.verified_at = at
        account.verified_by = verified_by
        account.verification_method = VerificationMethod.ON_SITE
        account.save(update_fields=["verified_at", "verified_by", "verification_method"])
        AccountEvent.objects.create(
            account=account,
            type=AccountEventType.VERIFIED,
            actor=verified_by,
            at=at,
            detail={"method": VerificationMethod.ON_SITE},
        )
    return account
