"""Scopes: who sees which regions, departments, staff, centers and role assignments."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, center, grant, window
from yiwang.org.models import Department, Region, Role, RoleAssignment, ServiceCenter, Staff, Window
from yiwang.org.permissions import can_act, can_view, forget_scope, scope_of, visible
from yiwang.org.tests.helpers import fresh

pytestmark = pytest.mark.django_db


def names(qs: object) -> set[str]:
    return {str(getattr(o, "name", o)) for o in qs}  # type: ignore[attr-defined]


class TestCountySupervisor:
    def test_sees_own_county_and_towns_below_but_never_the_neighbour(
        self,
        county_supervisor,
        county,
        town,
        other_county,
        other_town,
        market_dept,
        market_branch,
        other_market_dept,
        handler,
        other_clerk,
    ):
        # given a supervisor of 邯山区, and departments and staff in 邯山区, its town, and 丛台区
        user = fresh(county_supervisor)

        # then regions, departments and staff of 邯山区 and below are visible, 丛台区's are not
        assert names(visible(user, Region.objects.all())) == {"邯山区", "火磨街道"}
        departments = names(visible(user, Department.objects.all()))
        assert {"邯山区市场监督管理局", "火磨市场监管所", "邯山区电子监察室"} <= departments
        assert "丛台区市场监督管理局" not in departments
        staff = names(visible(user, Staff.objects.all()))
        assert "李承办" in staff and "丛台办事员" not in staff

        assert can_view(user, market_branch) and can_view(user, handler) and can_view(user, town)
        assert not can_view(user, other_market_dept)
        assert not can_view(user, other_clerk)
        assert not can_view(user, other_county)
        assert not can_view(user, county.parent)  # the city above is outside too

    def test_can_act_only_in_the_role_held(self, county_supervisor, market_dept):
        user = fresh(county_supervisor)
        assert can_act(user, market_dept, Role.SUPERVISOR)
        assert not can_act(user, market_dept, Role.APPROVER)
        assert not visible(user, Department.objects.all(), roles=[Role.APPROVER]).exists()


def test_city_leader_sees_every_county_of_the_city(
    city_leader, county, other_county, market_dept, other_market_dept, handler, other_clerk, province
):
    user = fresh(city_leader)
    assert names(visible(user, Region.objects.all())) == {"邯郸市", "邯山区", "丛台区"}
    departments = names(visible(user, Department.objects.all()))
    assert {"邯山区市场监督管理局", "丛台区市场监督管理局", "邯郸市人民政府办公室"} <= departments
    assert {"李承办", "丛台办事员"} <= names(visible(user, Staff.objects.all()))
    assert not can_view(user, province)


def test_department_handler_sees_only_their_department_and_its_sub_departments(
    handler, market_dept, market_branch, tax_dept, other_market_dept, county
):
    user = fresh(handler)
    assert names(visible(user, Department.objects.all())) == {"邯山区市场监督管理局", "火磨市场监管所"}
    branch_clerk = StaffFactory(name="所里办事员", department=market_branch)
    tax_clerk = StaffFactory(name="税务办事员", department=tax_dept)
    assert can_view(user, branch_clerk)
    assert not can_view(user, tax_clerk)
    assert not can_view(user, tax_dept)
    # a department grant covers no region, so no region row and no service center
    assert not visible(user, Region.objects.all()).exists()
    hall = center(county, "邯山区政务服务中心", "人民路1号")
    assert not can_view(user, hall)


def test_region_and_department_scope_intersect(
    county, town, market_dept, market_branch, tax_dept, other_market_dept
):
    # given an approver for 邯山区市场监管局's work inside 火磨街道 only
    staff = StaffFactory(user=UserFactory(username="approver_town"), name="钱审批", department=market_branch)
    grant(staff, Role.APPROVER, region=town, department=market_dept)
    user = fresh(staff)

    # then the branch in the town is visible; the county-level bureau itself is not (it
    # lies in the county, outside the town), nor are other departments in the town
    tax_branch = DepartmentFactory(name="火磨税务所", region=town, parent=tax_dept)
    assert names(visible(user, Department.objects.all())) == {"火磨市场监管所"}
    assert can_view(user, market_branch)
    assert not can_view(user, market_dept)
    assert not can_view(user, tax_branch)


def test_several_grants_are_a_union_without_duplicates(county, other_county, market_dept, other_market_dept):
    staff = StaffFactory(user=UserFactory(username="two_hats"), name="双岗", department=market_dept)
    grant(staff, Role.SUPERVISOR, region=county)
    grant(staff, Role.HANDLER, department=market_dept)
    grant(staff, Role.LEADER, department=other_market_dept)
    user = fresh(staff)

    qs = visible(user, Department.objects.all())
    rows = list(qs)
    assert len(rows) == len({d.pk for d in rows})
    assert {"邯山区市场监督管理局", "丛台区市场监督管理局"} <= names(rows)
    # scope fields here are plain foreign keys: no row can repeat, so no DISTINCT sort
    assert "DISTINCT" not in str(qs.query).upper()


def test_superuser_sees_everything(superuser, other_market_dept, market_dept, province):
    assert visible(superuser, Department.objects.all()).count() == Department.objects.count()
    assert can_view(superuser, other_market_dept) and can_act(superuser, province, Role.APPROVER)


@pytest.mark.parametrize("who", ["anonymous", "none", "inactive_user", "inactive_staff", "no_roles"])
def test_nobody_without_an_active_role_sees_anything(who, market_dept, county, handler):
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "none":
        user = None
    elif who == "inactive_user":
        handler.user.is_active = False
        handler.user.save()
        user = fresh(handler)
    elif who == "inactive_staff":
        handler.is_active = False
        handler.save()
        user = fresh(handler)
    else:
        user = fresh(StaffFactory(name="无角色", department=market_dept))

    assert not visible(user, Department.objects.all()).exists()
    assert not visible(user, Staff.objects.all()).exists()
    assert not visible(user, Region.objects.all()).exists()
    assert not can_view(user, market_dept)
    assert not can_view(user, county)


def test_windows_centers_and_role_assignments_follow_their_placement(
    county_supervisor, county, other_county, market_dept, other_market_dept, handler, other_clerk
):
    hall = center(county, "邯山区政务服务中心", "人民路1号")
    other_hall = center(other_county, "丛台区政务服务中心", "丛台路1号")
    window(hall, "01", "综合受理", [market_dept])
    window(other_hall, "01", "综合受理", [other_market_dept])
    user = fresh(county_supervisor)

    assert names(visible(user, ServiceCenter.objects.all())) == {"邯山区政务服务中心"}
    assert {w.center_id for w in visible(user, Window.objects.all())} == {hall.pk}
    holders = {a.staff.name for a in visible(user, RoleAssignment.objects.select_related("staff"))}
    assert "李承办" in holders and "丛台办事员" not in holders


def test_scope_is_computed_once_per_user_object_and_can_be_forgotten(county_supervisor, market_dept, county):
    user = fresh(county_supervisor)
    scope_of(user)
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            can_view(user, market_dept)
            scope_of(user)
    assert not any("org_roleassignment" in q["sql"] for q in ctx.captured_queries)

    RoleAssignment.objects.filter(staff=county_supervisor).delete()
    assert can_view(user, market_dept)  # still the cached scope of this request
    forget_scope(user)
    assert not can_view(user, market_dept)
