"""Shared fixtures: a small region tree with two neighbouring counties, departments in
each, and named staff. Tests of every app build on these."""

from __future__ import annotations

from typing import Any

import pytest

from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant, region
from yiwang.org.models import Department, Region, RegionLevel, Role, Staff

# The browser tests' Chromium and ledger-flush fixtures.
pytest_plugins = ["yiwang.browser_fixtures"]


@pytest.fixture(autouse=True, scope="session")
def uploads_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Files stored by tests go to a folder of the test session, never into the demo's
    var/media; set for the whole session so module-scoped data sees the same folder."""
    from django.conf import settings

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def fresh_supervision_caches() -> None:
    """Supervision caches which rule set version applies for up to a minute per process;
    a rolled-back test's versions must not leak into the next test."""
    from yiwang.supervision import services

    services.forget_caches()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Argon2 is slow on purpose; tests create many accounts and test behaviour, not
    hashing (the production hasher list is unchanged and tested in core)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def province(db: None) -> Region:
    return region("130000", "河北省", RegionLevel.PROVINCE)


@pytest.fixture
def city(province: Region) -> Region:
    return region("130400", "邯郸市", RegionLevel.CITY, province)


@pytest.fixture
def county(city: Region) -> Region:
    return region("130402", "邯山区", RegionLevel.COUNTY, city)


@pytest.fixture
def other_county(city: Region) -> Region:
    return region("130403", "丛台区", RegionLevel.COUNTY, city)


@pytest.fixture
def town(county: Region) -> Region:
    return region("130402001000", "火磨街道", RegionLevel.TOWN, county)


@pytest.fixture
def market_dept(county: Region) -> Department:
    return DepartmentFactory(name="邯山区市场监督管理局", short_name="区市场监管局", region=county)


@pytest.fixture
def other_market_dept(other_county: Region) -> Department:
    return DepartmentFactory(name="丛台区市场监督管理局", short_name="丛台市场监管局", region=other_county)


@pytest.fixture
def handler(market_dept: Department, county: Region) -> Staff:
    staff = StaffFactory(user=UserFactory(username="handler_hs"), name="李承办", department=market_dept)
    grant(staff, Role.HANDLER, department=market_dept)
    return staff


@pytest.fixture
def county_supervisor(county: Region) -> Staff:
    room = DepartmentFactory(name="邯山区电子监察室", region=county, is_supervision_room=True)
    staff = StaffFactory(user=UserFactory(username="supervisor_hs"), name="王监察", department=room)
    grant(staff, Role.SUPERVISOR, region=county)
    return staff


@pytest.fixture
def city_leader(city: Region) -> Staff:
    office = DepartmentFactory(name="邯郸市人民政府办公室", region=city)
    staff = StaffFactory(user=UserFactory(username="leader_city"), name="赵领导", department=office)
    grant(staff, Role.LEADER, region=city)
    return staff


# Citizen and enterprise accounts of the portal (yiwang.portal.factories).
CITIZEN_ID = "13040219900307123X"  # 邯郸市邯山区, valid check digit
ENTERPRISE_USCC = "91130402MA0A1B2C3D"


@pytest.fixture
def citizen(db: None) -> Any:
    """张三, a verified individual account (username ``zhangsan``)."""
    from yiwang.portal.factories import citizen_account

    return citizen_account(username="zhangsan", name="张三", id_number=CITIZEN_ID, mobile="13800138000")


@pytest.fixture
def unverified_citizen(db: None) -> Any:
    """李四, registered but not yet verified (username ``lisi``)."""
    import datetime as dt

    from yiwang.core.identifiers import build_resident_id
    from yiwang.portal.factories import citizen_account

    return citizen_account(
        username="lisi",
        name="李四",
        id_number=build_resident_id("130402", dt.date(1992, 5, 17), 35),
        mobile="13900139000",
        verified=False,
    )


@pytest.fixture
def enterprise(db: None) -> Any:
    """邯郸市丛台食品有限公司, a verified enterprise account (username ``congtai``)."""
    from yiwang.portal.factories import citizen_account

    return citizen_account(
        username="congtai",
        name="邯郸市丛台食品有限公司",
        id_number=ENTERPRISE_USCC,
        mobile="13700137000",
        kind="enterprise",
        legal_rep_name="王五",
        legal_rep_id_number=CITIZEN_ID,
    )
