"""Writes to the service catalog. Views, admin actions, the importer and the demo seeder
all go through these functions; none writes the catalog models directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.catalog.models import (
    FAQ,
    CatalogEntry,
    Fee,
    FormField,
    Item,
    ItemVersion,
    LimitUnit,
    Material,
    Necessity,
    ParallelPartner,
    VersionStatus,
    WorkflowStep,
    promised_exceeds_statutory,
)
from yiwang.core.text import search_document
from yiwang.org.models import Department, Region

Actor = AbstractBaseUser | AnonymousUser | None

# Fields of ItemVersion copied into a new draft and accepted by update/create helpers.
VERSION_FIELDS: tuple[str, ...] = (
    "name",
    "item_type",
    "handling_unit",
    "legal_basis",
    "statutory_limit",
    "promised_limit",
    "limit_unit",
    "limit_note",
    "case_kind",
    "target",
    "conditions",
    "special_procedures",
    "online_depth",
    "visits",
    "appointment",
    "parallel_approval",
    "result_type",
    "result_name",
    "place_and_hours",
    "consultation_phone",
    "consultation_address",
    "complaint_phone",
    "online_url",
)
PART_MODELS: tuple[tuple[str, type[Any]], ...] = (
    ("materials", Material),
    ("fees", Fee),
    ("steps", WorkflowStep),
    ("faqs", FAQ),
)
# The partner items of a parallel approval (并联审批): a part of the version like the
# others, kept apart from PART_MODELS because the Excel workbook does not carry them (an
# import copies them from the version it replaces).
PARTNERS = "partners"
# The fields of the online application form: copied into a new draft like the other
# parts, and likewise not carried by the Excel workbook (an import keeps them).
FORM_FIELDS = "form_fields"


def entry_upsert(
    *,
    code: str,
    name: str,
    item_type: str,
    legal_basis: str,
    statutory_limit: int | None,
    statutory_limit_unit: str = LimitUnit.WORKING_DAYS,
    power_source: str = "1",
) -> CatalogEntry:
    """Create or update the catalog entry ``code``; invalid values raise before anything is written."""
    entry = CatalogEntry.objects.filter(code=code).first() or CatalogEntry(code=code)
    entry.name = name
    entry.item_type = item_type
    entry.legal_basis = legal_basis
    entry.statutory_limit = statutory_limit
    entry.statutory_limit_unit = statutory_limit_unit
    entry.power_source = power_source
    entry.full_clean(validate_unique=entry.pk is None)
    entry.save()
    return entry


def item_create(*, code: str, entry: CatalogEntry, department: Department, region: Region) -> Item:
    if department.region_id != region.pk and not region.path.startswith(department.region.path):
        raise ValidationError(
            {
                "region": ValidationError(
                    _("The item's region must be the department's region or lie inside it."),
                    code="region_outside_department",
                )
            }
        )
    item = Item(code=code, entry=entry, department=department, region=region)
    # The related rows are passed in as loaded objects: checking that they exist would
    # cost three queries per item in a bulk import.
    item.full_clean(exclude=["entry", "department", "region"])
    item.save()
    return item


@transaction.atomic
def draft_create(
    *,
    item: Item,
    fields: Mapping[str, Any] | None = None,
    parts: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    change_note: str = "",
    source: ItemVersion | None = None,
) -> ItemVersion:
    """Start a new draft version of ``item``.

    Without ``fields``/``parts`` the draft copies ``source`` (default: the latest version),
    so an editor changes only what changes. Given, they replace the copied values; each
    key of ``parts`` (materials, fees, steps, faqs) replaces that whole list.
    """
    Item.objects.select_for_update().get(pk=item.pk)
    if item.versions.filter(status=VersionStatus.DRAFT).exists():
        raise ValidationError(_("This item already has a draft version."), code="draft_exists")
    if source is not None and source.item_id != item.pk:
        raise ValueError("source version belongs to another item")
    newest = item.versions.order_by("-version").first()
    latest = source or newest
    number = (newest.version if newest is not None else 0) + 1
    values: dict[str, Any] = {}
    if latest is not None:
        values = {name: getattr(latest, name) for name in VERSION_FIELDS}
    else:
        entry = item.entry
        values = {
            "name": entry.name,
            "item_type": entry.item_type,
            "legal_basis": entry.legal_basis,
            "statutory_limit": entry.statutory_limit,
            "limit_unit": entry.statutory_limit_unit,
        }
    if fields:
        unknown = set(fields) - set(VERSION_FIELDS)
        if unknown:
            raise ValueError(f"unknown item version fields: {sorted(unknown)}")
        values.update(fields)
    version = ItemVersion(
        item=item, version=number, status=VersionStatus.DRAFT, change_note=change_note, **values
    )
    version.full_clean(exclude=["item"], validate_constraints=False)  # the item is locked above
    version.save()

    for related, model in PART_MODELS:
        rows: list[Mapping[str, Any]]
        if parts is not None and related in parts:
            rows = list(parts[related])
        elif latest is not None:
            rows = [_part_values(obj) for obj in getattr(latest, related).all()]
        else:
            rows = []
        objs = []
        for index, row in enumerate(rows, start=1):
            obj = model(version=version, **{"order": index, **row})
            obj.full_clean(exclude=["version"])
            objs.append(obj)
        # The version was created above as a draft, so the per-row immutability guard of
        # VersionPart.save() has nothing to protect here: write the rows in one statement.
        model.objects.bulk_create(objs)
    _create_partners(version, parts, latest)
    _create_form_fields(version, parts, latest)
    return version


def _create_form_fields(
    version: ItemVersion,
    parts: Mapping[str, Iterable[Mapping[str, Any]]] | None,
    latest: ItemVersion | None,
) -> None:
    """The draft's application form: ``parts["form_fields"]`` when given, else a copy of
    the fields of the version it copies."""
    if parts is not None and FORM_FIELDS in parts:
        rows = [dict(row) for row in parts[FORM_FIELDS]]
    elif latest is not None:
        rows = [_part_values(f) for f in latest.form_fields.all()]
    else:
        rows = []
    objs = []
    seen: set[str] = set()
    for index, row in enumerate(rows, start=1):
        obj = FormField(version=version, **{"order": index, **row})
        obj.full_clean(exclude=["version"], validate_unique=False, validate_constraints=False)
        if obj.name in seen:
            raise ValidationError(
                {
                    FORM_FIELDS: ValidationError(
                        _("Two fields of the application form have the key “%(name)s”."),
                        code="form_field_duplicate",
                        params={"name": obj.name},
                    )
                }
            )
        seen.add(obj.name)
        objs.append(obj)
    FormField.objects.bulk_create(objs)


def _create_partners(
    version: ItemVersion,
    parts: Mapping[str, Iterable[Mapping[str, Any]]] | None,
    latest: ItemVersion | None,
) -> None:
    """The draft's partner items: ``parts["partners"]`` (rows ``{"partner": Item}`` or
    ``{"partner_id": id}``) when given, else those of the version it copies."""
    if parts is not None and PARTNERS in parts:
        rows = list(parts[PARTNERS])
    elif latest is not None:
        rows = [{"partner_id": p.partner_id} for p in latest.partners.all()]
    else:
        rows = []
    objs = []
    seen: set[int] = set()
    for index, row in enumerate(rows, start=1):
        obj = ParallelPartner(version=version, **{"order": index, **row})
        obj.full_clean(exclude=["version"], validate_constraints=False)
        if obj.partner_id in seen:
            raise ValidationError(
                {
                    PARTNERS: ValidationError(
                        _("Item %(code)s is named twice as a partner."),
                        code="partner_duplicate",
                        params={"code": obj.partner.code},
                    )
                }
            )
        seen.add(obj.partner_id)
        objs.append(obj)
    ParallelPartner.objects.bulk_create(objs)


def _part_values(obj: Any) -> dict[str, Any]:
    """A part's values as keyword arguments for a copy (files by their stored name)."""
    skip = {"id", "version"}
    values = {}
    for f in obj._meta.concrete_fields:
        if f.name in skip:
            continue
        value = getattr(obj, f.attname)
        values[f.attname] = value.name or "" if isinstance(value, FieldFile) else value
    return values


