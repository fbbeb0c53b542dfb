"""A licensing item of 邯山区市场监督管理局 and the people who handle its cases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AbstractBaseUser

from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion, Material, StepKind
from yiwang.core.identifiers import build_resident_id
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Region, Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPLICANT_ID = build_resident_id("130402", dt.date(1988, 5, 17), 231)

STEPS = (
    {"name": "受理", "kind": StepKind.ACCEPT, "role": Role.WINDOW_OPERATOR, "limit": 1},
    {"name": "承办", "kind": StepKind.HANDLE, "role": Role.HANDLER, "limit": 3},
    {"name": "审核", "kind": StepKind.REVIEW, "role": Role.REVIEWER, "limit": 2},
    {"name": "决定", "kind": StepKind.DECIDE, "role": Role.APPROVER, "limit": 2},
    {"name": "办结", "kind": StepKind.COMPLETE, "role": Role.APPROVER, "limit": 1},
    {"name": "送达", "kind": StepKind.DELIVER, "role": Role.WINDOW_OPERATOR, "limit": 1},
)


def at(day: str, time: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


@pytest.fixture
def food_licence(market_dept: Department) -> ItemVersion:
    return published_item(
        code="HS-SPJY-001",
        name="食品经营许可",
        department=market_dept,
        statutory_limit=20,
        promised_limit=10,
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        steps=STEPS,
        materials=(
            {"name": "食品经营许可申请书"},
            {"name": "营业执照复印件", "form": "copy"},
            {"name": "食品安全管理制度文本"},
        ),
        effective_from=dt.date(2024, 1, 1),
    )


@pytest.fixture
def materials(food_licence: ItemVersion) -> list[Material]:
    return list(food_licence.materials.all())


def _staff(username: str, name: str, dept: Department, role: Role, **scope: object) -> AbstractBaseUser:
    staff = StaffFactory(user=UserFactory(username=username), name=name, department=dept)
    grant(staff, role, **scope)  # type: ignore[arg-type]
    return staff.user


@pytest.fixture
def window_user(market_dept: Department, county: Region) -> AbstractBaseUser:
    return _staff("window_hs", "孙窗口", market_dept, Role.WINDOW_OPERATOR, region=county)


@pytest.fixture
def handler_user(market_dept: Department) -> AbstractBaseUser:
    return _staff("handler_case", "李承办", market_dept, Role.HANDLER, department=market_dept)


@pytest.fixture
def reviewer_user(market_dept: Department) -> AbstractBaseUser:
    return _staff("reviewer_case", "周审核", market_dept, Role.REVIEWER, department=market_dept)


@pytest.fixture
def approver_user(market_dept: Department) -> AbstractBaseUser:
    return _staff("approver_case", "吴批准", market_dept, Role.APPROVER, department=market_dept)


@pytest.fixture
def neighbour_approver(other_market_dept: Department) -> AbstractBaseUser:
    return _staff("approver_ct", "郑丛台", other_market_dept, Role.APPROVER, department=other_market_dept)
