"""Named people and places of the organisation tests, on top of the shared tree in
yiwang/conftest.py (河北省 › 邯郸市 › 邯山区 / 丛台区, 火磨街道 in 邯山区)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant, region
from yiwang.org.models import Department, Region, RegionLevel, Role, Staff
from yiwang.org.tests.helpers import GOOD_PASSWORD


@pytest.fixture
def other_town(other_county: Region) -> Region:
    return region("130403001000", "丛台街道", RegionLevel.TOWN, other_county)


@pytest.fixture
def market_branch(market_dept: Department, town: Region) -> Department:
    """A sub-department of 邯山区市场监管局, working in 火磨街道."""
    return DepartmentFactory(name="火磨市场监管所", region=town, parent=market_dept)


@pytest.fixture
def tax_dept(county: Region) -> Department:
    return DepartmentFactory(name="邯山区税务局", region=county)


@pytest.fixture
def city_dept(city: Region) -> Department:
    return DepartmentFactory(name="邯郸市行政审批局", region=city)


@pytest.fixture
def other_clerk(other_market_dept: Department) -> Staff:
    staff = StaffFactory(
        user=UserFactory(username="clerk_ct"), name="丛台办事员", department=other_market_dept
    )
    grant(staff, Role.HANDLER, department=other_market_dept)
    return staff


@pytest.fixture
def county_admin(county: Region) -> Staff:
    """邯山区's system administrator, working at the county's data office."""
    office = DepartmentFactory(name="邯山区政务服务管理局", region=county)
    staff = StaffFactory(user=UserFactory(username="admin_hs"), name="周管理", department=office)
    grant(staff, Role.SYSTEM_ADMIN, region=county)
    return staff


@pytest.fixture
def county_maintainer(county: Region, county_admin: Staff) -> Staff:
    staff = StaffFactory(
        user=UserFactory(username="maint_hs"), name="吴维护", department=county_admin.department
    )
    grant(staff, Role.MAINTAINER, region=county)
    return staff


@pytest.fixture
def dept_admin(market_dept: Department) -> Staff:
    """System administrator of 邯山区市场监管局 only (a department grant)."""
    staff = StaffFactory(user=UserFactory(username="admin_market"), name="郑管理", department=market_dept)
    grant(staff, Role.SYSTEM_ADMIN, department=market_dept)
    return staff


@pytest.fixture
def superuser(db: None) -> AbstractBaseUser:
    return get_user_model().objects.create_superuser("root", "root@example.org", GOOD_PASSWORD)