@transaction.atomic
def draft_update(*, version: ItemVersion, fields: Mapping[str, Any]) -> ItemVersion:
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            _("Version %(v)d is published and cannot be changed; create a new version.")
            % {"v": version.version},
            code="published_immutable",
        )
    unknown = set(fields) - set(VERSION_FIELDS)
    if unknown:
        raise ValueError(f"unknown item version fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(version, name, value)
    version.full_clean(validate_constraints=False)
    version.save()
    return version


def publish_problems(
    *,
    version: ItemVersion,
    entry: CatalogEntry,
    steps: Sequence[WorkflowStep],
    materials: Sequence[Material] = (),
    fees: Sequence[Fee] = (),
) -> dict[str, list[ValidationError]]:
    """What stops ``version`` (saved or not) from being published, by field.

    Pure: works on the objects given, so the Excel importer can check a whole workbook in
    memory with exactly the rules ``version_publish`` applies.
    """
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str, **params: Any) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params or None))

    statutory: int | None
    if version.statutory_limit is not None:
        statutory, statutory_unit = version.statutory_limit, version.limit_unit
    else:
        statutory, statutory_unit = entry.statutory_limit, entry.statutory_limit_unit
    if statutory is not None and statutory_unit != version.limit_unit:
        add(
            "limit_unit",
            _("The limits are counted in %(unit)s, but the statutory limit is in %(statutory_unit)s."),
            "limit_unit_mismatch",
            unit=LimitUnit(version.limit_unit).label,
            statutory_unit=LimitUnit(statutory_unit).label,
        )
    elif statutory is not None and version.promised_limit is not None and version.promised_limit > statutory:
        errors.setdefault("promised_limit", []).append(
            promised_exceeds_statutory(version.promised_limit, statutory)
        )
    if (
        version.statutory_limit is not None
        and entry.statutory_limit is not None
        and version.statutory_limit != entry.statutory_limit
    ):
        add(
            "statutory_limit",
            _("The statutory limit (%(item)d) differs from the catalog entry's (%(entry)d)."),
            "statutory_differs_from_entry",
            item=version.statutory_limit,
            entry=entry.statutory_limit,
        )
    if not steps:
        add(
            "steps",
            _("An item needs at least one workflow step before it can be published."),
            "no_workflow_step",
        )
    elif version.promised_limit:
        serial_total = _serial_step_days(list(steps))
        if serial_total > version.promised_limit:
            add(
                "steps",
                _(
                    "The workflow's step limits add up to %(total)d days, more than the promised limit of %(limit)d."
                ),
                "steps_exceed_promised",
                total=serial_total,
                limit=version.promised_limit,
            )
    for material in materials:
        if material.necessity == Necessity.CONDITIONAL and not material.condition.strip():
            add(
                "materials",
                _("Material “%(name)s” is conditional but does not say when it is required."),
                "condition_missing",
                name=material.name,
            )
    for fee in fees:
        if not fee.basis.strip():
            add("fees", _("Fee “%(name)s” has no charging basis."), "fee_basis_missing", name=fee.name)
    if not version.legal_basis.strip():
        add("legal_basis", _("An item needs its legal basis."), "legal_basis_missing")
    return errors


