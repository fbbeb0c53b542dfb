"""Appointments at 邯山区政务服务中心: a service center with a window of the county market
regulator, its slot rule (09:00–11:30 and 14:00–17:00, half-hour slots of three places),
an item that takes appointments and one that does not, a neighbouring county's center,
and the staff who may or may not handle the appointments."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AbstractBaseUser

from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion
from yiwang.core.identifiers import build_resident_id
from yiwang.hall.models import Slot, SlotRule
from yiwang.org.factories import StaffFactory, UserFactory, center, grant, window
from yiwang.org.models import Department, Region, Role, ServiceCenter, Staff
from yiwang.portal.factories import citizen_account

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


# Thursday before the 2026 Spring Festival: Friday 13th and the make-up Saturday 14th are
# working days, the 15th to the 23rd are not, then working days resume (a make-up
# Saturday on the 28th); ten working days ahead is 2026-03-04.
NOW = at("2026-02-12", "10:00")


@pytest.fixture
def hall_center(county: Region, market_dept: Department) -> ServiceCenter:
    obj = center(county, "邯山区政务服务中心", "邯山区滏河北大街56号", "0310-3012000", "工作日 9:00–17:00")
    window(obj, "12", "市场监管窗口", [market_dept])
    return obj


@pytest.fixture
def general_rule(hall_center: ServiceCenter) -> SlotRule:
    rule = SlotRule(center=hall_center, time_ranges="09:00-11:30, 14:00-17:00", slot_minutes=30, capacity=3)
    rule.full_clean()
    rule.save()
    return rule


@pytest.fixture
def bookable_item(market_dept: Department, county: Region) -> ItemVersion:
    return published_item(
        code="HS-SCJG-101",
        name="食品经营许可（预约办理）",
        department=market_dept,
        region=county,
        fields={"appointment": True},
    )


@pytest.fixture
def plain_item(market_dept: Department, county: Region) -> ItemVersion:
    return published_item(
        code="HS-SCJG-102",
        name="个体工商户登记",
        department=market_dept,
        region=county,
        fields={"appointment": False},
    )


@pytest.fixture
def other_center(
    other_county: Region, other_market_dept: Department, market_dept: Department
) -> ServiceCenter:
    """丛台区's center, with a window that even lists the 邯山区 regulator: still another region."""
    obj = center(other_county, "丛台区政务服务中心", "丛台区中华北大街1号")
    window(obj, "03", "市场监管窗口", [other_market_dept, market_dept])
    rule = SlotRule(center=obj, time_ranges="09:00-11:30, 14:00-17:00", slot_minutes=30, capacity=3)
    rule.full_clean()
    rule.save()
    return obj


def _staff(username: str, name: str, dept: Department, role: Role, **scope: Any) -> AbstractBaseUser:
    staff = cast(Staff, StaffFactory(user=UserFactory(username=username), name=name, department=dept))
    grant(staff, role, **scope)
    return staff.user


@pytest.fixture
def window_op(market_dept: Department, county: Region) -> AbstractBaseUser:
    return _staff("hall_window", "孙窗口", market_dept, Role.WINDOW_OPERATOR, region=county)


@pytest.fixture
def dept_staff(market_dept: Department) -> AbstractBaseUser:
    return _staff("hall_handler", "李承办", market_dept, Role.HANDLER, department=market_dept)


@pytest.fixture
def other_dept_staff(other_market_dept: Department) -> AbstractBaseUser:
    return _staff("hall_ct_handler", "郑丛台", other_market_dept, Role.HANDLER, department=other_market_dept)


@pytest.fixture
def other_window_op(other_market_dept: Department, other_county: Region) -> AbstractBaseUser:
    return _staff("hall_ct_window", "钱窗口", other_market_dept, Role.WINDOW_OPERATOR, region=other_county)


@pytest.fixture
def supervisor_only(county_supervisor: Any) -> AbstractBaseUser:
    return county_supervisor.user


@pytest.fixture
def wangwu(db: None) -> Any:
    """王五, a second verified citizen."""
    return citizen_account(
        username="wangwu",
        name="王五",
        id_number=build_resident_id("130402", dt.date(1985, 3, 9), 17),
        mobile="13600136000",
    )


def slot_at(center_: ServiceCenter, day: str, start: str = "09:00") -> Slot:
    """The generated slot of ``center_`` on ``day`` at ``start`` (general slots)."""
    return Slot.objects.get(center=center_, item__isnull=True, date=dt.date.fromisoformat(day), start=start)
