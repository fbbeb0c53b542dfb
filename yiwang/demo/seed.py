"""Loads the demo (``yiwang.demo.data``) through the factories and catalog services the
tests use, so the demo exercises the same write path as everything else.

Every builder gets or creates by a natural key (region code, USCC, center name and window
number, username, item code, catalog entry code), so running the seeder again changes
nothing. An item already present is left as it is, even if ``data`` has changed since.
The demo cases (``yiwang.demo.cases``) are filed through the case services, each under
an idempotency key of its own, so they too are created once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import factory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from yiwang.catalog import services as catalog_services
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import CaseKind, CatalogEntry, Item
from yiwang.demo import accounts as demo_accounts
from yiwang.demo import applications as demo_applications
from yiwang.demo import cases as demo_cases
from yiwang.demo import complaints as demo_complaints
from yiwang.demo import consultations as demo_consultations
from yiwang.demo import data
from yiwang.demo import hall as demo_hall
from yiwang.demo import licenses as demo_licenses
from yiwang.demo import payments as demo_payments
from yiwang.demo import ratings as demo_ratings
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, center, grant, region, window
from yiwang.org.models import Department, Region, Role
from yiwang.supervision import services as supervision
from yiwang.supervision.models import RuleAssignment, RuleSet
from yiwang.supervision.presets import THREE_STAGE

# The apps whose rows the demo creates, with the user model: what ``row_counts`` counts.
SEEDED_APPS: tuple[str, ...] = (
    "org",
    "catalog",
    "cases",
    "supervision",
    "portal",
    "payments",
    "licenses",
    "hall",
)


@dataclass(frozen=True)
class DemoLogin:
    """One demo account as the seeder reports it: no roles means the superuser."""

    username: str
    roles: tuple[Role, ...]
    scope: str


@dataclass(frozen=True)
class SeedResult:
    logins: tuple[DemoLogin, ...]
    item_codes: tuple[str, ...]
    cases: demo_cases.CaseSeedResult | None = None
    alerts: int = 0
    ratings: int = 0  # demo cases rated by their applicants in this run


@dataclass(frozen=True)
class _Place:
    center: data.CenterSpec
    window: data.WindowSpec

    @property
    def place_and_hours(self) -> str:
        return (
            f"{self.center.name}{self.window.number}号{self.window.name}"
            f"（{self.center.address}）；{self.center.hours}"
        )


def row_counts() -> dict[str, int]:
    """Rows of every model the demo touches, by ``app_label.Model``."""
    models = [m for label in SEEDED_APPS for m in apps.get_app_config(label).get_models()]
    models.append(get_user_model())
    return {m._meta.label: m._default_manager.count() for m in models}


@transaction.atomic
def seed_demo(*, cases: int = demo_cases.DEMO_CASES) -> SeedResult:
    """Create whatever part of the demo is missing; return the demo logins and item codes.

    ``cases``: how many demo cases there should be (0: none).
    """
    regions = _seed_regions(data.REGIONS)
    departments = _seed_departments(data.DEPARTMENTS, regions)
    _seed_centers(data.CENTERS, regions, departments)
    users = _DemoUsers()
    logins = _seed_accounts(data.ACCOUNTS, regions, departments, users)
    # the staff who handle the demo cases of other departments: not listed one by one
    _seed_accounts(demo_cases.CASE_STAFF, regions, departments, users)
    _seat_window_staff()
    # items that approve in parallel name their partners, which must be published first
    ordered = sorted(data.ITEMS, key=lambda spec: bool(spec.partners))
    seeded = {spec.name: _seed_item(spec, departments) for spec in ordered if not spec.partners}
    for spec in ordered:
        if spec.partners:
            seeded[spec.name] = _seed_item(
                spec, departments, partners=[seeded[name] for name in spec.partners]
            )
    codes = tuple(seeded[spec.name] for spec in data.ITEMS)
    _seed_rules(regions)
    # License types first: licenses issued as the demo cases complete carry their codes.
    demo_licenses.seed_license_types()
    case_result = demo_cases.seed_cases(count=cases) if cases > 0 else None
    # The portal's demo citizens (张三, 丛台食品, 李四) and what they have done online.
    now = timezone.now()
    demo_accounts.seed_accounts(now)
    demo_licenses.seed_licenses(now)
    demo_applications.seed_applications(now)
    demo_payments.seed_payments(now)
    demo_ratings.seed_ratings(now)
    # The applicants of many of the generated cases rate them: satisfaction across the city.
    rated = demo_ratings.seed_case_ratings(now) if cases > 0 else 0
    demo_consultations.seed_consultations(now)
    demo_hall.seed_hall(now)
    # The cards the demo cases have earned by now (the sweep raises each once; their
    # notices' PDFs are rendered in the background or when first downloaded).
    alerts = 0
    if cases > 0:
        # The cards the demo's history earned, at the moments they fell due, then the sweep
        # that keeps watching from now on.
        now = timezone.now()
        demo_complaints.seed_complaints(now=now)
        alerts = supervision.backfill(start=now - dt.timedelta(days=120), end=now)
        alerts += supervision.sweep(now).alerts
    return SeedResult(logins=logins, item_codes=codes, cases=case_result, alerts=alerts, ratings=rated)


def _seed_rules(regions: dict[str, Region]) -> None:
    """丛台区 watches its cases with the three-stage ladder (warning, yellow, red); the rest
    of the city with the supervision room's (the default attached everywhere)."""
    supervision.install_presets()  # shipped with a migration; back if someone removed them
    congtai = regions[data.CONGTAI]
    if not RuleAssignment.objects.filter(region=congtai).exists():
        supervision.ruleset_assign(rule_set=RuleSet.objects.get(code=THREE_STAGE), region=congtai)


