"""Who may read and maintain the working-day calendar in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from yiwang.core.models import CalendarDay
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Region, Role


def _client_for(username: str) -> Client:
    client = Client()
    client.force_login(UserFactory._meta.model.objects.get(username=username))
    return client


@pytest.fixture
def city_sysadmin(city: Region, market_dept: Department) -> str:
    staff = StaffFactory(user=UserFactory(username="sysadmin_city"), name="周系统", department=market_dept)
    grant(staff, Role.SYSTEM_ADMIN, region=city)
    return "sysadmin_city"


@pytest.mark.django_db
def test_a_handler_reads_the_calendar_but_cannot_change_it(handler: object) -> None:
    client = _client_for("handler_hs")
    assert client.get("/admin/core/calendarday/").status_code == 200
    response = client.post(
        "/admin/core/calendarday/add/",
        {"date": "2027-01-01", "is_workday": "False", "name": "元旦", "source": ""},
    )
    assert response.status_code == 403
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_a_system_administrator_enters_next_years_holiday(city_sysadmin: str) -> None:
    client = _client_for(city_sysadmin)
    response = client.post(
        "/admin/core/calendarday/add/",
        {"date": "2027-01-01", "is_workday": "False", "name": "元旦", "source": "国办发明电〔2026〕号"},
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get()
    assert day.date == dt.date(2027, 1, 1) and not day.is_workday


@pytest.mark.django_db
def test_a_staff_account_without_roles_sees_nothing(market_dept: Department) -> None:
    StaffFactory(user=UserFactory(username="norole"), name="无角色", department=market_dept)
    assert _client_for("norole").get("/admin/core/calendarday/").status_code == 403
