"""Citizen and enterprise accounts: register, verify, agents (经办人), the SMS sign-in code,
and the reads other parts of the portal ask (``account_of``, ``require_verified``, and who
acts for whom: ``acting_accounts``, ``acting_id_numbers``, ``may_act_for_case``).

Every write is one function here, transactional, writing its ``AccountEvent`` in the same
transaction. A refusal raises ``PortalError`` with a stable code and, where one input is
at fault, the field's name; it has written nothing. The one exception is a real-name
check that the provider answered "no match": that answer is recorded (an event), because
it happened and because it counts towards the daily limit of checks.

Error codes: ``bad_username``, ``username_taken``, ``bad_password``, ``bad_name``,
``bad_id_number``, ``bad_uscc``, ``bad_mobile``, ``bad_email``, ``already_registered``,
``no_account``, ``unverified``, ``forbidden``, ``already_verified``, ``document_mismatch``,
``realname_none``, ``realname_unavailable``, ``realname_mismatch``, ``realname_attempts``,
``not_enterprise``, ``agent_not_verified``, ``agent_self``, ``agent_exists``,
``bad_date``, ``already_revoked``, ``bad_code``, ``code_attempts``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.cases.models import ApplicantKind, Case
from yiwang.core import notify
from yiwang.core.identifiers import (
    mask_resident_id,
    normalize_resident_id,
    normalize_uscc,
    validate_resident_id,
    validate_uscc,
)
from yiwang.org.models import Role, ServiceCenter
from yiwang.org.permissions import scope_of, staff_of
from yiwang.portal import realname
from yiwang.portal.errors import PortalError
from yiwang.portal.models import (
    Account,
    AccountEvent,
    AccountEventType,
    Agent,
    SmsDevice,
    VerificationMethod,
)

logger = logging.getLogger("yiwang.portal.accounts")

User = AbstractBaseUser | AnonymousUser
StrOrPromise = str | Promise

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# A real-name check costs the deployment money and invites guessing: this many "no match"
# answers per account and day, then only the window.
REALNAME_DAILY_ATTEMPTS = 3
SIGN_IN_CODE_SECONDS = 300
SMS_DEVICE_NAME = "sms"
# "Forgot password": its own device, so a reset code never stands for a sign-in code and
# the other way round.
RESET_DEVICE_NAME = "password_reset"
RESET_CODE_SECONDS = 10 * 60
RESET_CODES_PER_HOUR = 3
RESET_CODE_TRIES = 5


# --------------------------------------------------------------------------- input


def clean_username(value: str) -> str:
    username = (value or "").strip()
    model = get_user_model()
    if not username:
        raise PortalError(_("Please choose a username."), "bad_username", "username")
    if len(username) < 3 or len(username) > 30:
        raise PortalError(_("A username has 3 to 30 characters."), "bad_username", "username")
    try:
        model.username_validator(username)  # type: ignore[attr-defined]
    except ValidationError:
        raise PortalError(
            _("A username may contain only letters, digits and the characters @ . + - _"),
            "bad_username",
            "username",
        ) from None
    if username.isdigit():
        # Mobile numbers sign in too: a username of digits could be someone's number.
        raise PortalError(_("A username cannot be digits only."), "bad_username", "username")
    return username


def clean_mobile(value: str, field: str = "mobile") -> str:
    number = "".join((value or "").split()).replace("-", "")
    if number.startswith("+86"):
        number = number[3:]
    if not MOBILE_RE.match(number):
        raise PortalError(
            _("A mobile number is 11 digits starting with 13 to 19, such as 13812345678."),
            "bad_mobile",
            field,
        )
    return number


def clean_email(value: str) -> str:
    address = (value or "").strip()
    if not address:
        return ""
    try:
        validate_email(address)
    except ValidationError:
        raise PortalError(
            _("Please enter a valid email address, or leave it empty."), "bad_email", "email"
        ) from None
    return address


def clean_name(value: str, field: str = "name", max_length: int = 50) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise PortalError(_("Please enter the name exactly as on the document."), "bad_name", field)
    if len(name) > max_length:
        raise PortalError(_("A name has at most %(n)d characters.") % {"n": max_length}, "bad_name", field)
    return name


def clean_resident_id(value: str, field: str = "id_number") -> str:
    try:
        return validate_resident_id(value)
    except ValidationError as exc:
        raise PortalError(" ".join(exc.messages), "bad_id_number", field) from None


def clean_uscc(value: str, field: str = "uscc") -> str:
    try:
        return validate_uscc(value)
    except ValidationError as exc:
        raise PortalError(" ".join(exc.messages), "bad_uscc", field) from None


def check_password(password: str, *, username: str, name: str, email: str) -> None:
    """Django's password validators (settings.AUTH_PASSWORD_VALIDATORS), the new user's
    username, name and email taken into account."""
    probe = get_user_model()(username=username, first_name=name[:150], email=email)
    try:
        validate_password(password or "", user=probe)
    except ValidationError as exc:
        raise PortalError(" ".join(exc.messages), "bad_password", "password") from None


def _unused(username: str, id_number: str, *, enterprise: bool) -> None:
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise PortalError(_("This username is taken; please choose another."), "username_taken", "username")
    if Account.objects.filter(id_number=id_number).exists():
        raise _already_registered(enterprise)


def _already_registered(enterprise: bool) -> PortalError:
    if enterprise:
        return PortalError(
            _(
                "An account with this unified social credit code already exists. If it is your "
                "organisation's, sign in with it, or ask at a service center window."
            ),
            "already_registered",
            "uscc",
        )
    return PortalError(
        _(
            "An account with this ID number already exists. If it is yours, sign in with it, or "
            "bring your ID card to a service center window."
        ),
        "already_registered",
        "id_number",
    )


# --------------------------------------------------------------------------- register


def register_individual(
    *,
    username: str,
    password: str,
    name: str,
    id_number: str,
    mobile: str,
    email: str = "",
    at: dt.datetime | None = None,
) -> Account:
    """A new, unverified individual account with its user."""
    username = clean_username(username)
    name = clean_name(name)
    number = clean_resident_id(id_number)
    mobile = clean_mobile(mobile)
    email = clean_email(email)
    check_password(password, username=username, name=name, email=email)
    return _register(
        username=username,
        password=password,
        kind=ApplicantKind.INDIVIDUAL,
        name=name,
        id_number=number,
        mobile=mobile,
        email=email,
        at=at,
    )


def register_enterprise(
    *,
    username: str,
    password: str,
    name: str,
    uscc: str,
    legal_rep_name: str,
    legal_rep_id_number: str,
    mobile: str,
    email: str = "",
    at: dt.datetime | None = None,
) -> Account:
    """A new, unverified enterprise (or other organisation) account with its user."""
    username = clean_username(username)
    name = clean_name(name, max_length=200)
    code = clean_uscc(uscc)
    rep_name = clean_name(legal_rep_name, field="legal_rep_name")
    rep_id = clean_resident_id(legal_rep_id_number, field="legal_rep_id_number")
    mobile = clean_mobile(mobile)
    email = clean_email(email)
    check_password(password, username=username, name=name, email=email)
    return _register(
        username=username,
        password=password,
        kind=ApplicantKind.ENTERPRISE,
        name=name,
        id_number=code,
        mobile=mobile,
        email=email,
        legal_rep_name=rep_name,
        legal_rep_id_number=rep_id,
        at=at,
    )


def _register(*, username: str, password: str, at: dt.datetime | None, **fields: Any) -> Account:
    enterprise = fields["kind"] == ApplicantKind.ENTERPRISE
    _unused(username, fields["id_number"], enterprise=enterprise)
    at = at or timezone.now()
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(  # type: ignore[attr-defined]
                username=username, password=password, email=fields["email"], first_name=fields["name"][:150]
            )
            account = Account.objects.create(user=user, **fields)
            AccountEvent.objects.create(
                account=account,
                type=AccountEventType.REGISTERED,
                actor=user,
                at=at,
                detail={"kind": fields["kind"]},
            )
    except IntegrityError:
        # Someone registered the same username or number a moment ago.
        _unused(username, fields["id_number"], enterprise=enterprise)
        raise
    return account


# --------------------------------------------------------------------------- reads


def account_of(user: User | None) -> Account | None:
    """The user's own portal account (None for anonymous visitors and staff)."""
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "account", None)


