"""The demo data: loaded twice (once per module, in a transaction rolled back at the end),
then checked the way a reviewer of the demo would check it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.catalog.models import (
    Item,
    ItemType,
    ItemVersion,
    LimitUnit,
    Necessity,
    Target,
    VersionStatus,
    WorkflowStep,
)
from yiwang.core.identifiers import is_valid_uscc
from yiwang.demo.data import DEMO_PASSWORD
from yiwang.org import services as org_services
from yiwang.org.models import Department, Region, Role, RoleAssignment, ServiceCenter, Staff, Window
from yiwang.org.permissions import can_view, visible


def counts() -> dict[str, int]:
    models = [*apps.get_app_config("org").get_models(), *apps.get_app_config("catalog").get_models()]
    models.append(get_user_model())
    return {m._meta.label: m._default_manager.count() for m in models}


@dataclass(frozen=True)
class Seeded:
    after_first: dict[str, int]
    after_second: dict[str, int]
    first_output: str
    second_output: str


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Seeded]:
    """Run ``seed_demo`` twice for the whole module; roll everything back afterwards.

    Argon2 is slow on purpose; a fast hasher keeps a dozen sign-ins cheap here.
    """
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        first, second = StringIO(), StringIO()
        call_command("seed_demo", stdout=first)
        after_first = counts()
        call_command("seed_demo", stdout=second)
        yield Seeded(after_first, counts(), first.getvalue(), second.getvalue())
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded: Seeded, db: None) -> Seeded:
    return seeded


def in_force() -> list[ItemVersion]:
    return list(
        ItemVersion.objects.in_force(timezone.localdate()).select_related("item__region", "item__department")
    )


def user(username: str) -> object:
    return get_user_model().objects.get(username=username)


# -- idempotency -------------------------------------------------------------


def test_given_the_demo_loaded_when_loaded_again_then_no_row_of_org_or_catalog_is_added(demo: Seeded) -> None:
    assert demo.after_first == demo.after_second
    assert _("The demo data was already loaded; nothing was added.") in demo.second_output
    assert _("The demo data was already loaded; nothing was added.") not in demo.first_output


def test_every_model_of_org_and_catalog_has_demo_rows(demo: Seeded) -> None:
    empty = sorted(label for label, n in demo.after_first.items() if n == 0)
    assert empty == []


# -- catalog ----------------------------------------------------------------


def test_at_least_forty_items_are_in_force_each_with_one_published_version(demo: Seeded) -> None:
    versions = in_force()
    assert len(versions) >= 40
    assert len({v.item_id for v in versions}) == len(versions)
    assert all(v.status == VersionStatus.PUBLISHED for v in versions)
    assert Item.objects.count() == len(versions)


def test_every_item_has_a_workflow_whose_steps_fit_in_a_promised_limit_within_the_statutory_one(
    demo: Seeded,
) -> None:
    for version in in_force():
        steps = list(version.steps.all())
        assert steps, version.name
        if version.statutory_limit is not None:
            assert version.promised_limit <= version.statutory_limit, version.name
        serial = sum(s.limit for s in steps if s.parallel_group is None)
        groups: dict[int, int] = {}
        for s in steps:
            if s.parallel_group is not None:
                groups[s.parallel_group] = max(groups.get(s.parallel_group, 0), s.limit)
        assert serial + sum(groups.values()) <= version.promised_limit, version.name


def test_items_cover_every_target_and_the_main_item_types(demo: Seeded) -> None:
    versions = in_force()
    assert {v.target for v in versions} == set(Target.values)
    types = {v.item_type for v in versions}
    assert {
        ItemType.LICENSING,
        ItemType.PENALTY,
        ItemType.ENFORCEMENT,
        ItemType.BENEFIT,
        ItemType.INSPECTION,
        ItemType.CONFIRMATION,
        ItemType.REWARD,
        ItemType.PUBLIC_SERVICE,
    } <= types
    assert sum(v.item_type == ItemType.PUBLIC_SERVICE for v in versions) >= 8


def test_items_are_complete_service_guides(demo: Seeded) -> None:
    for version in in_force():
        assert version.legal_basis.startswith("《"), version.name
        assert version.conditions, version.name
        assert version.place_and_hours, version.name
        assert version.consultation_phone.startswith("0310-"), version.name
        assert version.complaint_phone, version.name
        materials = list(version.materials.all())
        assert materials, version.name
        for m in materials:
            assert m.necessity != Necessity.CONDITIONAL or m.condition, (version.name, m.name)
        if version.promised_limit == 0:
            assert version.case_kind == "1", version.name


def test_some_items_show_the_less_common_features(demo: Seeded) -> None:
    versions = {v.name: v for v in in_force()}
    passport = versions["普通护照签发"]
    assert [(f.standard_amount, f.unit) for f in passport.fees.all()] == [(120, "本")]
    assert passport.fees.get().basis
    assert passport.appointment
    assert passport.faqs.count() >= 2
    assert any(v.limit_unit == LimitUnit.NATURAL_DAYS for v in versions.values())
    assert any(v.visits == 0 for v in versions.values())
    licensed = [m for v in versions.values() for m in v.materials.all() if m.license_type]
    assert {m.name for m in licensed} >= {"申请人居民身份证", "申请人营业执照"}


def test_one_item_is_approved_in_parallel_by_another_department(demo: Seeded) -> None:
    parallel = WorkflowStep.objects.filter(
        version__in=[v.pk for v in in_force()], parallel_group__isnull=False, department__isnull=False
    ).select_related("version__item__department", "department")
    assert parallel.exists()
    for step in parallel:
        assert step.department != step.version.item.department
        assert step.version.parallel_approval
        assert step.version.steps.filter(parallel_group=step.parallel_group, department__isnull=True).exists()


def test_county_versions_of_common_items_exist_beside_the_city_ones(demo: Seeded) -> None:
    regions_of = {}
    for v in in_force():
        regions_of.setdefault(v.name, set()).add(v.item.region.name)
    assert {"邯郸市", "邯山区", "丛台区"} <= regions_of["食品经营许可"]
    assert {"邯山区", "丛台区", "复兴区"} <= regions_of["个体工商户登记"]


# -- organisation -----------------------------------------------------------


def test_every_department_has_a_valid_uscc_registered_in_its_own_region(demo: Seeded) -> None:
    departments = list(Department.objects.select_related("region"))
    assert len(departments) >= 12
    for d in departments:
        assert is_valid_uscc(d.uscc), d.name
        assert d.uscc[2:8] == d.region.code[:6], d.name


def test_the_city_and_a_county_have_an_electronic_supervision_room(demo: Seeded) -> None:
    rooms = Department.objects.filter(is_supervision_room=True)
    assert {r.region.code for r in rooms} >= {"130400", "130402"}


def test_regions_form_a_tree_from_the_province_to_towns(demo: Seeded) -> None:
    for r in Region.objects.all():
        r.full_clean()
    assert Region.objects.get(code="130000").children.get().code == "130400"
    assert set(Region.objects.get(code="130400").children.values_list("code", flat=True)) == {
        "130402",
        "130403",
        "130404",
    }
    assert Region.objects.filter(level=5, code__startswith="130402").exists()


def test_a_comprehensive_window_serves_several_departments(demo: Seeded) -> None:
    window = Window.objects.get(center__name="邯郸市市民服务中心", number="01")
    assert window.name == "综合受理窗口"
    assert window.departments.count() >= 5
    assert window.center.opening_hours.startswith("周一至周五 9:00-17:00")


# -- accounts and scopes ----------------------------------------------------


def test_every_role_has_a_demo_account_that_signs_in_with_the_demo_password(demo: Seeded) -> None:
    request = RequestFactory().post("/admin/login/")
    holders = {}
    for role in Role:
        assignment = RoleAssignment.objects.filter(role=role).select_related("staff__user").first()
        assert assignment is not None, role
        holders[role] = assignment.staff.user.username
    for username in {*holders.values(), "admin"}:
        signed_in = authenticate(request, username=username, password=DEMO_PASSWORD)
        assert signed_in is not None and signed_in.username == username
        assert signed_in.is_staff
    assert user("admin").is_superuser
    assert authenticate(request, username="handler", password="wrong-password") is None


def test_the_login_table_names_every_account(demo: Seeded) -> None:
    for username in ("admin", "sysadmin", "maintainer", "window", "handler", "reviewer", "approver"):
        assert f"  {username} " in demo.first_output
    for username in ("supervisor", "supervisor_hs", "leader", "hotline"):
        assert f"  {username} " in demo.first_output
    assert DEMO_PASSWORD in demo.first_output
    assert demo.first_output.count(DEMO_PASSWORD) == 1


def test_a_county_supervisor_sees_the_county_items_but_not_a_neighbour_county_or_the_city(
    demo: Seeded,
) -> None:
    items = visible(user("supervisor_hs"), Item.objects.select_related("region"))
    regions = {i.region.path[:6] for i in items}
    assert items.exists()
    assert regions == {"130402"}
    congtai = Item.objects.filter(region__code="130403").first()
    assert congtai is not None
    assert not can_view(user("supervisor_hs"), congtai)
    assert can_view(user("supervisor"), congtai)


def test_department_staff_see_only_their_department_items(demo: Seeded) -> None:
    items = visible(user("handler"), Item.objects.select_related("department"))
    assert items.exists()
    assert {i.department.name for i in items} == {"邯郸市市场监督管理局"}


def test_every_org_row_passes_the_org_apps_own_checks(demo: Seeded) -> None:
    for r in Region.objects.all():
        org_services.region_validate(actor=None, region=r)
    for d in Department.objects.all():
        org_services.department_validate(actor=None, department=d)
    for c in ServiceCenter.objects.all():
        org_services.service_center_validate(actor=None, center=c)
    for w in Window.objects.prefetch_related("departments"):
        org_services.window_validate(actor=None, window=w, departments=list(w.departments.all()))
    for s in Staff.objects.all():
        org_services.staff_validate(actor=None, staff=s)
    for a in RoleAssignment.objects.all():
        org_services.role_validate(actor=None, assignment=a)