def validate_for_publish(version: ItemVersion, *, on: dt.date | None = None) -> None:
    """Everything that must hold before citizens may rely on a version from day ``on``
    (default: its effective date, or today)."""
    steps = list(version.steps.all())
    errors = publish_problems(
        version=version,
        entry=version.item.entry,
        steps=steps,
        materials=list(version.materials.all()),
        fees=list(version.fees.all()),
    )
    on = on or version.effective_from or timezone.localdate()
    for field, problems in partner_problems(version=version, steps=steps, on=on).items():
        errors.setdefault(field, []).extend(problems)
    if errors:
        raise ValidationError(errors, code="not_publishable")


def partner_problems(
    *, version: ItemVersion, steps: Sequence[WorkflowStep], on: dt.date
) -> dict[str, list[ValidationError]]:
    """What is wrong with the parallel approval of ``version`` taking effect on ``on``.

    A version marked for parallel approval names the other departments deciding with it:
    partner items (each decided in its own branch case) or, as older workflows do, steps
    handled by another department. Each partner is another department's item with a
    version in force, so that a branch can be filed against it.
    """
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str, **params: Any) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params or None))

    partners = list(version.partners.select_related("partner"))
    own_department = version.item.department_id
    other_steps = any(s.department_id is not None and s.department_id != own_department for s in steps)
    if version.parallel_approval and not partners and not other_steps:
        add(
            PARTNERS,
            _("An item approved in parallel names at least one partner item of another department."),
            "no_parallel_partner",
        )
    if partners and not version.parallel_approval:
        add(
            "parallel_approval",
            _("The version names partner items but is not marked for parallel approval."),
            "partners_without_parallel",
        )
    in_force = set(
        ItemVersion.objects.in_force(on)
        .filter(item_id__in=[p.partner_id for p in partners])
        .values_list("item_id", flat=True)
    )
    for p in partners:
        code = p.partner.code
        if p.partner_id == version.item_id:
            add(PARTNERS, _("An item cannot be its own partner."), "partner_is_self")
        elif p.partner.department_id == own_department:
            add(
                PARTNERS,
                _("Partner item %(item)s belongs to the same department; partners are other departments."),
                "partner_same_department",
                item=code,
            )
        elif p.partner_id not in in_force:
            add(
                PARTNERS,
                _("Partner item %(item)s has no version in force on %(date)s."),
                "partner_not_in_force",
                item=code,
                date=on.isoformat(),
            )
    return errors