def _seed_regions(specs: Iterable[data.RegionSpec]) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for spec in specs:  # parents come first in the data
        parent = regions[spec.parent] if spec.parent else None
        regions[spec.code] = region(spec.code, spec.name, spec.level, parent)
    return regions


def _seed_departments(
    specs: Iterable[data.DepartmentSpec], regions: Mapping[str, Region]
) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for spec in specs:  # parents come first in the data
        departments[spec.key] = DepartmentFactory(
            uscc=spec.uscc,
            name=spec.name,
            short_name=spec.short_name,
            region=regions[spec.region],
            parent=departments[spec.parent] if spec.parent else None,
            is_supervision_room=spec.is_supervision_room,
            phone=spec.phone,
            address=spec.address,
        )
    return departments


def _seed_centers(
    specs: Iterable[data.CenterSpec], regions: Mapping[str, Region], departments: Mapping[str, Department]
) -> None:
    for spec in specs:
        obj = center(regions[spec.region], spec.name, spec.address, spec.phone, spec.hours)
        for w in spec.windows:
            window(obj, w.number, w.name, [departments[key] for key in w.departments])


def _seat_window_staff() -> None:
    """Each window operator without a window sits at the first window of their region's
    service center that serves their department, so performance counts by window."""
    from yiwang.org.models import RoleAssignment, Staff, Window

    operators = Staff.objects.filter(
        window__isnull=True,
        pk__in=RoleAssignment.objects.filter(role=Role.WINDOW_OPERATOR).values("staff_id"),
    ).select_related("department")
    windows = list(
        Window.objects.filter(is_active=True)
        .select_related("center")
        .prefetch_related("departments")
        .order_by("center__region__path", "center_id", "number")
    )
    for staff in operators:
        for seat in windows:
            if seat.center.region_id == staff.department.region_id and any(
                d.pk == staff.department_id for d in seat.departments.all()
            ):
                Staff.objects.filter(pk=staff.pk).update(window=seat)
                break


class _DemoUsers:
    """Gets or creates the demo accounts, all with the demo password.

    The password is hashed once and the hash shared: Argon2 is slow on purpose, and the
    password is the same public one for every account anyway. An existing account is
    returned untouched, so a second run changes nothing someone has since edited.
    """

    def __init__(self) -> None:
        self._hash: str | None = None

    def get(self, username: str, **extra: Any) -> AbstractBaseUser:
        existing = get_user_model().objects.filter(username=username).first()
        if existing is not None:
            return existing
        if self._hash is None:
            self._hash = make_password(data.DEMO_PASSWORD)
        return UserFactory(
            username=username, password=factory.Transformer.Force(self._hash), is_staff=True, **extra
        )