def sign_in_name(typed: str) -> str:
    """What the person typed to sign in, as the username to check: a mobile number that
    belongs to exactly one account stands for that account's username (lockouts then count
    per account, however the person signs in)."""
    value = (typed or "").strip()
    try:
        number = clean_mobile(value)
    except PortalError:
        return value
    usernames = list(Account.objects.filter(mobile=number).values_list("user__username", flat=True)[:2])
    return usernames[0] if len(usernames) == 1 else value


# Who acts for whom. Every part of the portal (applications, my cases, payments, ratings,
# complaints, e-licenses) asks these; none keeps its own copy of the rule.


def active_agencies(person: Account, today: dt.date | None = None) -> QuerySet[Agent]:
    """The person's authorisations in force on ``today``: not revoked, not run out."""
    today = today or timezone.localdate()
    return Agent.objects.filter(person=person, revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def acting_accounts_of(own: Account | None, *, on: dt.date | None = None) -> list[Account]:
    """``own`` first, then the enterprises whose agent it is on ``on`` (default today),
    by name. An unverified account acts only for itself: anyone may register with an
    agent's ID number until it is checked. (One query at most.)"""
    if own is None:
        return []
    if not own.is_verified:
        return [own]
    enterprises = Account.objects.filter(pk__in=active_agencies(own, on).values("enterprise_id"))
    return [own, *enterprises.exclude(pk=own.pk).order_by("name", "pk")]


def acting_accounts(user: User | None, *, on: dt.date | None = None) -> list[Account]:
    """The accounts the user may act for: their own first, verified or not, then the
    enterprises whose active, unexpired agent they are (only while their own account is
    verified). Whether an account may *do* something is the caller's check: most need
    it verified (``acting_id_numbers``, ``check_can_apply``)."""
    return acting_accounts_of(account_of(user), on=on)


def may_act_for(user: User | None, account: Account) -> bool:
    return any(a.pk == account.pk for a in acting_accounts(user))


def verified_id_numbers(accounts: list[Account]) -> list[str]:
    """The ID numbers and USCCs of the verified ones among ``accounts``, in their order."""
    return [a.id_number for a in accounts if a.is_verified]


def acting_id_numbers(user: User | None, *, on: dt.date | None = None) -> set[str]:
    """The applicant identities (resident ID numbers, USCCs) under which the user's cases
    and e-licenses are theirs: those of the *verified* accounts they act for. An identity
    typed in at registration proves nothing until it is checked."""
    return set(verified_id_numbers(acting_accounts(user, on=on)))


def acting_cases(user: User | None) -> QuerySet[Case]:
    """Every case ``may_act_for_case`` gives the user, as one query (unordered)."""
    if user is None or not user.is_authenticated:
        return Case.objects.none()
    ids = sorted(acting_id_numbers(user))
    return Case.objects.filter(Q(applicant_user_id=user.pk) | Q(applicant_id_number__in=ids))


def may_act_for_case(user: User | None, case: Case) -> bool:
    """Whether ``case`` is the user's to follow, pay, rate or complain about: they filed
    it from their account (``Case.applicant_user``; verified or not, they typed it), or
    it was filed, online or at a window, under an identity in ``acting_id_numbers``
    (``acting_cases`` is the same rule for lists). Asks at most two queries, none when
    the user filed the case."""
    if user is None or not user.is_authenticated:
        return False
    if case.applicant_user_id is not None and case.applicant_user_id == user.pk:
        return True
    own = account_of(user)
    if own is None or not own.is_verified:
        return False
    if own.id_number == case.applicant_id_number:
        return True
    return (
        active_agencies(own)
        .filter(enterprise__id_number=case.applicant_id_number, enterprise__verified_at__isnull=False)
        .exists()
    )


def require_verified(user: User | None) -> Account:
    """The user's account if its identity is verified; otherwise a polite refusal."""
    account = account_of(user)
    if account is None:
        raise PortalError(
            _("Please sign in with a citizen or enterprise account to use this service."), "no_account"
        )
    if not account.is_verified:
        raise PortalError(
            _(
                "Your identity has not been verified yet, so you cannot apply online. Bring your "
                "ID card (for an enterprise: the business licence or the legal representative's ID) "
                "to a service center window, or use the online real-name check on your account page."
            ),
            "unverified",
        )
    return account


def service_centers() -> QuerySet[ServiceCenter]:
    """Where an identity can be checked on site: every service center of the deployment."""
    return ServiceCenter.objects.select_related("region").order_by("region__path", "name")


def find_account(number: str) -> Account | None:
    """The account of a full resident ID number or USCC (never a partial match)."""
    cleaned = normalize_resident_id(number or "")
    if not cleaned:
        return None
    return Account.objects.select_related("user", "verified_by").filter(id_number=cleaned).first()


def recent_events(account: Account, limit: int = 10) -> list[AccountEvent]:
    return list(account.events.order_by("-at", "-pk")[:limit])


def agents_of(enterprise: Account) -> list[Agent]:
    """The enterprise's agents, active ones first."""
    return list(
        Agent.objects.filter(enterprise=enterprise)
        .select_related("person")
        .order_by(F("revoked_at").desc(nulls_first=True), "-authorised_at", "-pk")
    )


def can_verify(user: User | None) -> bool:
    """Window operators of any region of this deployment verify identities on site."""
    staff = staff_of(user)
    if staff is None or not staff.is_active:
        return False
    return any(grant.role == Role.WINDOW_OPERATOR for grant in scope_of(user).grants)


# --------------------------------------------------------------------------- verify


def _lock(account: Account) -> Account:
    return Account.objects.select_for_update().get(pk=account.pk)


def _document_kind(account: Account, document_number: str) -> str | None:
    """Which document the typed number matches: the resident ID (individuals), the
    legal representative's ID or the USCC on the business licence (enterprises)."""
    typed_id = normalize_resident_id(document_number or "")
    if not typed_id:
        return None
    if account.is_enterprise:
        if hmac.compare_digest(normalize_uscc(document_number), account.id_number):
            return "business_licence"
        if account.legal_rep_id_number and hmac.compare_digest(typed_id, account.legal_rep_id_number):
            return "legal_rep_id"
        return None
    return "resident_id" if hmac.compare_digest(typed_id, account.id_number) else None


def verify_on_site(
    *,
    account: Account,
    staff_user: AbstractBaseUser,
    document_number: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> Account:
    """Window staff checked the identity document in person and typed its number."""
    if not can_verify(staff_user):
        raise PortalError(_("Only window staff may verify an identity on site."), "forbidden")
    document = _document_kind(account, document_number)
    if account.is_verified:
        raise PortalError(_("This account's identity is already verified."), "already_verified")
    if document is None:
        raise PortalError(
            _(
                "The number typed does not match this account. Check the document again: it "
                "must be the account holder's own (for an enterprise, the business licence or "
                "the legal representative's ID card)."
            ),
            "document_mismatch",
            "document_number",
        )
    at = at or timezone.now()
    staff = staff_of(staff_user)
    place = _place_of(staff)
    with transaction.atomic():
        locked = _lock(account)
        if locked.is_verified:
            raise PortalError(_("This account's identity is already verified."), "already_verified")
        locked.verified_at = at
        locked.verified_by = staff_user
        locked.verification_method = VerificationMethod.ON_SITE
        locked.verification_reference = " ".join(place[k] for k in ("center", "window") if k in place)[:100]
        locked.save(
            update_fields=["verified_at", "verified_by", "verification_method", "verification_reference"]
        )
        detail = {"method": VerificationMethod.ON_SITE.value, "document": document, **place}
        if note.strip():
            detail["note"] = note.strip()[:500]
        AccountEvent.objects.create(
            account=locked, type=AccountEventType.VERIFIED, actor=staff_user, at=at, detail=detail
        )
        _tell(locked.user, VERIFIED_SUBJECT, VERIFIED_BODY, at=at)
    return locked


def _place_of(staff: Any) -> dict[str, str]:
    """Where the staff member verified: their window and its center, and the region."""
    if staff is None:
        return {}
    place = {"staff": staff.name}
    window = staff.window
    if window is not None:
        place["window"] = f"{window.number} {window.name}".strip()
        place["center"] = window.center.name
        region = window.center.region
    else:
        region = staff.department.region
    place["department"] = staff.department.name
    place["region"] = f"{region.code} {region.name}"
    return place


VERIFIED_SUBJECT = gettext_lazy("Your identity has been verified")
VERIFIED_BODY = gettext_lazy("You can now apply for services online.")
AGENT_SUBJECT = gettext_lazy("You are now an agent of %(name)s")
AGENT_BODY = gettext_lazy(
    "You can apply for services on the enterprise's behalf until the authorisation ends."
)


def _tell(
    user: AbstractBaseUser,
    subject: StrOrPromise,
    body: StrOrPromise = "",
    params: dict[str, Any] | None = None,
    *,
    at: dt.datetime,
) -> None:
    """An inbox message (and an email, if the user gave an address), in the site's language:
    the person told is not the one whose request this is."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(subject) % params if params else str(subject)
        notify.send(
            [
                notify.Message(
                    recipient=user,
                    subject=text,
                    body=str(body),
                    link=account_url(),
                    kind="portal.account",
                    channels=(notify.INBOX, notify.EMAIL),
                )
            ],
            at=at,
        )


def realname_attempts_today(account: Account, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return account.events.filter(type=AccountEventType.VERIFICATION_FAILED, at__gte=start).count()


def verify_by_provider(*, account: Account, at: dt.datetime | None = None) -> Account:
    """Ask the real-name provider; a match verifies the account (event VERIFIED, method
    provider); a "no match" is recorded (VERIFICATION_FAILED) and refused."""
    if account.is_verified:
        raise PortalError(_("This account's identity is already verified."), "already_verified")
    backend = realname.get_backend()
    if backend is None:
        raise PortalError(
            _(
                "Online real-name checks are not available here; please have your identity checked at a window."
            ),
            "realname_none",
        )
    at = at or timezone.now()
    if realname_attempts_today(account, at) >= REALNAME_DAILY_ATTEMPTS:
        raise PortalError(
            _(
                "The online check did not match %(n)d times today. Please check your details, try "
                "again tomorrow, or have your identity checked at a window."
            )
            % {"n": REALNAME_DAILY_ATTEMPTS},
            "realname_attempts",
        )
    try:
        if account.is_enterprise:
            result = backend.check(
                account.name,
                account.id_number,
                account.mobile,
                kind=realname.ENTERPRISE,
                legal_rep_name=account.legal_rep_name,
                legal_rep_id_number=account.legal_rep_id_number,
            )
        else:
            result = backend.check(account.name, account.id_number, account.mobile)
    except realname.RealNameError as exc:
        logger.warning("portal: real-name check of account %s failed: %s", account.pk, exc)
        raise PortalError(
            _("The real-name service cannot be reached just now. Please try again later or go to a window."),
            "realname_unavailable",
        ) from None
    with transaction.atomic():
        locked = _lock(account)
        if not result.matched:
            AccountEvent.objects.create(
                account=locked,
                type=AccountEventType.VERIFICATION_FAILED,
                actor=locked.user,
                at=at,
                detail={
                    "method": VerificationMethod.PROVIDER.value,
                    "reference": result.reference,
                    "reason": result.reason,
                },
            )
        elif not locked.is_verified:
            locked.verified_at = at
            locked.verified_by = None
            locked.verification_method = VerificationMethod.PROVIDER
            locked.verification_reference = result.reference
            locked.save(
                update_fields=["verified_at", "verified_by", "verification_method", "verification_reference"]
            )
            AccountEvent.objects.create(
                account=locked,
                type=AccountEventType.VERIFIED,
                actor=locked.user,
                at=at,
                detail={"method": VerificationMethod.PROVIDER.value, "reference": result.reference},
            )
            _tell(locked.user, VERIFIED_SUBJECT, VERIFIED_BODY, at=at)
    if not result.matched:
        raise PortalError(
            _(
                "The real-name service could not confirm these details (%(reason)s). Check that your "
                "name, ID number and mobile are exactly as registered, or go to a window."
            )
            % {"reason": result.reason or _("no reason given")},
            "realname_mismatch",
        )
    return locked


# --------------------------------------------------------------------------- agents


def authorise_agent(
    *,
    enterprise: Account,
    person_id_number: str,
    valid_until: dt.date | None = None,
    by_user: AbstractBaseUser,
    at: dt.datetime | None = None,
) -> Agent:
    """The enterprise's own account names a verified individual as its agent (经办人)."""
    if not enterprise.is_enterprise:
        raise PortalError(_("Only an enterprise account can authorise agents."), "not_enterprise")
    if enterprise.user_id != by_user.pk:
        raise PortalError(_("Only the enterprise's own account can authorise its agents."), "forbidden")
    if not enterprise.is_verified:
        raise PortalError(
            _("The enterprise's identity must be verified before it can authorise agents."), "unverified"
        )
    number = clean_resident_id(person_id_number, field="person_id_number")
    at = at or timezone.now()
    today = timezone.localdate(at)
    if valid_until is not None and valid_until < today:
        raise PortalError(_("The end of the authorisation cannot be in the past."), "bad_date", "valid_until")
    person = Account.objects.filter(
        id_number=number, kind=ApplicantKind.INDIVIDUAL, verified_at__isnull=False
    ).first()
    if person is None:
        raise PortalError(
            _(
                "No verified personal account has this ID number. The person must register and "
                "have their identity verified first."
            ),
            "agent_not_verified",
            "person_id_number",
        )
    try:
        with transaction.atomic():
            _lock(enterprise)
            current = Agent.objects.select_for_update().filter(
                enterprise=enterprise, person=person, revoked_at__isnull=True
            )
            for agent in current:
                if agent.valid_until is None or agent.valid_until >= today:
                    raise PortalError(
                        _("This person is already an agent of the enterprise."),
                        "agent_exists",
                        "person_id_number",
                    )
                # An expired authorisation makes room for the new one.
                Agent.objects.filter(pk=agent.pk).update(revoked_at=at)
            agent = Agent.objects.create(
                enterprise=enterprise,
                person=person,
                authorised_by=by_user,
                authorised_at=at,
                valid_until=valid_until,
            )
            AccountEvent.objects.create(
                account=enterprise,
                type=AccountEventType.AGENT_AUTHORISED,
                actor=by_user,
                at=at,
                detail={
                    "agent": agent.pk,
                    "person": mask_resident_id(person.id_number),
                    "valid_until": valid_until.isoformat() if valid_until else None,
                },
            )
            _tell(person.user, AGENT_SUBJECT, AGENT_BODY, {"name": enterprise.name}, at=at)
    except IntegrityError:
        raise PortalError(
            _("This person is already an agent of the enterprise."), "agent_exists", "person_id_number"
        ) from None
    return agent


def revoke_agent(*, agent: Agent, by_user: AbstractBaseUser, at: dt.datetime | None = None) -> Agent:
    """The enterprise's own account ends an agent's authorisation."""
    enterprise = agent.enterprise
    if enterprise.user_id != by_user.pk:
        raise PortalError(_("Only the enterprise's own account can revoke its agents."), "forbidden")
    at = at or timezone.now()
    with transaction.atomic():
        locked = Agent.objects.select_for_update().select_related("person").get(pk=agent.pk)
        if locked.revoked_at is not None:
            raise PortalError(_("This authorisation has already been revoked."), "already_revoked")
        locked.revoked_at = at
        locked.save(update_fields=["revoked_at"])
        AccountEvent.objects.create(
            account=enterprise,
            type=AccountEventType.AGENT_REVOKED,
            actor=by_user,
            at=at,
            detail={"agent": locked.pk, "person": mask_resident_id(locked.person.id_number)},
        )
    return locked


# --------------------------------------------------------------------------- profile


def set_second_factor(*, account: Account, on: bool, at: dt.datetime | None = None) -> Account:
    """Turn the SMS code at sign-in on or off (no change, no event)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = _lock(account)
        if locked.second_factor == on:
            return locked
        locked.second_factor = on
        locked.save(update_fields=["second_factor"])
        device = _device(locked)
        if device.confirmed != on:
            device.confirmed = on
            device.save(update_fields=["confirmed"])
        AccountEvent.objects.create(
            account=locked,
            type=AccountEventType.SECOND_FACTOR_ON if on else AccountEventType.SECOND_FACTOR_OFF,
            actor=locked.user,
            at=at,
        )
    return locked


def change_contact(
    *, account: Account, mobile: str, email: str, by_user: AbstractBaseUser, at: dt.datetime | None = None
) -> Account:
    """New mobile and/or email; the event names the fields changed, not their values."""
    if account.user_id != by_user.pk:
        raise PortalError(_("You can change only your own contact details."), "forbidden")
    mobile = clean_mobile(mobile)
    email = clean_email(email)
    at = at or timezone.now()
    with transaction.atomic():
        locked = _lock(account)
        changed = [f for f, v in (("mobile", mobile), ("email", email)) if getattr(locked, f) != v]
        if not changed:
            return locked
        locked.mobile, locked.email = mobile, email
        locked.save(update_fields=changed)
        if "email" in changed:
            get_user_model().objects.filter(pk=locked.user_id).update(email=email)
        if "mobile" in changed:
            SmsDevice.objects.filter(user_id=locked.user_id).update(number=mobile)
        AccountEvent.objects.create(
            account=locked,
            type=AccountEventType.PROFILE_CHANGED,
            actor=by_user,
            at=at,
            detail={"fields": changed},
        )
    return locked


# --------------------------------------------------------------------------- sign-in code


def _device(account: Account, name: str = SMS_DEVICE_NAME) -> SmsDevice:
    device = SmsDevice.objects.filter(user_id=account.user_id, name=name).first()
    if device is None:
        device = SmsDevice.objects.create(
            user_id=account.user_id,
            name=name,
            number=account.mobile,
            # Only the sign-in device is ever a second factor.
            confirmed=account.second_factor if name == SMS_DEVICE_NAME else False,
        )
    elif device.number != account.mobile:
        device.number = account.mobile
        device.save(update_fields=["number"])
    return device


def _send_code(
    account: Account, *, device_name: str, seconds: int, text: StrOrPromise, at: dt.datetime | None
) -> SmsDevice:
    """A new 6-digit code on the account's device ``device_name``, valid ``seconds``, sent
    by SMS right after commit; ``text`` has the placeholders ``code`` and ``minutes``."""
    with transaction.atomic():
        device = _device(account, device_name)
        device.generate_token(length=6, valid_secs=seconds)
        with translation.override(settings.LANGUAGE_CODE):
            body = str(text) % {"code": device.token, "minutes": seconds // 60}
        notify.send_sms_to(device.number, body, at=at)
        # A code cannot wait for the outbox's next round: deliver it right after commit.
        transaction.on_commit(_deliver_now)
    return device


SIGN_IN_CODE_TEXT = gettext_lazy(
    "Your sign-in code is %(code)s, valid for %(minutes)d minutes. Staff will never ask you for it."
)


def send_sign_in_code(account: Account, *, at: dt.datetime | None = None) -> SmsDevice:
    """A new 6-digit code, valid for 5 minutes, sent by SMS to the account's mobile."""
    return _send_code(
        account, device_name=SMS_DEVICE_NAME, seconds=SIGN_IN_CODE_SECONDS, text=SIGN_IN_CODE_TEXT, at=at
    )


def _deliver_now() -> None:
    from yiwang.core.tasks import deliver_notifications  # tasks import Celery; loaded when needed

    deliver_notifications.delay()


def _typed_code(code: str) -> str | None:
    typed = "".join((code or "").split())
    return typed if re.fullmatch(r"[0-9]{6}", typed) else None


def _verify_code(account: Account, code: str, device_name: str) -> SmsDevice | None:
    typed = _typed_code(code)
    if typed is None:
        return None
    with transaction.atomic():
        device = (
            SmsDevice.objects.select_for_update().filter(user_id=account.user_id, name=device_name).first()
        )
        if device is None or not device.verify_token(typed):
            return None
    return device


def check_sign_in_code(account: Account, code: str) -> SmsDevice | None:
    """The device if ``code`` is the current, unexpired code (used up by this check)."""
    return _verify_code(account, code, SMS_DEVICE_NAME)


# --------------------------------------------------------------------------- forgot password

RESET_CODE_TEXT = gettext_lazy(
    "Your code to reset the password is %(code)s, valid for %(minutes)d minutes. If you did not "
    "ask for it, ignore this message. Staff will never ask you for it."
)


def _reset_sent_key(account_pk: int) -> str:
    return f"portal:reset:sent:{account_pk}"


def _reset_wrong_key(account_pk: int) -> str:
    return f"portal:reset:wrong:{account_pk}"


def count_in_hour(key: str) -> int:
    """Add one to the counter ``key`` of the hour that began with its first count; the new
    count (the cache forgets it an hour after the first)."""
    cache.add(key, 0, timeout=3600)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return 1


def account_for_reset(who: str, number: str) -> Account | None:
    """The one active citizen or enterprise account whose username or mobile is ``who``
    and whose ID number or USCC is ``number``; None otherwise. Staff users never match,
    even if one had an account. (One query.)"""
    typed = (who or "").strip()
    id_number = normalize_resident_id(number or "")
    if not typed or not id_number or len(id_number) > 18:
        return None
    try:
        by = Q(mobile=clean_mobile(typed))
    except PortalError:
        by = Q(user__username__iexact=typed)
    found = list(
        Account.objects.select_related("user")
        .filter(by, id_number=id_number, user__is_active=True, user__is_staff=False, user__is_superuser=False)
        .order_by("pk")[:2]
    )
    return found[0] if len(found) == 1 else None


def request_password_reset(*, who: str, id_number: str, at: dt.datetime | None = None) -> Account | None:
    """Forgot password, first step: when ``who`` (username or mobile) and ``id_number``
    (ID number or USCC) name one account, a 6-digit code valid for 10 minutes goes to its
    mobile, at most ``RESET_CODES_PER_HOUR`` an hour. Returns the account, or None when
    nothing matched; the caller answers the same either way, and also when the hour's
    codes are used up (then nothing is sent, and a warning is logged)."""
    account = account_for_reset(who, id_number)
    if account is None:
        return None
    if count_in_hour(_reset_sent_key(account.pk)) > RESET_CODES_PER_HOUR:
        logger.warning("portal: password reset codes for account %s used up for the hour", account.pk)
        return account
    _send_code(
        account, device_name=RESET_DEVICE_NAME, seconds=RESET_CODE_SECONDS, text=RESET_CODE_TEXT, at=at
    )
    cache.delete(_reset_wrong_key(account.pk))
    return account


def reset_password(*, account: Account, code: str, password: str, at: dt.datetime | None = None) -> Account:
    """Forgot password, second step: the code sent by ``request_password_reset`` and a new
    password (Django's validators). Sets the password, records PASSWORD_RESET and clears
    django-axes' lockout of the username. Changing the password ends every other session
    of the user (Django checks each session against the password hash). A wrong code
    counts: after ``RESET_CODE_TRIES`` the code is void (code ``code_attempts``)."""
    user = account.user
    if user.is_staff or user.is_superuser or not user.is_active:
        raise PortalError(_("This account's password cannot be reset here."), "forbidden")
    check_password(password, username=user.get_username(), name=account.name, email=account.email)
    at = at or timezone.now()
    with transaction.atomic():
        locked = _lock(account)
        right = _verify_code(locked, code, RESET_DEVICE_NAME) is not None
        if right:
            user = locked.user
            user.set_password(password)
            user.save(update_fields=["password"])
            AccountEvent.objects.create(
                account=locked, type=AccountEventType.PASSWORD_RESET, actor=user, at=at
            )
    if not right:
        if count_in_hour(_reset_wrong_key(locked.pk)) >= RESET_CODE_TRIES:
            SmsDevice.objects.filter(user_id=locked.user_id, name=RESET_DEVICE_NAME).update(
                token=None, valid_until=timezone.now()
            )
            cache.delete(_reset_wrong_key(locked.pk))
            raise PortalError(
                _("The code was wrong too many times and no longer works. Please ask for a new one."),
                "code_attempts",
                "code",
            )
        raise PortalError(
            _("This code is not right or has expired. Check the latest SMS, or ask for a new code."),
            "bad_code",
            "code",
        )
    cache.delete(_reset_wrong_key(locked.pk))
    axes_reset(username=user.get_username())
    return locked


def account_url() -> str:
    return reverse("portal:account")