def _serial_step_days(steps: list[WorkflowStep]) -> int:
    """Days of a workflow when each parallel group counts once, at its longest step."""
    total = 0
    groups: dict[int, int] = {}
    for step in steps:
        if step.parallel_group is None:
            total += step.limit
        else:
            groups[step.parallel_group] = max(groups.get(step.parallel_group, 0), step.limit)
    return total + sum(groups.values())


def _search_text(version: ItemVersion) -> str:
    item = version.item
    dept = item.department
    return search_document(
        version.name,
        item.entry.name,
        dept.name,
        dept.short_name,
        version.handling_unit,
        version.result_name,
        item.region.name,
        item.code,
    )


@transaction.atomic
def version_publish(*, version: ItemVersion, effective_from: dt.date | None = None) -> ItemVersion:
    """Publish a draft, in force from ``effective_from`` (default: today).

    The version in force before it ends on ``effective_from`` (its ``effective_to``). A
    date on or before the latest published version's start is refused, so the versions of
    an item never overlap and ``ItemVersion.objects.in_force(day)`` finds at most one.
    """
    item = (
        Item.objects.select_for_update(of=("self",))
        .select_related("entry", "department", "region")
        .get(pk=version.item_id)
    )
    version.refresh_from_db()
    version.item = item  # loaded with what the checks and the search text read
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(_("Only a draft can be published."), code="not_draft")
    effective_from = effective_from or timezone.localdate()
    validate_for_publish(version, on=effective_from)
    previous = (
        ItemVersion.objects.filter(item_id=version.item_id, status=VersionStatus.PUBLISHED)
        .exclude(pk=version.pk)
        .order_by("-effective_from", "-version")
        .first()
    )
    if previous is not None and previous.effective_from and effective_from <= previous.effective_from:
        raise ValidationError(
            {
                "effective_from": ValidationError(
                    _("The new version must take effect after %(date)s, when version %(v)d did."),
                    code="effective_date_order",
                    params={"date": previous.effective_from.isoformat(), "v": previous.version},
                )
            }
        )
    version.search_text = _search_text(version)
    version.effective_from = effective_from
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.save()  # the stored row is still a draft, so the immutability guard lets this through
    # A withdrawn item that is published again keeps its withdrawal date when that came first.
    if previous is not None and (previous.effective_to is None or previous.effective_to > effective_from):
        previous.effective_to = effective_from
        previous.save(update_fields=["effective_to"])
    return version


@transaction.atomic
def item_withdraw(*, item: Item, on: dt.date) -> None:
    """Cancel an item from a date: no version of it is in force on or after ``on``.

    The version in force on the eve of ``on`` ends then; versions published to start on
    or after ``on`` will never be in force and become withdrawn.
    """
    Item.objects.select_for_update().get(pk=item.pk)
    published = list(
        ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
        .order_by("effective_from")
    )
    if not published:
        raise ValidationError(_("This item has no version in force."), code="nothing_in_force")
    for version in published:
        if version.effective_from is not None and version.effective_from >= on:
            version.status = VersionStatus.WITHDRAWN
            version.save(update_fields=["status"])
        else:
            version.effective_to = on
            version.save(update_fields=["effective_to"])