def _seed_accounts(
    specs: Iterable[data.AccountSpec],
    regions: Mapping[str, Region],
    departments: Mapping[str, Department],
    users: _DemoUsers,
) -> tuple[DemoLogin, ...]:
    users.get(data.SUPERUSER, is_superuser=True)
    logins = [DemoLogin(data.SUPERUSER, (), "")]
    for spec in specs:
        user = users.get(spec.username, first_name=spec.name)
        staff = StaffFactory(
            user=user,
            name=spec.name,
            department=departments[spec.department],
            mobile=spec.mobile,
            employee_number=spec.employee_number,
        )
        scopes = []
        for g in spec.grants:
            scope_region = regions[g.region] if g.region else None
            scope_department = departments[g.department] if g.department else None
            grant(staff, g.role, region=scope_region, department=scope_department)
            scopes.append(
                " · ".join(
                    part
                    for part in (
                        scope_region.name if scope_region else "",
                        (scope_department.short_name or scope_department.name) if scope_department else "",
                    )
                    if part
                )
            )
        roles = tuple(dict.fromkeys(g.role for g in spec.grants))
        logins.append(DemoLogin(spec.username, roles, spec.scope_label or "；".join(scopes)))
    return tuple(logins)


def _place(spec: data.ItemSpec) -> _Place | None:
    """The window that accepts the item: the one the item names, else the first serving its department."""
    if not spec.handled_at_a_window:
        return None
    for c in data.CENTERS:
        for w in c.windows:
            if spec.department in w.departments and (not spec.window or spec.window == w.number):
                return _Place(c, w)
    return None


def _seed_item(
    spec: data.ItemSpec, departments: Mapping[str, Department], partners: Sequence[str] = ()
) -> str:
    department = departments[spec.department]
    item_region = department.region
    code = demo_cases.item_code(spec, department)
    if not CatalogEntry.objects.filter(code=spec.entry_code).exists():
        # published_item would create the entry too, but without its limit unit.
        catalog_services.entry_upsert(
            code=spec.entry_code,
            name=spec.name,
            item_type=spec.item_type,
            legal_basis=spec.basis,
            statutory_limit=spec.statutory,
            statutory_limit_unit=spec.unit,
        )
    steps = [
        {**step, "department": departments[step["department"]]} if "department" in step else dict(step)
        for step in spec.steps
    ]
    place = _place(spec)
    published_item(
        code=code,
        name=spec.name,
        department=department,
        region=item_region,
        item_type=spec.item_type,
        legal_basis=spec.basis,
        statutory_limit=spec.statutory,
        promised_limit=spec.promised,
        entry_code=spec.entry_code,
        fields={
            "handling_unit": spec.handling_unit or department.name,
            "limit_unit": spec.unit,
            "limit_note": spec.limit_note,
            "case_kind": CaseKind.IMMEDIATE if spec.promised == 0 else CaseKind.PROMISED,
            "target": spec.target,
            "conditions": spec.conditions,
            "special_procedures": spec.special_procedures,
            "online_depth": spec.online_depth,
            "visits": spec.visits,
            "appointment": spec.appointment,
            "parallel_approval": bool(partners) or any(step.get("parallel_group") for step in steps),
            "result_type": spec.result_type,
            "result_name": spec.result_name,
            "place_and_hours": place.place_and_hours
            if place
            else f"{department.name}（{department.address}）",
            "consultation_phone": department.phone,
            "consultation_address": f"{place.center.address}（{place.center.name}）"
            if place
            else department.address,
            "complaint_phone": data.HOTLINE,
        },
        materials=spec.materials,
        fees=spec.fees,
        steps=steps,
        faqs=spec.faqs,
        form_fields=demo_applications.FORM_FIELDS.get(spec.name, ()),
        partners=list(Item.objects.filter(code__in=partners)),
    )
    return code
