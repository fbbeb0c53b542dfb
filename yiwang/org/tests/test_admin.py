"""The organisation admin through the test client: scoped lists, 404 outside the scope,
read-only roles, writes through the services with specific errors, constant query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, center, grant, window
from yiwang.org.models import (
    Department,
    OrgError,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    ServiceCenter,
    Staff,
)
from yiwang.org.tests.helpers import GOOD_PASSWORD, uscc_for

pytestmark = pytest.mark.django_db

MODELS = ("region", "department", "servicecenter", "staff", "roleassignment")


def url(model: str, view: str = "changelist", *args: Any) -> str:
    return reverse(f"admin:org_{model}_{view}", args=args)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_errors(response: Any) -> dict[str, list[str | None]]:
    """``{field: [code, ...]}`` of the admin form on a re-rendered page."""
    form = response.context["adminform"].form
    return {field: [e.code for e in errors] for field, errors in form.errors.as_data().items()}


def listed(response: Any) -> set[str]:
    """What a changelist page lists (its rows, not the rest of the page)."""
    assert response.status_code == 200
    return {str(obj) for obj in response.context["cl"].result_list}


def department_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "邯山区民政局",
        "short_name": "区民政局",
        "uscc": "",
        "region": "",
        "parent": "",
        "phone": "",
        "address": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def world(county, other_county, town, market_dept, market_branch, other_market_dept, handler, other_clerk):
    """Rows on both sides of the county border."""
    hall = center(county, "邯山区政务服务中心", "人民路1号")
    other_hall = center(other_county, "丛台区政务服务中心", "丛台路1号")
    window(hall, "01", "综合受理", [market_dept])
    window(other_hall, "01", "综合受理", [other_market_dept])
    return {"hall": hall, "other_hall": other_hall}


class TestSuperuser:
    @pytest.mark.parametrize("model", MODELS)
    def test_changelist_and_add_render(self, superuser, world, model):
        client = client_for(superuser)
        assert client.get(url(model)).status_code == 200
        assert client.get(url(model, "add")).status_code == 200

    def test_change_pages_render(self, superuser, world, county, market_dept, handler):
        client = client_for(superuser)
        for model, obj in [
            ("region", county),
            ("department", market_dept),
            ("servicecenter", world["hall"]),
            ("staff", handler),
            ("roleassignment", handler.roles.get()),
        ]:
            assert client.get(url(model, "change", obj.pk)).status_code == 200, model

    def test_sees_both_counties(self, superuser, world):
        departments = listed(client_for(superuser).get(url("department")))
        assert {"邯山区市场监督管理局", "丛台区市场监督管理局"} <= departments


class TestCountyAdmin:
    @pytest.mark.parametrize("model", MODELS)
    def test_changelist_and_add_render(self, county_admin, world, model):
        client = client_for(county_admin.user)
        assert client.get(url(model)).status_code == 200
        assert client.get(url(model, "add")).status_code == 200

    def test_lists_hold_only_the_county(self, county_admin, world):
        client = client_for(county_admin.user)
        departments = listed(client.get(url("department")))
        assert {"邯山区市场监督管理局", "火磨市场监管所"} <= departments
        assert "丛台区市场监督管理局" not in departments
        staff = listed(client.get(url("staff")))
        assert "李承办（区市场监管局）" in staff
        assert not any("丛台办事员" in s for s in staff)
        assert listed(client.get(url("servicecenter"))) == {"邯山区政务服务中心"}
        assert listed(client.get(url("region"))) == {"邯山区", "火磨街道"}
        holders = listed(client.get(url("roleassignment")))
        assert any("李承办" in h for h in holders) and not any("丛台办事员" in h for h in holders)

    def test_out_of_scope_objects_are_404(
        self, county_admin, world, other_market_dept, other_clerk, other_county
    ):
        client = client_for(county_admin.user)
        for model, obj in [
            ("department", other_market_dept),
            ("staff", other_clerk),
            ("region", other_county),
            ("servicecenter", world["other_hall"]),
            ("roleassignment", other_clerk.roles.get()),
        ]:
            assert client.get(url(model, "change", obj.pk)).status_code == 404, model
            assert client.post(url(model, "change", obj.pk), {"name": "x"}).status_code == 404, model
            assert client.get(url(model, "delete", obj.pk)).status_code == 404, model
        assert client.get(url("department", "history", other_market_dept.pk)).status_code == 404

    def test_in_scope_change_pages_render(self, county_admin, world, market_dept, handler, town):
        client = client_for(county_admin.user)
        for model, obj in [
            ("department", market_dept),
            ("staff", handler),
            ("region", town),
            ("servicecenter", world["hall"]),
        ]:
            assert client.get(url(model, "change", obj.pk)).status_code == 200, model

    def test_region_and_department_choices_stay_in_the_county(self, county_admin, world):
        response = client_for(county_admin.user).get(url("department", "add"))
        form = response.context["adminform"].form
        assert set(form.fields["region"].queryset.values_list("name", flat=True)) == {"邯山区", "火磨街道"}
        assert "丛台区市场监督管理局" not in set(
            form.fields["parent"].queryset.values_list("name", flat=True)
        )

    def test_autocomplete_offers_only_the_scope(self, county_admin, world):
        response = client_for(county_admin.user).get(
            reverse("admin:autocomplete"),
            {"app_label": "org", "model_name": "department", "field_name": "region", "term": ""},
        )
        assert response.status_code == 200
        assert {r["text"] for r in response.json()["results"]} == {"邯山区", "火磨街道"}


class TestDepartmentThroughTheAdmin:
    def test_add_in_own_county(self, county_admin, county):
        client = client_for(county_admin.user)
        code = uscc_for(county, 31)
        response = client.post(url("department", "add"), department_data(uscc=code.lower(), region=county.pk))
        assert response.status_code == 302, form_errors(response)
        assert Department.objects.get(name="邯山区民政局").uscc == code

    @pytest.mark.parametrize(
        ("uscc", "expected"),
        [("12345", "uscc_length"), ("11130402000000I01X", "uscc_characters"), ("BAD", "uscc_length")],
    )
    def test_invalid_uscc_shows_the_identifier_error(self, county_admin, county, uscc, expected):
        response = client_for(county_admin.user).post(
            url("department", "add"), department_data(uscc=uscc, region=county.pk)
        )
        assert response.status_code == 200
        assert form_errors(response) == {"uscc": [expected]}
        assert not Department.objects.filter(name="邯山区民政局").exists()

    def test_wrong_check_character_is_named(self, county_admin, county):
        good = uscc_for(county, 32)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        response = client_for(county_admin.user).post(
            url("department", "add"), department_data(uscc=bad, region=county.pk)
        )
        assert form_errors(response) == {"uscc": ["uscc_checksum"]}

    def test_duplicate_uscc_is_a_specific_error(self, county_admin, county, market_dept):
        response = client_for(county_admin.user).post(
            url("department", "add"), department_data(uscc=market_dept.uscc, region=county.pk)
        )
        assert form_errors(response) == {"uscc": [OrgError.USCC_EXISTS]}

    def test_neighbouring_county_cannot_be_chosen(self, county_admin, other_county):
        response = client_for(county_admin.user).post(
            url("department", "add"), department_data(uscc=uscc_for(other_county, 33), region=other_county.pk)
        )
        assert form_errors(response) == {"region": ["invalid_choice"]}
        assert not Department.objects.filter(name="邯山区民政局").exists()

    def test_change_goes_through_the_service(self, county_admin, market_dept, market_branch):
        client = client_for(county_admin.user)
        data = department_data(
            name=market_dept.name,
            short_name="区市场局",
            uscc=market_dept.uscc,
            region=market_dept.region_id,
            parent=market_branch.pk,
        )
        response = client.post(url("department", "change", market_dept.pk), data)
        assert form_errors(response) == {"parent": [OrgError.PARENT_CYCLE]}
        data["parent"] = ""
        response = client.post(url("department", "change", market_dept.pk), data)
        assert response.status_code == 302
        market_dept.refresh_from_db()
        assert market_dept.short_name == "区市场局"


class TestReadOnlyRoles:
    def test_supervisor_views_but_cannot_change(
        self, county_supervisor, world, market_dept, other_market_dept
    ):
        client = client_for(county_supervisor.user)
        listing = listed(client.get(url("department")))
        assert "邯山区市场监督管理局" in listing and "丛台区市场监督管理局" not in listing
        page = client.get(url("department", "change", market_dept.pk))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        data = department_data(name="改名", uscc=market_dept.uscc, region=market_dept.region_id)
        assert client.post(url("department", "change", market_dept.pk), data).status_code == 403
        assert client.get(url("department", "add")).status_code == 403
        assert client.get(url("department", "delete", market_dept.pk)).status_code == 403
        assert client.get(url("department", "change", other_market_dept.pk)).status_code == 404
        market_dept.refresh_from_db()
        assert market_dept.name == "邯山区市场监督管理局"

    def test_city_leader_lists_every_county(self, city_leader, world):
        listing = " ".join(listed(client_for(city_leader.user).get(url("staff"))))
        assert "李承办" in listing and "丛台办事员" in listing

    @pytest.mark.parametrize("who", ["handler", "no_roles"])
    def test_working_roles_and_no_roles_get_no_org_admin(self, who, handler, market_dept, world):
        staff = handler if who == "handler" else StaffFactory(name="无角色", department=market_dept)
        client = client_for(staff.user)
        for model in MODELS:
            assert client.get(url(model)).status_code == 403, model
        index = client.get(reverse("admin:index"))
        assert index.status_code == 200
        assert url("department") not in index.content.decode()

    def test_bulk_delete_cannot_reach_view_only_rows(self, county, city, market_dept, other_market_dept):
        # given an administrator of 邯山区 who also supervises the whole city
        staff = StaffFactory(user=UserFactory(username="two_roles"), name="兼职", department=market_dept)
        grant(staff, Role.SYSTEM_ADMIN, region=county)
        grant(staff, Role.SUPERVISOR, region=city)
        client = client_for(staff.user)
        assert "丛台区市场监督管理局" in listed(client.get(url("department")))

        response = client.post(
            url("department"),
            {"action": "delete_selected", "_selected_action": [other_market_dept.pk], "post": "yes"},
        )
        assert response.status_code == 403
        assert Department.objects.filter(pk=other_market_dept.pk).exists()


class TestRegionThroughTheAdmin:
    def test_add_town(self, county_admin, county):
        response = client_for(county_admin.user).post(
            url("region", "add"),
            {"code": "130402005000", "name": "光明桥街道", "level": RegionLevel.TOWN, "parent": county.pk},
        )
        assert response.status_code == 302
        assert Region.objects.get(code="130402005000").path == "130402005"

    @pytest.mark.parametrize(
        ("code", "level", "expected"),
        [
            ("130402", RegionLevel.TOWN, {"code": [OrgError.REGION_CODE_LENGTH]}),
            ("130402000000", RegionLevel.TOWN, {"code": [OrgError.REGION_CODE_LEVEL]}),
            ("13040200500", RegionLevel.TOWN, {"code": ["region_code_format"]}),
            ("130403005000", RegionLevel.TOWN, {"parent": [OrgError.PARENT_OUTSIDE]}),
        ],
    )
    def test_bad_codes_get_specific_errors(self, superuser, county, code, level, expected):
        before = Region.objects.count()
        response = client_for(superuser).post(
            url("region", "add"), {"code": code, "name": "x", "level": level, "parent": county.pk}
        )
        assert form_errors(response) == expected
        assert Region.objects.count() == before

    def test_maintainer_sees_regions_but_cannot_add(self, county_maintainer, county):
        client = client_for(county_maintainer.user)
        assert client.get(url("region")).status_code == 200
        assert client.get(url("region", "add")).status_code == 403

    def test_code_is_read_only_on_change(self, county_admin, town):
        client = client_for(county_admin.user)
        response = client.post(
            url("region", "change", town.pk), {"name": "火磨街道办", "code": "130402009000"}
        )
        assert response.status_code == 302
        town.refresh_from_db()
        assert (town.name, town.code) == ("火磨街道办", "130402001000")


def staff_add_data(department: Department, **overrides: Any) -> dict[str, Any]:
    data = {
        "username": "xin_ren",
        "email": "",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "name": "辛仁",
        "employee_number": "HS-001",
        "department": department.pk,
        "mobile": "13712345678",
    }
    data.update(overrides)
    return data


def roles_formset(
    staff: Staff, rows: list[dict[str, Any]], *, delete: tuple[int, ...] = ()
) -> dict[str, Any]:
    """POST data for the staff change page: the particulars and the role inline (existing
    rows first, marked deleted if in ``delete``, then the new rows)."""
    existing = list(staff.roles.order_by("pk"))
    data: dict[str, Any] = {
        "name": staff.name,
        "employee_number": staff.employee_number,
        "department": staff.department_id,
        "mobile": staff.mobile,
        "roles-TOTAL_FORMS": len(existing) + len(rows),
        "roles-INITIAL_FORMS": len(existing),
        "roles-MIN_NUM_FORMS": 0,
        "roles-MAX_NUM_FORMS": 1000,
    }
    for i, assignment in enumerate(existing):
        data[f"roles-{i}-id"] = assignment.pk
        data[f"roles-{i}-staff"] = staff.pk
        if assignment.pk in delete:
            data[f"roles-{i}-DELETE"] = "on"
    for j, row in enumerate(rows, start=len(existing)):
        data[f"roles-{j}-staff"] = staff.pk
        for key, value in row.items():
            data[f"roles-{j}-{key}"] = value
    return data


class TestStaffThroughTheAdmin:
    def test_add_staff_member_with_account(self, county_admin, market_dept):
        response = client_for(county_admin.user).post(url("staff", "add"), staff_add_data(market_dept))
        assert response.status_code == 302, form_errors(response)
        staff = Staff.objects.get(name="辛仁")
        signed_in = Client().post(reverse("admin:login"), {"username": "xin_ren", "password": GOOD_PASSWORD})
        assert signed_in.status_code == 302
        assert staff.department == market_dept

    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            (
                {"password1": "1234567890", "password2": "1234567890"},
                {"password1": ["password_too_common", "password_entirely_numeric"]},
            ),
            ({"password2": "Another-Pass-2026"}, {"password2": [OrgError.PASSWORD_MISMATCH]}),
            ({"username": "handler_hs"}, {"username": [OrgError.USERNAME_EXISTS]}),
            ({"mobile": "0310-123"}, {"mobile": [OrgError.MOBILE_FORMAT]}),
        ],
    )
    def test_bad_input_gets_specific_errors(self, county_admin, handler, market_dept, overrides, expected):
        users = get_user_model().objects.count()
        response = client_for(county_admin.user).post(
            url("staff", "add"), staff_add_data(market_dept, **overrides)
        )
        assert form_errors(response) == expected
        assert get_user_model().objects.count() == users

    def test_grant_role_inline(self, county_admin, handler, town, other_county):
        client = client_for(county_admin.user)
        page = client.get(url("staff", "change", handler.pk))
        assert page.status_code == 200
        response = client.post(
            url("staff", "change", handler.pk),
            roles_formset(handler, [{"role": Role.SUPERVISOR, "region": other_county.pk, "department": ""}]),
        )
        # the neighbouring county is not even a choice
        assert response.status_code == 200
        assert not handler.roles.filter(region=other_county).exists()

        response = client.post(
            url("staff", "change", handler.pk),
            roles_formset(handler, [{"role": Role.APPROVER, "region": town.pk, "department": ""}]),
        )
        assert response.status_code == 302
        assert handler.roles.filter(role=Role.APPROVER, region=town).exists()

    def test_revoking_a_role_wider_than_the_admin_is_refused(self, county_admin, handler, city):
        wide = grant(handler, Role.LEADER, region=city)
        client = client_for(county_admin.user)
        response = client.post(
            url("staff", "change", handler.pk), roles_formset(handler, [], delete=(wide.pk,))
        )
        assert response.status_code == 200
        assert RoleAssignment.objects.filter(pk=wide.pk).exists()
        own = handler.roles.get(role=Role.HANDLER)
        response = client.post(
            url("staff", "change", handler.pk), roles_formset(handler, [], delete=(own.pk,))
        )
        assert response.status_code == 302
        assert not RoleAssignment.objects.filter(pk=own.pk).exists()

    def test_deactivate_action(self, county_admin, handler, other_clerk):
        client = client_for(county_admin.user)
        response = client.post(
            url("staff"), {"action": "deactivate", "_selected_action": [handler.pk, other_clerk.pk]}
        )
        assert response.status_code == 302
        handler.refresh_from_db()
        other_clerk.refresh_from_db()
        assert not handler.is_active and not handler.user.is_active
        assert other_clerk.is_active  # not in the list of a county admin, so not selected

    def test_staff_cannot_be_deleted_by_scoped_admins(self, county_admin, handler):
        assert client_for(county_admin.user).get(url("staff", "delete", handler.pk)).status_code == 403


class TestRoleAssignmentAdmin:
    def test_grant_outside_own_scope_refused(self, county_admin, handler, other_county, town):
        client = client_for(county_admin.user)
        response = client.post(
            url("roleassignment", "add"),
            {"staff": handler.pk, "role": Role.SUPERVISOR, "region": other_county.pk},
        )
        assert form_errors(response) == {"region": ["invalid_choice"]}
        response = client.post(
            url("roleassignment", "add"), {"staff": handler.pk, "role": Role.SUPERVISOR, "region": town.pk}
        )
        assert response.status_code == 302
        assert handler.roles.filter(role=Role.SUPERVISOR, region=town).exists()

    def test_dept_admin_with_a_region_choice_outside_gets_the_grant_error(
        self, dept_admin, handler, market_dept, town
    ):
        # a department administrator may pick the town (their department works there) but
        # a region-wide grant is wider than their own department scope
        response = client_for(dept_admin.user).post(
            url("roleassignment", "add"), {"staff": handler.pk, "role": Role.SUPERVISOR, "region": town.pk}
        )
        assert form_errors(response) == {"region": [OrgError.GRANT_OUTSIDE_SCOPE]}

    def test_delete_city_wide_role_is_forbidden(self, county_admin, handler, city):
        wide = grant(handler, Role.LEADER, region=city)
        client = client_for(county_admin.user)
        assert client.get(url("roleassignment", "delete", wide.pk)).status_code == 403
        assert client.post(url("roleassignment", "delete", wide.pk), {"post": "yes"}).status_code == 403
        assert RoleAssignment.objects.filter(pk=wide.pk).exists()


class TestServiceCenterAdmin:
    def test_add_center_then_windows(self, county_admin, county, market_dept):
        client = client_for(county_admin.user)
        response = client.post(
            url("servicecenter", "add"),
            {"name": "邯山区第二中心", "region": county.pk, "address": "和平路2号"},
        )
        assert response.status_code == 302
        hall = ServiceCenter.objects.get(name="邯山区第二中心")
        data = {
            "name": hall.name,
            "address": hall.address,
            "phone": "",
            "opening_hours": "",
            "windows-TOTAL_FORMS": 2,
            "windows-INITIAL_FORMS": 0,
            "windows-MIN_NUM_FORMS": 0,
            "windows-MAX_NUM_FORMS": 1000,
            "windows-0-number": "01",
            "windows-0-name": "综合受理",
            "windows-0-departments": [market_dept.pk],
            "windows-0-is_active": "on",
            "windows-0-center": hall.pk,
            "windows-1-number": "01",
            "windows-1-name": "重复号",
            "windows-1-is_active": "on",
            "windows-1-center": hall.pk,
        }
        response = client.post(url("servicecenter", "change", hall.pk), data)
        assert response.status_code == 200  # two windows numbered 01
        assert not hall.windows.exists()
        data["windows-1-number"] = "02"
        response = client.post(url("servicecenter", "change", hall.pk), data)
        assert response.status_code == 302
        assert list(hall.windows.order_by("number").values_list("number", flat=True)) == ["01", "02"]
        assert list(hall.windows.get(number="01").departments.all()) == [market_dept]


class TestQueryCounts:
    """A list page costs the same number of queries for 3 rows as for 15."""

    def _grow(self, county: Region, market_dept: Department, n: int, start: int) -> None:
        for i in range(start, start + n):
            dept = DepartmentFactory(name=f"扩充局{i}", region=county, parent=market_dept)
            staff = StaffFactory(name=f"扩充人员{i}", department=dept)
            grant(staff, Role.HANDLER, department=dept)
            grant(staff, Role.REVIEWER, region=county)
            hall = center(county, f"扩充中心{i}", "地址")
            window(hall, "01", "综合", [dept])
            Region.objects.get_or_create(
                code=f"130402{100 + i:03d}000",
                defaults={"name": f"扩充街道{i}", "level": RegionLevel.TOWN, "parent": county},
            )

    @pytest.mark.parametrize("model", MODELS)
    @pytest.mark.parametrize("who", ["superuser", "county_admin"])
    def test_changelist_queries_do_not_grow_with_rows(
        self, request, django_assert_max_num_queries, county, market_dept, world, model, who
    ):
        user = request.getfixturevalue(who)
        user = getattr(user, "user", user)
        self._grow(county, market_dept, 3, 0)
        client = client_for(user)
        with CaptureQueriesContext(connection) as small:
            assert client.get(url(model)).status_code == 200
        self._grow(county, market_dept, 12, 3)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(url(model))
        assert response.status_code == 200
        assert response.context["cl"].result_count >= 15
