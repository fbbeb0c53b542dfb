"""Online applications (在线办理) with 一号申请: one identity, no material handed in twice.

A verified account starts a draft for the version of an item in force, for itself or for
an enterprise it is an agent of (经办人). The draft keeps the application form as typed,
the files uploaded for each required material, and the materials that stand in for an
upload (``Draft.reuse``): a file the same applicant handed in for a material of the same
name in an earlier case that was accepted within ``PORTAL_MATERIAL_REUSE_DAYS``, or an
e-license the applicant holds of the material's ``license_type``. Submitting files the
case through ``cases.services.case_file`` (idempotent on the draft), and a supplement
request is answered through ``cases.services.case_receive_supplement`` with exactly the
materials the one-time notice lists.

Every service checks who acts and in which state, and raises ``PortalError`` (field and
code) having written nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases import services as case_services
from yiwang.cases.models import ApplicantKind, Case, CaseEvent, CaseFile, CaseState, Channel, EventType
from yiwang.cases.services import CaseError, Upload
from yiwang.cases.uploads import inspect_upload
from yiwang.catalog.models import (
    FormField,
    ItemVersion,
    Material,
    Necessity,
    OnlineDepth,
    Target,
)
from yiwang.core import calendar
from yiwang.portal.accounts import account_of, may_act_for
from yiwang.portal.accounts import acting_accounts as acting_accounts  # the apply pages ask it here
from yiwang.portal.dynamic_forms import ApplicationForm
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account, Draft, DraftFile

User = AbstractBaseUser | AnonymousUser

# An applicant hands in at most this many files for one material (pages of a document).
MAX_FILES_PER_MATERIAL = 10
# Earlier files offered for one material (newest first, each distinct file once).
MAX_FILE_OFFERS = 3
LICENSES_KEY = "_licenses"


class Code:
    """The ``PortalError`` codes of this module."""

    SIGN_IN = "sign_in"
    NO_ACCOUNT = "no_account"
    UNVERIFIED = "unverified"
    NOT_ONLINE = "not_online"
    NOT_IN_FORCE = "not_in_force"
    TARGET = "target"
    FORBIDDEN = "forbidden"
    SUBMITTED = "submitted"
    FILE = "file"
    TOO_MANY_FILES = "too_many_files"
    DUPLICATE_FILE = "duplicate_file"
    NOT_A_MATERIAL = "not_a_material"
    REUSE = "reuse"
    INCOMPLETE = "incomplete"
    NOT_SUPPLEMENT = "not_supplement"
    NOT_LISTED = "not_listed"
    MISSING = "missing"
    CASE = "case"


# --------------------------------------------------------------------------- who applies
# Whose account a user may apply for is the accounts module's rule (``acting_accounts``,
# ``may_act_for``); what applying needs beyond it is checked here.


def version_in_force(code: str, on: dt.date | None = None) -> ItemVersion | None:
    on = on or timezone.localdate()
    return (
        ItemVersion.objects.in_force(on)
        .filter(item__code=code)
        .select_related("item__department", "item__region")
        .first()
    )


def target_allows(version: ItemVersion, account: Account) -> bool:
    if version.target == Target.ENTERPRISE:
        return account.kind == ApplicantKind.ENTERPRISE
    if version.target == Target.INDIVIDUAL:
        return account.kind == ApplicantKind.INDIVIDUAL
    return True


def check_can_apply(user: User | None, version: ItemVersion, account: Account | None = None) -> Account:
    """The filer's own account when ``user`` may apply for ``version`` on behalf of
    ``account`` (default: their own); else ``PortalError`` saying why."""
    if user is None or not user.is_authenticated:
        raise PortalError(_("Sign in to apply online."), Code.SIGN_IN)
    own = account_of(user)
    if own is None:
        raise PortalError(
            _("Online applications are made from a citizen or enterprise account."), Code.NO_ACCOUNT
        )
    if not own.is_verified:
        raise PortalError(
            _(
                "Your identity has not been verified yet, so you cannot apply online. Bring your "
                "identity document to any service center window (or use real-name verification "
                "where offered); you can apply as soon as it is verified."
            ),
            Code.UNVERIFIED,
        )
    if version.online_depth < OnlineDepth.RECEIPT:
        raise PortalError(
            _("“%(name)s” cannot be applied for online; the service guide says where to apply.")
            % {"name": version.name},
            Code.NOT_ONLINE,
        )
    applicant = account or own
    if applicant.pk != own.pk and not may_act_for(user, applicant):
        raise PortalError(
            _("You are not an authorised agent of “%(name)s”.") % {"name": applicant.name},
            Code.FORBIDDEN,
            "account",
        )
    if not applicant.is_verified:
        raise PortalError(
            _("The identity of “%(name)s” has not been verified yet, so no application can be made for it.")
            % {"name": applicant.name},
            Code.UNVERIFIED,
            "account",
        )
    if not target_allows(version, applicant):
        message = (
            _("“%(service)s” is for enterprises and organisations; apply on behalf of one.")
            if version.target == Target.ENTERPRISE
            else _("“%(service)s” is for individuals; apply with your own account.")
        )
        raise PortalError(message % {"service": version.name}, Code.TARGET, "account")
    return own


# --------------------------------------------------------------------------- drafts: reading


def drafts_of(user: User | None) -> QuerySet[Draft]:
    """The drafts ``user`` may open: those they filed, and every draft of an account that
    is their own (an enterprise signed in as itself sees its agents' drafts)."""
    own = account_of(user)
    if own is None:
        return Draft.objects.none()
    return Draft.objects.filter(Q(filed_by=own) | Q(account=own))


def draft_for(user: User | None, pk: int) -> Draft | None:
    return (
        drafts_of(user)
        .select_related("account", "filed_by", "item", "version__item__department", "case")
        .filter(pk=pk)
        .first()
    )


def open_drafts(user: User | None) -> QuerySet[Draft]:
    return (
        drafts_of(user)
        .filter(case__isnull=True)
        .select_related("account", "version__item__department")
        .order_by("-updated_at")
    )


@dataclass(frozen=True)
class Offer:
    """Something that stands in for an upload: ``kind`` "case_file" or "license"."""

    kind: str
    ref: str  # CaseFile pk or license identifier, as text
    title: str
    detail: str
    case_file: CaseFile | None = None
    license: Any = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"

    @property
    def stored(self) -> dict[str, Any]:
        if self.kind == "case_file":
            return {"case_file": int(self.ref)}
        return {"license": self.ref}


def stored_key(entry: Mapping[str, Any] | None) -> str | None:
    if not entry:
        return None
    if "case_file" in entry:
        return f"case_file:{entry['case_file']}"
    if "license" in entry:
        return f"license:{entry['license']}"
    return None


@dataclass
class MaterialSlot:
    material: Material
    files: list[DraftFile] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    chosen: Offer | None = None
    stale: bool = False  # a reuse was chosen that is no longer on offer

    @property
    def required(self) -> bool:
        return self.material.necessity == Necessity.REQUIRED

    @property
    def provided(self) -> bool:
        return bool(self.files) or self.chosen is not None

    @property
    def field_name(self) -> str:
        return f"material-{self.material.pk}"


def reuse_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    days = int(getattr(settings, "PORTAL_MATERIAL_REUSE_DAYS", 365))
    return (now or timezone.now()) - dt.timedelta(days=days)


def reusable_files(
    *, account: Account, names: Iterable[str], now: dt.datetime | None = None
) -> dict[str, list[CaseFile]]:
    """Files ``account``'s identity (ID number or USCC) handed in for materials of these
    names in earlier cases accepted within the reuse period, newest first, by name."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    accepted = CaseEvent.objects.filter(
        case=OuterRef("case_id"), type=EventType.ACCEPT, occurred_at__gte=reuse_cutoff(now)
    )
    rows = (
        CaseFile.objects.filter(
            case__applicant_id_number=account.id_number,
            case__applicant_kind=account.kind,
            material__name__in=wanted,
        )
        .filter(Exists(accepted))
        .select_related("case", "material")
        .order_by("-uploaded_at", "-pk")
    )
    found: dict[str, list[CaseFile]] = {}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        name = row.material.name  # type: ignore[union-attr]
        if (name, row.sha256) in seen or len(found.get(name, [])) >= MAX_FILE_OFFERS:
            continue
        seen.add((name, row.sha256))
        found.setdefault(name, []).append(row)
    return found


def held_licenses(*, account: Account, types: Iterable[str], on: dt.date) -> dict[str, list[Any]]:
    """E-licenses ``account``'s identity holds that are valid on ``on``, by license type
    (empty while the e-license library is not installed)."""
    wanted = {t for t in types if t}
    if not wanted:
        return {}
    try:
        from yiwang.licenses.selectors import valid_licenses
    except ImportError:
        return {}
    found: dict[str, list[Any]] = {}
    for lic in valid_licenses(holder_id_number=account.id_number, on=on):
        if lic.license_type in wanted:
            found.setdefault(lic.license_type, []).append(lic)
    return found


def _case_file_offer(row: CaseFile) -> Offer:
    accepted = row.case.accepted_at
    return Offer(
        kind="case_file",
        ref=str(row.pk),
        title=row.name,
        detail=_("handed in with case %(number)s, accepted on %(date)s")
        % {
            "number": row.case.number,
            "date": timezone.localtime(accepted).date().isoformat() if accepted else "—",
        },
        case_file=row,
    )


def _license_offer(lic: Any) -> Offer:
    until = getattr(lic, "valid_until", None)
    detail = _("e-license no. %(number)s") % {"number": lic.number}
    if until:
        detail += _(", valid until %(date)s") % {"date": until.isoformat()}
    return Offer(kind="license", ref=str(lic.identifier), title=lic.name, detail=detail, license=lic)


def material_slots(
    draft: Draft,
    *,
    materials: Sequence[Material] | None = None,
    files: Sequence[DraftFile] | None = None,
    on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[MaterialSlot]:
    """Each material of the draft's version with its uploaded files, what is on offer
    for it (e-licenses first, then earlier files) and the reuse chosen."""
    now = now or timezone.now()
    on = on or timezone.localdate(now)
    if materials is None:
        materials = list(draft.version.materials.all())
    if files is None:
        files = list(draft.files.order_by("uploaded_at", "pk"))
    earlier = reusable_files(account=draft.account, names=[m.name for m in materials], now=now)
    licenses = held_licenses(account=draft.account, types=[m.license_type for m in materials], on=on)
    slots = []
    for material in materials:
        offers = (
            [_license_offer(lic) for lic in licenses.get(material.license_type, [])]
            if material.license_type
            else []
        )
        offers += [_case_file_offer(row) for row in earlier.get(material.name, [])]
        slot = MaterialSlot(
            material=material,
            files=[f for f in files if f.material_id == material.pk],
            offers=offers,
        )
        wanted = stored_key(draft.reuse.get(str(material.pk)))
        if wanted is not None:
            slot.chosen = next((o for o in offers if o.key == wanted), None)
            slot.stale = slot.chosen is None
        slots.append(slot)
    return slots


@dataclass(frozen=True)
class Problem:
    """Something that stops submission: an answer of the form or a material."""

    anchor: str  # the id of the input or material section on the draft page
    message: str


def problems(form: ApplicationForm, slots: Sequence[MaterialSlot]) -> list[Problem]:
    """What must be put right before the draft can be submitted, in page order."""
    found: list[Problem] = []
    if not form.is_valid():
        for name, errors in form.errors.items():
            anchor = form[name].auto_id if name in form.fields else "application-form"
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                text = str(error)
                found.append(Problem(anchor, f"{label}: {text}" if label and label not in text else text))
    for slot in slots:
        if slot.stale and not slot.files:
            found.append(
                Problem(
                    slot.field_name,
                    _(
                        "%(material)s: the earlier material you chose can no longer be reused; upload the file."
                    )
                    % {"material": slot.material.name},
                )
            )
        elif slot.required and not slot.provided:
            found.append(
                Problem(
                    slot.field_name,
                    _("%(material)s: this material is required; upload it.")
                    % {"material": slot.material.name},
                )
            )
    return found


def draft_form(draft: Draft, form_fields: Sequence[FormField]) -> ApplicationForm:
    return ApplicationForm.from_stored(draft.form_data, form_fields=form_fields)


# --------------------------------------------------------------------------- drafts: writing


def _require_open(draft: Draft) -> None:
    if draft.case_id is not None:
        raise PortalError(
            _("This application has already been submitted; it can no longer be changed."), Code.SUBMITTED
        )


def _lock_draft(draft: Draft, user: User | None) -> Draft:
    """The draft, locked, if ``user`` may change it (404-worthy otherwise: ``PortalError``)."""
    locked = (
        drafts_of(user)
        .select_for_update(of=("self",))
        .select_related("account", "filed_by", "version", "item")
        .filter(pk=draft.pk)
        .first()
    )
    if locked is None:
        raise PortalError(_("This draft is not yours."), Code.FORBIDDEN)
    return locked


def _migrate(draft: Draft, version: ItemVersion) -> None:
    """Move an unsubmitted draft to a newer version of its item: answers are kept under
    the same keys, files and reuses follow the material of the same name."""
    by_name = {m.name: m for m in version.materials.all()}
    old = {m.pk: m.name for m in draft.version.materials.all()}
    reuse: dict[str, Any] = {}
    for material_id, entry in draft.reuse.items():
        target = by_name.get(old.get(int(material_id), ""))
        if target is not None:
            reuse[str(target.pk)] = entry
    for f in draft.files.all():
        target = by_name.get(old.get(f.material_id or 0, ""))
        if target is None:
            _delete_stored_file(f)
            f.delete()
        else:
            f.material = target
            f.save(update_fields=["material"])
    keys = set(version.form_fields.values_list("name", flat=True))
    draft.form_data = {k: v for k, v in draft.form_data.items() if k in keys}
    draft.reuse = reuse
    draft.version = version
    draft.save(update_fields=["form_data", "reuse", "version", "updated_at"])


def _choose_defaults(draft: Draft) -> None:
    """一号申请: every material already on file is chosen for reuse from the start (the
    e-license first, else the newest earlier file), so it is never asked for again."""
    reuse = dict(draft.reuse)
    for slot in material_slots(draft, files=[]):
        if slot.offers and str(slot.material.pk) not in reuse:
            reuse[str(slot.material.pk)] = slot.offers[0].stored
    if reuse != draft.reuse:
        draft.reuse = reuse
        draft.save(update_fields=["reuse", "updated_at"])


@transaction.atomic
def draft_start(*, user: User | None, version: ItemVersion, account: Account | None = None) -> Draft:
    """Start, or resume, ``account``'s application for ``version`` filed by ``user``."""
    own = check_can_apply(user, version, account)
    applicant = account or own
    Account.objects.select_for_update().filter(pk=applicant.pk).first()  # one start at a time
    existing = (
        Draft.objects.select_for_update()
        .filter(account=applicant, filed_by=own, item_id=version.item_id, case__isnull=True)
        .select_related("version", "account")
        .order_by("-updated_at")
        .first()
    )
    if existing is not None:
        if existing.version_id != version.pk:
            _migrate(existing, version)
            _choose_defaults(existing)
        return existing
    draft = Draft.objects.create(account=applicant, filed_by=own, item_id=version.item_id, version=version)
    _choose_defaults(draft)
    return draft


@transaction.atomic
def draft_follow_version(*, draft: Draft, user: User | None, on: dt.date | None = None) -> bool:
    """Move an open draft to its item's version in force when that has changed; True if
    it moved. Refused (``PortalError``) when the item is no longer offered online."""
    locked = _lock_draft(draft, user)
    _require_open(locked)
    current = version_in_force(locked.item.code, on)
    if current is None:
        raise PortalError(
            _("“%(name)s” is no longer offered, so this draft cannot be submitted.")
            % {"name": locked.version.name},
            Code.NOT_IN_FORCE,
        )
    if current.pk == locked.version_id:
        return False
    _migrate(locked, current)
    _choose_defaults(locked)
    draft.refresh_from_db()
    return True


@transaction.atomic
def draft_save_form(*, draft: Draft, user: User | None, data: Mapping[str, Any]) -> Draft:
    """Keep the answers as typed (checked only at submission, so nothing is lost)."""
    locked = _lock_draft(draft, user)
    _require_open(locked)
    form_fields = list(locked.version.form_fields.all())
    locked.form_data = ApplicationForm.raw_data(data, form_fields=form_fields)
    locked.save(update_fields=["form_data", "updated_at"])
    draft.form_data = locked.form_data
    return locked


def _material_of(draft: Draft, material_id: int) -> Material:
    material = Material.objects.filter(pk=material_id, version_id=draft.version_id).first()
    if material is None:
        raise PortalError(
            _("That is not one of the materials of this application."), Code.NOT_A_MATERIAL, "material"
        )
    return material


@transaction.atomic
def draft_add_file(*, draft: Draft, user: User | None, material_id: int, upload: UploadedFile) -> DraftFile:
    """Keep a file for a material, checked by the case upload rules (type by content, size)."""
    locked = _lock_draft(draft, user)
    _require_open(locked)
    material = _material_of(locked, material_id)
    field_name = f"material-{material.pk}"
    try:
        info = inspect_upload(upload)
    except ValidationError as exc:
        raise PortalError(exc.messages[0], Code.FILE, field_name) from None
    existing = list(locked.files.filter(material=material).values_list("sha256", flat=True))
    if info.sha256 in existing:
        raise PortalError(
            _("“%(name)s” has already been uploaded for this material.") % {"name": upload.name},
            Code.DUPLICATE_FILE,
            field_name,
        )
    if len(existing) >= MAX_FILES_PER_MATERIAL:
        raise PortalError(
            _("At most %(n)d files can be uploaded for one material; remove one first.")
            % {"n": MAX_FILES_PER_MATERIAL},
            Code.TOO_MANY_FILES,
            field_name,
        )
    stored = DraftFile(
        draft=locked,
        material=material,
        name=(upload.name or "file")[:200],
        sha256=info.sha256,
        size=info.size,
        content_type=info.content_type,
    )
    stored.file.save(f"{info.sha256[:16]}.{info.extension}", upload, save=False)
    try:
        stored.save()
    except Exception:
        default_storage.delete(stored.file.name)
        raise
    # An upload replaces whatever stood in for the material.
    if str(material.pk) in locked.reuse:
        locked.reuse = {k: v for k, v in locked.reuse.items() if k != str(material.pk)}
    locked.save(update_fields=["reuse", "updated_at"])
    return stored


def _delete_stored_file(f: DraftFile) -> None:
    name = f.file.name
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


@transaction.atomic
def draft_remove_file(*, draft: Draft, user: User | None, file_id: int) -> None:
    locked = _lock_draft(draft, user)
    _require_open(locked)
    f = locked.files.filter(pk=file_id).first()
    if f is None:
        raise PortalError(_("That file is not part of this draft."), Code.FILE, "file")
    _delete_stored_file(f)
    f.delete()
    locked.save(update_fields=["updated_at"])


@transaction.atomic
def draft_choose_reuse(*, draft: Draft, user: User | None, material_id: int, key: str | None) -> None:
    """Let what is on file stand in for ``material`` (``key`` of one of its offers), or
    with ``key`` None ask for an upload instead."""
    locked = _lock_draft(draft, user)
    _require_open(locked)
    material = _material_of(locked, material_id)
    reuse = {k: v for k, v in locked.reuse.items() if k != str(material.pk)}
    if key:
        slot = material_slots(locked, materials=[material], files=[])[0]
        offer = next((o for o in slot.offers if o.key == key), None)
        if offer is None:
            raise PortalError(
                _("That earlier material cannot be reused for “%(name)s”.") % {"name": material.name},
                Code.REUSE,
                f"material-{material.pk}",
            )
        reuse[str(material.pk)] = offer.stored
    if reuse != locked.reuse:
        locked.reuse = reuse
        locked.save(update_fields=["reuse", "updated_at"])
    draft.reuse = reuse


@transaction.atomic
def draft_delete(*, draft: Draft, user: User | None) -> None:
    locked = _lock_draft(draft, user)
    _require_open(locked)
    for f in locked.files.all():
        _delete_stored_file(f)
    locked.files.all().delete()
    locked.delete()


def _as_upload(name: str, content_type: str, stored: Any, material: Material) -> Upload:
    with stored.open("rb") as handle:
        data = handle.read()
    return Upload(SimpleUploadedFile(name, data, content_type=content_type), material)


@transaction.atomic
def draft_submit(*, draft: Draft, user: User | None, at: dt.datetime | None = None) -> Case:
    """File the draft as a case (the online 'apply' event). Submitting again, from a
    second tab or by a double click, returns the same case."""
    locked = _lock_draft(draft, user)
    if locked.case_id is not None:
        return Case.objects.get(pk=locked.case_id)
    own = check_can_apply(user, locked.version, locked.account)
    at = at or timezone.now()
    current = version_in_force(locked.item.code, timezone.localdate(at))
    if current is None or current.pk != locked.version_id:
        raise PortalError(
            _(
                "The service guide has changed since this draft was started; open the draft to check it again."
            ),
            Code.NOT_IN_FORCE,
        )
    form_fields = list(locked.version.form_fields.all())
    materials = list(locked.version.materials.all())
    files = list(locked.files.order_by("uploaded_at", "pk"))
    form = draft_form(locked, form_fields)
    slots = material_slots(locked, materials=materials, files=files, now=at)
    found = problems(form, slots)
    if found:
        raise PortalError(found[0].message, Code.INCOMPLETE)
    uploads: list[Upload] = []
    licenses: list[dict[str, Any]] = []
    for slot in slots:
        for f in slot.files:
            uploads.append(_as_upload(f.name, f.content_type, f.file, slot.material))
        if not slot.files and slot.chosen is not None:
            if slot.chosen.case_file is not None:
                row = slot.chosen.case_file
                uploads.append(_as_upload(row.name, row.content_type, row.file, slot.material))
            else:
                licenses.append({"material": slot.material.pk, "identifier": slot.chosen.ref})
    form_data = form.json_data()
    if licenses:
        form_data[LICENSES_KEY] = licenses
    account = locked.account
    try:
        case = case_services.case_file(
            version=locked.version,
            channel=Channel.ONLINE,
            applicant_kind=account.kind,
            applicant_name=account.name,
            applicant_id_number=account.id_number,
            applicant_mobile=account.mobile,
            form_data=form_data,
            uploads=uploads,
            user=user,
            applicant_user=user,
            idempotency_key=f"draft-{locked.pk}",
            at=at,
        )
    except CaseError as exc:
        raise PortalError(exc.text, Code.CASE, exc.field) from None
    locked.case = case
    if locked.filed_by_id is None:
        locked.filed_by = own
    locked.save(update_fields=["case", "filed_by", "updated_at"])
    # The case holds its own copies now; the draft's are personal data no longer needed.
    for f in files:
        _delete_stored_file(f)
    locked.files.all().delete()
    return case


# --------------------------------------------------------------------------- after submission


def cases_of(user: User | None) -> QuerySet[Case]:
    """Cases ``user`` filed online, and those filed for their own account by an agent."""
    if user is None or not user.is_authenticated:
        return Case.objects.none()
    own = account_of(user)
    condition = Q(applicant_user=user)
    if own is not None:
        condition |= Q(draft__account=own)
    return Case.objects.filter(condition)


def case_for(user: User | None, number: str) -> Case | None:
    return (
        cases_of(user)
        .select_related("item_version", "item", "department", "region")
        .filter(number=number)
        .first()
    )


def expected_due_date(case: Case) -> dt.date | None:
    """The date by which the applicant can expect the result: the case's due date once
    accepted; before that, the promised limit counted from the last day of acceptance."""
    if case.due_date is not None:
        return case.due_date
    if case.acceptance_due is None or not case.is_open:
        return None
    version = case.item_version
    try:
        return calendar.due_date(case.acceptance_due, version.promised_limit, version.limit_unit)
    except NotImplementedError:  # a year the working-day calendar does not know yet
        return None


@dataclass(frozen=True)
class NoticeItem:
    key: str  # the upload field's key: "m<material id>" or "n<position>"
    material: Material | None
    name: str
    problem: str


@dataclass(frozen=True)
class SupplementNotice:
    requested_at: dt.datetime
    department: str
    items: list[NoticeItem]


def supplement_notice(case: Case) -> SupplementNotice | None:
    """The one-time notice the case waits on (its latest supplement request), or None
    when the case is not waiting for a supplement."""
    if case.state != CaseState.SUPPLEMENT:
        return None
    event = (
        case.events.filter(type=EventType.SUPPLEMENT_REQUEST)
        .select_related("department")
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    entries = list((event.payload or {}).get("items") or [])
    ids = [e.get("material") for e in entries if e.get("material") is not None]
    materials = {m.pk: m for m in Material.objects.filter(pk__in=ids, version_id=case.item_version_id)}
    items = []
    for position, entry in enumerate(entries):
        material = materials.get(entry.get("material"))
        key = f"m{material.pk}" if material is not None else f"n{position}"
        items.append(
            NoticeItem(
                key=key,
                material=material,
                name=str(entry.get("name") or (material.name if material else "")),
                problem=str(entry.get("problem") or ""),
            )
        )
    department = event.department.name if event.department is not None else case.department.name
    return SupplementNotice(requested_at=event.occurred_at, department=department, items=items)


def supplement_submit(
    *,
    case: Case,
    user: User | None,
    files: Mapping[str, Sequence[UploadedFile]],
    at: dt.datetime | None = None,
) -> Case:
    """Hand in exactly what the one-time notice lists: a file (or more) for each item,
    none for anything it does not list. ``files`` is keyed by ``NoticeItem.key``."""
    if user is None or not user.is_authenticated or case.applicant_user_id != user.pk:
        raise PortalError(
            _("Only the applicant who filed this case online can hand in its supplement."), Code.FORBIDDEN
        )
    notice = supplement_notice(case)
    if notice is None:
        raise PortalError(
            _("Case %(number)s is not waiting for a supplement, so nothing was handed in.")
            % {"number": case.number},
            Code.NOT_SUPPLEMENT,
        )
    listed = {item.key: item for item in notice.items}
    for key, given in files.items():
        if given and key not in listed:
            raise PortalError(
                _("The one-time notice does not ask for that material; hand in only what it lists."),
                Code.NOT_LISTED,
                "files",
            )
    missing = [item.name for item in notice.items if not files.get(item.key)]
    if missing:
        raise PortalError(
            _("Hand in every material the notice lists; still missing: %(names)s.")
            % {"names": "、".join(missing)},
            Code.MISSING,
            "files",
        )
    uploads = [Upload(f, listed[key].material) for key, given in files.items() for f in given]
    for upload in uploads:
        try:
            inspect_upload(upload.file)
        except ValidationError as exc:
            raise PortalError(exc.messages[0], Code.FILE, "files") from None
    try:
        return case_services.case_receive_supplement(case=case, user=user, uploads=uploads, at=at)
    except CaseError as exc:
        raise PortalError(exc.text, Code.CASE, exc.field) from None
