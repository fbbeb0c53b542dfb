"""Writes to the organisation: every bad input gets a specific error and changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError

from yiwang.org import services
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, center, grant
from yiwang.org.models import (
    Department,
    OrgError,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    ServiceCenter,
    Staff,
    Window,
)
from yiwang.org.permissions import can_view
from yiwang.org.tests.helpers import GOOD_PASSWORD, codes, fresh, uscc_for

pytestmark = pytest.mark.django_db
User = get_user_model()


# Regions ------------------------------------------------------------------------------


class TestRegionCreate:
    def test_creates_a_town_with_its_path(self, county):
        town = services.region_create(
            actor=None, code="130402002000", name="光明街道", level=RegionLevel.TOWN, parent=county
        )
        assert town.path == "130402002"
        assert county.contains(town)

    def test_normalises_the_code(self, city):
        region = services.region_create(
            actor=None, code=" 130404 ", name="复兴区", level=RegionLevel.COUNTY, parent=city
        )
        assert region.code == "130404"

    @pytest.mark.parametrize(
        ("code", "level", "parent_name", "field", "code_expected"),
        [
            ("13040", RegionLevel.COUNTY, "city", "code", "region_code_format"),
            ("1304021", RegionLevel.COUNTY, "city", "code", "region_code_format"),
            ("13a402", RegionLevel.COUNTY, "city", "code", "region_code_format"),
            ("990402", RegionLevel.COUNTY, "city", "code", "region_code_province"),
            # a county code given as a town: wrong length for the level
            ("130405", RegionLevel.TOWN, "county", "code", OrgError.REGION_CODE_LENGTH),
            ("130402003000", RegionLevel.COUNTY, "city", "code", OrgError.REGION_CODE_LENGTH),
            # digits below the level, or none at its own level
            ("130400", RegionLevel.COUNTY, "city", "code", OrgError.REGION_CODE_LEVEL),
            ("130402003000", RegionLevel.VILLAGE, "town", "code", OrgError.REGION_CODE_LEVEL),
            ("130405", RegionLevel.CITY, "province", "code", OrgError.REGION_CODE_LEVEL),
            # the parent does not contain the code / is not above it
            ("130501", RegionLevel.COUNTY, "city", "parent", OrgError.PARENT_OUTSIDE),
            ("130403002000", RegionLevel.TOWN, "county", "parent", OrgError.PARENT_OUTSIDE),
            ("130404", RegionLevel.COUNTY, "county", "parent", OrgError.PARENT_LEVEL),
            ("130404", RegionLevel.COUNTY, None, "parent", OrgError.PARENT_REQUIRED),
            # the code exists already
            ("130402", RegionLevel.COUNTY, "city", "code", OrgError.REGION_CODE_EXISTS),
        ],
    )
    def test_bad_input_gets_a_specific_error_and_saves_nothing(
        self, request, county, town, code, level, parent_name, field, code_expected
    ):
        parent = request.getfixturevalue(parent_name) if parent_name else None
        before = Region.objects.count()
        with pytest.raises(ValidationError) as exc:
            services.region_create(actor=None, code=code, name="新地区", level=level, parent=parent)
        assert code_expected in codes(exc.value)[field]
        assert Region.objects.count() == before

    def test_level_mismatch_message_names_the_level(self, county):
        with pytest.raises(ValidationError) as exc:
            services.region_create(actor=None, code="130405", name="x", level=RegionLevel.TOWN, parent=county)
        assert "12" in exc.value.message_dict["code"][0]

    def test_county_admin_creates_towns_in_their_county_only(self, county_admin, county, other_county, city):
        user = fresh(county_admin)
        town = services.region_create(
            actor=user, code="130402004000", name="渚河街道", level=RegionLevel.TOWN, parent=county
        )
        assert town.pk
        with pytest.raises(ValidationError) as exc:
            services.region_create(
                actor=user, code="130403004000", name="邻区街道", level=RegionLevel.TOWN, parent=other_county
            )
        assert codes(exc.value) == {"parent": [OrgError.OUTSIDE_SCOPE]}
        with pytest.raises(ValidationError):
            services.region_create(
                actor=user, code="130406", name="新县", level=RegionLevel.COUNTY, parent=city
            )
        assert not Region.objects.filter(code__in=["130403004000", "130406"]).exists()

    def test_maintainer_cannot_change_the_region_tree(self, county_maintainer, county):
        with pytest.raises(ValidationError) as exc:
            services.region_create(
                actor=fresh(county_maintainer),
                code="130402005000",
                name="x",
                level=RegionLevel.TOWN,
                parent=county,
            )
        assert codes(exc.value) == {"parent": [OrgError.OUTSIDE_SCOPE]}

    def test_rename_keeps_code_and_needs_scope(self, county_admin, town, other_county):
        renamed = services.region_update(actor=fresh(county_admin), region=town, name="火磨街道办事处")
        assert renamed.name == "火磨街道办事处" and renamed.code == "130402001000"
        with pytest.raises(ValidationError) as exc:
            services.region_update(actor=fresh(county_admin), region=other_county, name="改名")
        assert codes(exc.value) == {"name": [OrgError.OUTSIDE_SCOPE]}
        other_county.refresh_from_db()
        assert other_county.name == "丛台区"


# Departments --------------------------------------------------------------------------


class TestDepartmentCreate:
    def test_normalises_the_uscc_to_upper_case(self, county):
        code = uscc_for(county, 1)
        dept = services.department_create(
            actor=None, name="邯山区教育体育局", uscc=f" {code.lower()} ", region=county
        )
        dept.refresh_from_db()
        assert dept.uscc == code

    @pytest.mark.parametrize(
        ("uscc", "expected"),
        [
            ("12345", "uscc_length"),
            ("11130402000000I01X", "uscc_characters"),
            ("11A30402000000001X", "uscc_format"),
        ],
    )
    def test_invalid_uscc_gets_the_identifier_error(self, county, uscc, expected):
        with pytest.raises(ValidationError) as exc:
            services.department_create(actor=None, name="新局", uscc=uscc, region=county)
        assert codes(exc.value) == {"uscc": [expected]}
        assert not Department.objects.filter(name="新局").exists()

    def test_wrong_check_character(self, county):
        good = uscc_for(county, 2)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        with pytest.raises(ValidationError) as exc:
            services.department_create(actor=None, name="新局", uscc=bad, region=county)
        assert codes(exc.value) == {"uscc": ["uscc_checksum"]}

    def test_uscc_is_unique_whatever_the_case(self, county, market_dept):
        with pytest.raises(ValidationError) as exc:
            services.department_create(
                actor=None, name="另一个局", uscc=market_dept.uscc.lower(), region=county
            )
        assert codes(exc.value) == {"uscc": [OrgError.USCC_EXISTS]}

    def test_name_is_unique_in_a_region(self, county, other_county, market_dept):
        with pytest.raises(ValidationError) as exc:
            services.department_create(
                actor=None, name=market_dept.name, uscc=uscc_for(county, 3), region=county
            )
        assert codes(exc.value) == {"name": [OrgError.NAME_EXISTS]}
        # the same name in another county is another department
        assert services.department_create(
            actor=None, name=market_dept.name, uscc=uscc_for(other_county, 3), region=other_county
        )

    def test_sub_department_lies_in_its_parents_region(self, market_dept, other_county, town):
        with pytest.raises(ValidationError) as exc:
            services.department_create(
                actor=None,
                name="错位所",
                uscc=uscc_for(other_county, 4),
                region=other_county,
                parent=market_dept,
            )
        assert codes(exc.value) == {"region": [OrgError.PARENT_REGION]}
        assert (
            services.department_create(
                actor=None, name="火磨所", uscc=uscc_for(town, 4), region=town, parent=market_dept
            ).parent
            == market_dept
        )

    def test_one_supervision_room_per_region(self, county, county_supervisor):
        with pytest.raises(ValidationError) as exc:
            services.department_create(
                actor=None,
                name="第二监察室",
                uscc=uscc_for(county, 5),
                region=county,
                is_supervision_room=True,
            )
        assert codes(exc.value) == {"is_supervision_room": [OrgError.SUPERVISION_ROOM_EXISTS]}

    def test_every_problem_is_reported_at_once(self, county, market_dept):
        with pytest.raises(ValidationError) as exc:
            services.department_create(actor=None, name="", uscc="bad", region=county)
        assert set(codes(exc.value)) == {"name", "uscc"}

    def test_county_admin_cannot_create_in_the_neighbouring_county(self, county_admin, county, other_county):
        user = fresh(county_admin)
        assert services.department_create(
            actor=user, name="邯山区民政局", uscc=uscc_for(county, 6), region=county
        )
        with pytest.raises(ValidationError) as exc:
            services.department_create(
                actor=user, name="丛台区民政局", uscc=uscc_for(other_county, 6), region=other_county
            )
        assert codes(exc.value) == {"region": [OrgError.OUTSIDE_SCOPE]}
        assert "丛台区" in exc.value.messages[0]
        assert not Department.objects.filter(name="丛台区民政局").exists()

    def test_department_admin_adds_sub_departments_only(self, dept_admin, market_dept, county, town):
        user = fresh(dept_admin)
        sub = services.department_create(
            actor=user, name="火磨所", uscc=uscc_for(town, 7), region=town, parent=market_dept
        )
        assert sub.parent == market_dept
        with pytest.raises(ValidationError) as exc:
            services.department_create(actor=user, name="独立局", uscc=uscc_for(county, 17), region=county)
        assert codes(exc.value) == {"parent": [OrgError.OUTSIDE_SCOPE]}

    def test_nobody_without_an_admin_role_writes(self, handler, county, county_supervisor):
        for actor in (fresh(handler), fresh(county_supervisor)):
            with pytest.raises(ValidationError) as exc:
                services.department_create(
                    actor=actor, name="无权局", uscc=uscc_for(county, 8), region=county
                )
            assert OrgError.OUTSIDE_SCOPE in codes(exc.value)["region"] + codes(exc.value).get("parent", [])
        assert not Department.objects.filter(name="无权局").exists()


class TestDepartmentUpdate:
    def test_changes_only_what_is_given(self, county_admin, market_dept):
        updated = services.department_update(
            actor=fresh(county_admin), department=market_dept, phone="0310-1234567"
        )
        assert updated.phone == "0310-1234567"
        assert updated.name == "邯山区市场监督管理局"

    def test_cannot_place_a_department_under_its_own_sub_department(self, market_dept, market_branch):
        with pytest.raises(ValidationError) as exc:
            services.department_update(actor=None, department=market_dept, parent=market_branch)
        assert codes(exc.value) == {"parent": [OrgError.PARENT_CYCLE]}
        with pytest.raises(ValidationError):
            services.department_update(actor=None, department=market_dept, parent=market_dept)
        market_dept.refresh_from_db()
        assert market_dept.parent is None

    def test_moving_a_department_keeps_its_sub_departments_inside(
        self, market_dept, market_branch, other_county
    ):
        with pytest.raises(ValidationError) as exc:
            services.department_update(actor=None, department=market_dept, region=other_county)
        assert codes(exc.value) == {"region": [OrgError.CHILD_REGION]}

    def test_out_of_scope_department_cannot_be_changed(self, county_admin, other_market_dept, market_dept):
        with pytest.raises(ValidationError) as exc:
            services.department_update(actor=fresh(county_admin), department=other_market_dept, phone="1")
        assert codes(exc.value) == {"name": [OrgError.OUTSIDE_SCOPE]}
        with pytest.raises(ValidationError) as exc:
            services.department_update(
                actor=fresh(county_admin), department=market_dept, region=other_market_dept.region
            )
        assert codes(exc.value) == {"region": [OrgError.OUTSIDE_SCOPE]}
        market_dept.refresh_from_db()
        assert market_dept.region.name == "邯山区"

    def test_department_admin_cannot_move_their_department_to_another_region(
        self, dept_admin, market_dept, town
    ):
        with pytest.raises(ValidationError) as exc:
            services.department_update(actor=fresh(dept_admin), department=market_dept, region=town)
        assert codes(exc.value) == {"region": [OrgError.OUTSIDE_SCOPE]}


# Service centers and windows ------------------------------------------------------------


class TestCentersAndWindows:
    def test_center_with_windows(self, county_admin, county, market_dept, tax_dept):
        user = fresh(county_admin)
        hall = services.service_center_create(
            actor=user, region=county, name="邯山区政务服务中心", address="人民路1号"
        )
        w = services.window_create(
            actor=user, center=hall, number="01", name="综合受理", departments=[market_dept, tax_dept]
        )
        assert set(w.departments.all()) == {market_dept, tax_dept}

    def test_center_name_unique_in_region_and_scope(self, county_admin, county, other_county):
        user = fresh(county_admin)
        center(county, "邯山区政务服务中心", "人民路1号")
        with pytest.raises(ValidationError) as exc:
            services.service_center_create(actor=user, region=county, name="邯山区政务服务中心", address="x")
        assert codes(exc.value) == {"name": [OrgError.NAME_EXISTS]}
        with pytest.raises(ValidationError) as exc:
            services.service_center_create(actor=user, region=other_county, name="丛台区中心", address="x")
        assert codes(exc.value) == {"region": [OrgError.OUTSIDE_SCOPE]}
        assert ServiceCenter.objects.count() == 1

    def test_window_rules(
        self, county_admin, county, other_county, market_dept, other_market_dept, city_dept
    ):
        user = fresh(county_admin)
        hall = center(county, "邯山区政务服务中心", "人民路1号")
        services.window_create(actor=user, center=hall, number="01", name="综合受理")
        with pytest.raises(ValidationError) as exc:
            services.window_create(actor=user, center=hall, number="01", name="重复")
        assert codes(exc.value) == {"number": [OrgError.NUMBER_EXISTS]}
        with pytest.raises(ValidationError) as exc:
            services.window_create(
                actor=user, center=hall, number="02", name="跨区", departments=[other_market_dept]
            )
        assert codes(exc.value) == {"departments": [OrgError.DEPARTMENT_OUTSIDE_CENTER]}
        # a city department may staff a county hall
        assert services.window_create(
            actor=None, center=hall, number="03", name="市级进驻", departments=[city_dept]
        )
        other_hall = center(other_county, "丛台区政务服务中心", "丛台路1号")
        with pytest.raises(ValidationError) as exc:
            services.window_create(actor=user, center=other_hall, number="01", name="越权")
        assert codes(exc.value) == {"center": [OrgError.OUTSIDE_SCOPE]}
        assert Window.objects.count() == 2

    def test_window_update_and_delete(self, county_admin, county, market_dept, tax_dept):
        user = fresh(county_admin)
        hall = center(county, "邯山区政务服务中心", "人民路1号")
        w = services.window_create(
            actor=user, center=hall, number="01", name="综合受理", departments=[market_dept]
        )
        services.window_update(actor=user, window=w, name="企业开办", departments=[tax_dept])
        w.refresh_from_db()
        assert w.name == "企业开办" and list(w.departments.all()) == [tax_dept]
        services.window_delete(actor=user, window=w)
        assert not Window.objects.exists()


# Staff --------------------------------------------------------------------------------


class TestStaffCreate:
    def test_creates_an_account_that_can_sign_in_and_sees_nothing_yet(self, county_admin, market_dept, rf):
        staff = services.staff_create(
            actor=fresh(county_admin),
            username="li_new",
            password=GOOD_PASSWORD,
            name="李新",
            department=market_dept,
            mobile="13912345678",
        )
        user = authenticate(rf.post("/"), username="li_new", password=GOOD_PASSWORD)
        assert user is not None and user.pk == staff.user_id and user.is_staff
        assert not can_view(user, market_dept)

    @pytest.mark.parametrize(
        ("password", "expected"),
        [
            ("short1!", "password_too_short"),
            ("1234567890123", "password_entirely_numeric"),
            ("password1234", "password_too_common"),
            ("zhang_wei_2026", "password_too_similar"),
        ],
    )
    def test_password_must_pass_djangos_validators(self, market_dept, password, expected):
        with pytest.raises(ValidationError) as exc:
            services.staff_create(
                actor=None, username="zhang_wei_2026", password=password, name="张伟", department=market_dept
            )
        assert expected in codes(exc.value)["password"]
        assert not User.objects.filter(username="zhang_wei_2026").exists()
        assert not Staff.objects.filter(name="张伟").exists()

    def test_username_taken_and_bad_mobile_reported_together(self, handler, market_dept):
        with pytest.raises(ValidationError) as exc:
            services.staff_create(
                actor=None,
                username="HANDLER_HS",
                password=GOOD_PASSWORD,
                name="重名",
                department=market_dept,
                mobile="1234",
            )
        assert codes(exc.value) == {
            "username": [OrgError.USERNAME_EXISTS],
            "mobile": [OrgError.MOBILE_FORMAT],
        }
        assert User.objects.filter(username__iexact="handler_hs").count() == 1

    def test_username_must_be_well_formed(self, market_dept):
        with pytest.raises(ValidationError) as exc:
            services.staff_create(
                actor=None, username="有 空格", password=GOOD_PASSWORD, name="甲", department=market_dept
            )
        assert "username" in codes(exc.value)

    def test_county_admin_cannot_hire_into_the_neighbouring_county(self, county_admin, other_market_dept):
        users = User.objects.count()
        with pytest.raises(ValidationError) as exc:
            services.staff_create(
                actor=fresh(county_admin),
                username="ct_new",
                password=GOOD_PASSWORD,
                name="新人",
                department=other_market_dept,
            )
        assert codes(exc.value) == {"department": [OrgError.OUTSIDE_SCOPE]}
        assert User.objects.count() == users

    def test_inactive_department_takes_no_new_staff(self, market_dept):
        market_dept.is_active = False
        market_dept.save()
        with pytest.raises(ValidationError) as exc:
            services.staff_create(
                actor=None, username="late", password=GOOD_PASSWORD, name="迟到", department=market_dept
            )
        assert codes(exc.value) == {"department": [OrgError.DEPARTMENT_INACTIVE]}


class TestStaffUpdateAndDeactivate:
    def test_move_needs_both_departments_in_scope(self, county_admin, handler, tax_dept, other_market_dept):
        user = fresh(county_admin)
        moved = services.staff_update(actor=user, staff=handler, department=tax_dept)
        assert moved.department == tax_dept
        with pytest.raises(ValidationError) as exc:
            services.staff_update(actor=user, staff=handler, department=other_market_dept)
        assert codes(exc.value) == {"department": [OrgError.OUTSIDE_SCOPE]}
        handler.refresh_from_db()
        assert handler.department == tax_dept

    def test_deactivated_staff_cannot_sign_in_and_lose_their_scope(
        self, county_admin, handler, market_dept, rf
    ):
        handler.user.set_password(GOOD_PASSWORD)
        handler.user.save()
        assert can_view(fresh(handler), market_dept)
        assert authenticate(rf.post("/"), username="handler_hs", password=GOOD_PASSWORD) is not None
        services.staff_deactivate(actor=fresh(county_admin), staff=handler)
        assert authenticate(rf.post("/"), username="handler_hs", password=GOOD_PASSWORD) is None
        assert not can_view(fresh(handler), market_dept)
        assert RoleAssignment.objects.filter(staff=handler).exists()  # history kept
        with pytest.raises(ValidationError) as exc:
            services.staff_deactivate(actor=fresh(county_admin), staff=handler)
        assert codes(exc.value) == {"is_active": [OrgError.STAFF_INACTIVE]}

        services.staff_reactivate(actor=fresh(county_admin), staff=handler)
        assert can_view(fresh(handler), market_dept)

    def test_cannot_deactivate_yourself_or_out_of_scope_staff(self, county_admin, other_clerk):
        with pytest.raises(ValidationError) as exc:
            services.staff_deactivate(actor=fresh(county_admin), staff=county_admin)
        assert codes(exc.value) == {"is_active": [OrgError.SELF_DEACTIVATION]}
        with pytest.raises(ValidationError) as exc:
            services.staff_deactivate(actor=fresh(county_admin), staff=other_clerk)
        assert codes(exc.value) == {"is_active": [OrgError.OUTSIDE_SCOPE]}
        assert Staff.objects.get(pk=other_clerk.pk).is_active


# Roles --------------------------------------------------------------------------------


class TestRoleGrant:
    def test_county_admin_grants_inside_the_county(self, county_admin, handler, town, market_dept):
        user = fresh(county_admin)
        a = services.role_grant(actor=user, staff=handler, role=Role.APPROVER, region=town)
        b = services.role_grant(actor=user, staff=handler, role=Role.REVIEWER, department=market_dept)
        assert {a.role, b.role} == {Role.APPROVER, Role.REVIEWER}

    def test_county_admin_cannot_grant_over_the_neighbouring_county(
        self, county_admin, handler, other_county
    ):
        with pytest.raises(ValidationError) as exc:
            services.role_grant(
                actor=fresh(county_admin), staff=handler, role=Role.SUPERVISOR, region=other_county
            )
        assert codes(exc.value) == {"region": [OrgError.GRANT_OUTSIDE_SCOPE]}
        assert "丛台区" in exc.value.messages[0]
        assert not RoleAssignment.objects.filter(region=other_county).exists()

    def test_nor_over_the_city_above_nor_a_department_of_the_neighbour(
        self, county_admin, handler, city, other_market_dept
    ):
        user = fresh(county_admin)
        with pytest.raises(ValidationError) as exc:
            services.role_grant(actor=user, staff=handler, role=Role.LEADER, region=city)
        assert codes(exc.value) == {"region": [OrgError.GRANT_OUTSIDE_SCOPE]}
        with pytest.raises(ValidationError) as exc:
            services.role_grant(actor=user, staff=handler, role=Role.HANDLER, department=other_market_dept)
        assert codes(exc.value) == {"department": [OrgError.GRANT_OUTSIDE_SCOPE]}

    def test_nor_to_staff_of_the_neighbouring_county(self, county_admin, other_clerk, county):
        with pytest.raises(ValidationError) as exc:
            services.role_grant(
                actor=fresh(county_admin), staff=other_clerk, role=Role.HANDLER, region=county
            )
        assert codes(exc.value) == {"staff": [OrgError.OUTSIDE_SCOPE]}

    def test_department_admin_grants_within_their_department(
        self, dept_admin, handler, market_branch, county
    ):
        user = fresh(dept_admin)
        assert services.role_grant(actor=user, staff=handler, role=Role.APPROVER, department=market_branch)
        with pytest.raises(ValidationError) as exc:
            services.role_grant(actor=user, staff=handler, role=Role.SUPERVISOR, region=county)
        assert codes(exc.value) == {"region": [OrgError.GRANT_OUTSIDE_SCOPE]}

    def test_only_system_administrators_grant(self, county_maintainer, county_supervisor, handler, county):
        for actor in (fresh(county_maintainer), fresh(county_supervisor), fresh(handler)):
            with pytest.raises(ValidationError) as exc:
                services.role_grant(actor=actor, staff=handler, role=Role.REVIEWER, region=county)
            assert codes(exc.value) == {"staff": [OrgError.OUTSIDE_SCOPE]}

    def test_superuser_grants_anywhere(self, superuser, handler, other_county):
        assert services.role_grant(actor=superuser, staff=handler, role=Role.SUPERVISOR, region=other_county)

    def test_scope_required_disjoint_duplicate_inactive(self, handler, market_dept, other_county, county):
        with pytest.raises(ValidationError) as exc:
            services.role_grant(actor=None, staff=handler, role=Role.HANDLER)
        assert codes(exc.value) == {"__all__": [OrgError.SCOPE_REQUIRED]}
        with pytest.raises(ValidationError) as exc:
            services.role_grant(
                actor=None, staff=handler, role=Role.HANDLER, region=other_county, department=market_dept
            )
        assert codes(exc.value) == {"department": [OrgError.SCOPE_DISJOINT]}
        with pytest.raises(ValidationError) as exc:
            services.role_grant(actor=None, staff=handler, role=Role.HANDLER, department=market_dept)
        assert codes(exc.value) == {"role": [OrgError.ROLE_EXISTS]}
        handler.is_active = False
        handler.save()
        with pytest.raises(ValidationError) as exc:
            services.role_grant(actor=None, staff=handler, role=Role.REVIEWER, region=county)
        assert codes(exc.value) == {"staff": [OrgError.STAFF_INACTIVE]}
        assert RoleAssignment.objects.filter(staff=handler).count() == 1

    def test_grant_takes_effect_for_the_grantee(self, county_admin, county):
        newcomer = StaffFactory(
            user=UserFactory(username="newcomer"), name="新人", department=DepartmentFactory(region=county)
        )
        before = fresh(newcomer)
        assert not can_view(before, county)
        services.role_grant(actor=fresh(county_admin), staff=newcomer, role=Role.SUPERVISOR, region=county)
        assert can_view(fresh(newcomer), county)


class TestRoleRevoke:
    def test_revoke_inside_scope(self, county_admin, handler):
        assignment = handler.roles.get()
        services.role_revoke(actor=fresh(county_admin), assignment=assignment)
        assert not handler.roles.exists()

    def test_county_admin_cannot_revoke_a_city_wide_role(self, county_admin, city, market_dept):
        staff = StaffFactory(name="市级监察", department=market_dept)
        assignment = grant(staff, Role.SUPERVISOR, region=city)
        with pytest.raises(ValidationError) as exc:
            services.role_revoke(actor=fresh(county_admin), assignment=assignment)
        assert codes(exc.value) == {"region": [OrgError.GRANT_OUTSIDE_SCOPE]}
        assert RoleAssignment.objects.filter(pk=assignment.pk).exists()

    def test_cannot_withdraw_your_own_admin_role(self, county_admin):
        assignment = county_admin.roles.get(role=Role.SYSTEM_ADMIN)
        with pytest.raises(ValidationError) as exc:
            services.role_revoke(actor=fresh(county_admin), assignment=assignment)
        assert codes(exc.value) == {"role": [OrgError.SELF_REVOKE]}
