"""The working-day calendar: holidays and make-up days, due dates, overrides, coverage.

Expected dates are worked out by hand from the State Council's schedules
(国办发明电〔2024〕12号 for 2025, 国办发明电〔2025〕7号 for 2026), not from the code under test.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from yiwang.catalog.models import LimitUnit
from yiwang.core import calendar
from yiwang.core.calendar import (
    add_days,
    add_natural_days,
    add_workdays,
    coverage,
    day_info,
    days_between,
    due_date,
    is_workday,
    next_workday,
    uncovered_years,
    watched_years,
    workdays_between,
)
from yiwang.core.calendar_services import (
    CalendarErrorCode,
    calendar_day_create,
    calendar_day_delete,
    calendar_day_set,
    calendar_day_update,
    calendar_year_delete,
    calendar_year_set,
)
from yiwang.core.models import CalendarDay, CalendarYear
from yiwang.core.tasks import check_calendar_coverage

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    # Tables built from rows another test wrote (and rolled back) must not leak in or out.
    calendar.invalidate()
    yield
    calendar.invalidate()


def at(year: int, month: int, day: int) -> time_machine.travel:
    return time_machine.travel(dt.datetime(year, month, day, 10, 0, tzinfo=SHANGHAI), tick=False)


def field_code(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return exc.value.error_dict[field][0].code or ""


# --------------------------------------------------------------------------- the schedules

# 2025 (国办发明电〔2024〕12号)
DAYS_OFF_2025 = {
    "元旦": [D(2025, 1, 1)],
    "春节": [D(2025, 1, 28) + dt.timedelta(i) for i in range(8)],  # Jan 28 – Feb 4
    "清明": [D(2025, 4, 4), D(2025, 4, 5), D(2025, 4, 6)],
    "劳动节": [D(2025, 5, i) for i in range(1, 6)],
    "端午": [D(2025, 5, 31), D(2025, 6, 1), D(2025, 6, 2)],
    "国庆中秋": [D(2025, 10, i) for i in range(1, 9)],
}
MAKEUP_2025 = [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)]

# 2026 (国办发明电〔2025〕7号)
DAYS_OFF_2026 = {
    "元旦": [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)],
    "春节": [D(2026, 2, 15) + dt.timedelta(i) for i in range(9)],  # Feb 15 – Feb 23
    "清明": [D(2026, 4, 4), D(2026, 4, 5), D(2026, 4, 6)],
    "劳动节": [D(2026, 5, i) for i in range(1, 6)],
    "端午": [D(2026, 6, 19), D(2026, 6, 20), D(2026, 6, 21)],
    "中秋": [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27)],
    "国庆": [D(2026, 10, i) for i in range(1, 8)],
}
MAKEUP_2026 = [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]


@pytest.mark.parametrize(
    "year, days_off, makeup", [(2025, DAYS_OFF_2025, MAKEUP_2025), (2026, DAYS_OFF_2026, MAKEUP_2026)]
)
def test_published_schedule_is_followed_day_by_day(
    year: int, days_off: dict[str, list[dt.date]], makeup: list[dt.date]
) -> None:
    off = {d for days in days_off.values() for d in days}
    # given the schedule, every day of the year is worked exactly when it is a weekday
    # not given off or a weekend day made a working day
    for i in range(365):
        d = D(year, 1, 1) + dt.timedelta(i)
        expected = d in makeup or (d.weekday() < 5 and d not in off)
        assert is_workday(d) is expected, d
    assert all(d.weekday() >= 5 for d in makeup)


def test_year_totals_match_hand_count() -> None:
    # 2025: 261 weekdays − 18 weekday holidays + 5 make-up days; 2026: 261 − 19 + 6
    assert workdays_between(D(2024, 12, 31), D(2025, 12, 31)) == 248
    assert workdays_between(D(2025, 12, 31), D(2026, 12, 31)) == 248


@pytest.mark.parametrize(
    "start, n, expected",
    [
        # Spring Festival 2025: Jan 28 – Feb 4 off, Sunday Jan 26 and Saturday Feb 8 worked
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 24), 2, D(2025, 1, 27)),
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        (D(2025, 1, 24), 6, D(2025, 2, 8)),
        (D(2025, 1, 24), 7, D(2025, 2, 10)),
        (D(2025, 1, 27), 1, D(2025, 2, 5)),
        # received on a holiday: the 20-day decision limit (行政许可法 §42)
        (D(2025, 1, 30), 1, D(2025, 2, 5)),
        (D(2025, 1, 30), 20, D(2025, 3, 3)),
        # Labour Day 2025: May 1–5 off, Sunday Apr 27 worked
        (D(2025, 4, 25), 1, D(2025, 4, 27)),
        (D(2025, 4, 30), 1, D(2025, 5, 6)),
        # National Day + Mid-autumn 2025: Oct 1–8 off, Sunday Sep 28 and Saturday Oct 11 worked
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 26), 4, D(2025, 10, 9)),
        (D(2025, 9, 26), 6, D(2025, 10, 11)),
        (D(2025, 9, 26), 7, D(2025, 10, 13)),
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 10, 4), 3, D(2025, 10, 11)),
        # New Year 2026: Jan 1–3 off, Sunday Jan 4 worked
        (D(2025, 12, 31), 1, D(2026, 1, 4)),
        (D(2025, 12, 31), 2, D(2026, 1, 5)),
        # Spring Festival 2026: Feb 15–23 off, Saturdays Feb 14 and Feb 28 worked
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 13), 6, D(2026, 2, 28)),
        (D(2026, 2, 13), 7, D(2026, 3, 2)),
        (D(2026, 2, 10), 20, D(2026, 3, 16)),
        # Mid-autumn and National Day 2026: Sep 25–27 and Oct 1–7 off, Sep 20 and Oct 10 worked
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 24), 1, D(2026, 9, 28)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        # no limit: the day itself, even a holiday
        (D(2026, 10, 3), 0, D(2026, 10, 3)),
        # negative: the n-th working day before
        (D(2025, 10, 9), -1, D(2025, 9, 30)),
        (D(2025, 2, 5), -1, D(2025, 1, 27)),
        (D(2025, 2, 5), -2, D(2025, 1, 26)),
        (D(2026, 1, 4), -1, D(2025, 12, 31)),
        (D(2026, 10, 4), -1, D(2026, 9, 30)),
    ],
)
def test_add_workdays_across_holidays(start: dt.date, n: int, expected: dt.date) -> None:
    assert add_workdays(start, n) == expected


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (D(2025, 9, 30), D(2025, 10, 9), 1),
        (D(2025, 9, 30), D(2025, 10, 8), 0),
        (D(2025, 1, 27), D(2025, 2, 5), 1),
        (D(2025, 1, 24), D(2025, 2, 8), 6),
        (D(2026, 2, 13), D(2026, 3, 2), 7),
        (D(2025, 10, 9), D(2025, 9, 30), -1),
        (D(2026, 3, 16), D(2026, 2, 10), -20),
        (D(2026, 5, 1), D(2026, 5, 1), 0),
    ],
)
def test_workdays_between_counts_half_open_interval(a: dt.date, b: dt.date, expected: int) -> None:
    assert workdays_between(a, b) == expected


def test_next_workday() -> None:
    assert next_workday(D(2025, 10, 1)) == D(2025, 10, 9)
    assert next_workday(D(2025, 10, 9)) == D(2025, 10, 10)
    assert next_workday(D(2025, 10, 9), include_self=True) == D(2025, 10, 9)
    assert next_workday(D(2025, 10, 5), include_self=True) == D(2025, 10, 9)


def test_day_info_names_the_holiday_and_the_source() -> None:
    makeup = day_info(D(2026, 2, 14))
    assert (makeup.is_workday, makeup.is_makeup_workday, makeup.name, makeup.source) == (
        True,
        True,
        "春节",
        calendar.SOURCE_PACKAGE,
    )
    holiday = day_info(D(2025, 10, 6))
    assert holiday.is_holiday and holiday.name == "中秋"
    plain = day_info(D(2031, 3, 1))
    assert (plain.is_workday, plain.source, plain.name) == (False, calendar.SOURCE_WEEKDAY, "")


# --------------------------------------------------------------------------- natural days


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (D(2025, 3, 1), 30, D(2025, 3, 31)),  # an ordinary Monday
        (D(2025, 3, 1), 15, D(2025, 3, 17)),  # Sunday Mar 16 → Monday
        (D(2025, 9, 26), 5, D(2025, 10, 9)),  # Oct 1 is National Day: the first day after the holiday
        (D(2025, 9, 20), 15, D(2025, 10, 9)),  # Oct 5, mid-holiday
        (D(2025, 10, 1), 10, D(2025, 10, 11)),  # a make-up working Saturday is not a rest day
        (D(2026, 2, 1), 15, D(2026, 2, 24)),  # Feb 16, Spring Festival 2026
        (D(2026, 2, 1), 0, D(2026, 2, 1)),
        (D(2025, 10, 9), -8, D(2025, 10, 1)),  # backwards: plain date arithmetic
    ],
)
def test_natural_day_limit_ends_after_a_holiday(start: dt.date, n: int, expected: dt.date) -> None:
    assert add_natural_days(start, n) == expected
    assert due_date(start, n, LimitUnit.NATURAL_DAYS) == expected


def test_due_date_and_days_between_take_the_catalog_units() -> None:
    assert due_date(D(2025, 9, 30), 1, LimitUnit.WORKING_DAYS) == D(2025, 10, 9)
    assert add_days(D(2025, 9, 30), 1, "natural") == D(2025, 10, 9)  # Oct 1 → after the holiday
    assert add_days(D(2025, 9, 29), 1, "natural") == D(2025, 9, 30)
    assert days_between(D(2025, 9, 26), D(2025, 10, 9), LimitUnit.NATURAL_DAYS) == 13
    assert days_between(D(2025, 9, 26), D(2025, 10, 9), LimitUnit.WORKING_DAYS) == 4
    assert days_between(D(2025, 10, 9), D(2025, 9, 26), "natural") == -13


@pytest.mark.parametrize("unit", ["", "workdays", "WORKING", "hours"])
def test_unknown_limit_unit_is_rejected(unit: str) -> None:
    with pytest.raises(ValueError, match="unknown limit unit"):
        due_date(D(2025, 1, 1), 5, unit)
    with pytest.raises(ValueError, match="unknown limit unit"):
        days_between(D(2025, 1, 1), D(2025, 2, 1), unit)


@pytest.mark.parametrize(
    "bad", [dt.datetime(2025, 10, 1, 9, 0, tzinfo=SHANGHAI), "2025-10-01", 20251001, None]
)
def test_only_dates_are_accepted(bad: object) -> None:
    for call in (
        lambda: is_workday(bad),  # type: ignore[arg-type]
        lambda: add_workdays(bad, 1),  # type: ignore[arg-type]
        lambda: workdays_between(D(2025, 1, 1), bad),  # type: ignore[arg-type]
        lambda: add_natural_days(bad, 1),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match="local date"):
            call()


# --------------------------------------------------------------------------- properties


def oracle_is_workday(d: dt.date) -> bool:
    """Straight from the package, day by day, Monday to Friday where it has no data."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return d.weekday() < 5


def oracle_add(start: dt.date, n: int) -> dt.date:
    d, step, left = start, (1 if n > 0 else -1), abs(n)
    while left:
        d += dt.timedelta(step)
        left -= oracle_is_workday(d)
    return d


def test_every_day_the_package_knows_agrees_with_its_is_workday() -> None:
    # the tables read the package's exported holiday lists; its own predicate is the judge
    d = D(2004, 1, 1)
    while d <= D(2026, 12, 31):
        assert is_workday(d) is chinese_calendar.is_workday(d), d
        d += dt.timedelta(1)


covered_dates = st.dates(D(2004, 1, 1), D(2026, 10, 1))
any_dates = st.dates(D(1995, 1, 1), D(2045, 12, 31))
PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(start=covered_dates, n=st.integers(0, 60))
def test_workdays_between_inverts_add_workdays(start: dt.date, n: int) -> None:
    # whatever the start (a holiday, a weekend, a make-up day), n working days later is n
    end = add_workdays(start, n)
    assert workdays_between(start, end) == n
    if n:
        assert is_workday(end)
        assert add_workdays(start, workdays_between(start, end)) == end


@PROPERTY
@given(start=any_dates, n=st.integers(-80, 80))
def test_add_workdays_agrees_with_day_by_day_count(start: dt.date, n: int) -> None:
    assert add_workdays(start, n) == oracle_add(start, n)


@PROPERTY
@given(a=any_dates, days=st.integers(-400, 400))
def test_workdays_between_agrees_with_day_by_day_count(a: dt.date, days: int) -> None:
    b = a + dt.timedelta(days)
    lo, hi = min(a, b), max(a, b)
    count = sum(oracle_is_workday(lo + dt.timedelta(i)) for i in range(1, (hi - lo).days + 1))
    assert workdays_between(a, b) == (count if b >= a else -count)
    assert workdays_between(b, a) == -workdays_between(a, b)


@PROPERTY
@given(start=st.dates(D(1, 1, 1), D(9990, 12, 31)), n=st.integers(-30, 30))
def test_far_from_the_tables_weekdays_are_counted_arithmetically(start: dt.date, n: int) -> None:
    if 1995 <= start.year <= 2045:
        return
    try:
        expected = oracle_add(start, n)
    except OverflowError:
        with pytest.raises(OverflowError):
            add_workdays(start, n)
        return
    assert add_workdays(start, n) == expected
    if n >= 0:
        assert workdays_between(start, expected) == n


def test_date_range_ends_raise_overflow() -> None:
    with pytest.raises(OverflowError):
        add_workdays(dt.date.max, 1)
    with pytest.raises(OverflowError):
        add_workdays(dt.date.min, -1)
    assert add_workdays(D(1, 1, 1), 1) == D(1, 1, 2)


# --------------------------------------------------------------------------- uncovered years


def test_uncovered_year_falls_back_to_monday_to_friday() -> None:
    for i in range(365):
        d = D(2031, 1, 1) + dt.timedelta(i)
        assert is_workday(d) is (d.weekday() < 5)
    assert add_workdays(D(2031, 10, 3), 1) == D(2031, 10, 6)  # no National Day known: Fri → Mon
    assert workdays_between(D(2031, 9, 30), D(2031, 10, 8)) == 6


def test_coverage_of_package_and_unknown_years() -> None:
    assert coverage(2026).covered and coverage(2026).by_package
    assert coverage(2004).covered
    assert not coverage(2003).covered
    assert not coverage(2027).covered
    assert uncovered_years([2031, 2025, 2027, 2031]) == [2027, 2031]


@pytest.mark.parametrize(
    "today, expected",
    [
        (D(2026, 6, 1), [2026]),
        (D(2026, 10, 31), [2026]),
        (D(2026, 11, 1), [2026, 2027]),
        (D(2031, 12, 31), [2031, 2032]),
    ],
)
def test_watched_years_add_next_year_from_november(today: dt.date, expected: list[int]) -> None:
    assert watched_years(today) == expected


@pytest.mark.django_db
def test_system_check_warns_for_an_uncovered_current_year() -> None:
    with at(2031, 6, 1):
        messages = [m for m in run_checks() if m.id == "core.W001"]
    assert len(messages) == 1
    assert messages[0].level < 40  # a warning, never an error
    assert "2031" in messages[0].msg


@pytest.mark.django_db
def test_system_check_looks_at_next_year_only_from_november() -> None:
    with at(2026, 6, 1):
        assert not [m for m in run_checks() if m.id == "core.W001"]
    with at(2026, 11, 21):
        (message,) = [m for m in run_checks() if m.id == "core.W001"]
    assert "2027" in message.msg and "2026" not in message.msg


@pytest.mark.django_db
def test_system_check_is_quiet_once_the_year_is_entered_complete() -> None:
    enter_2027_schedule()
    with at(2026, 11, 21):
        assert not [m for m in run_checks() if m.id == "core.W001"]


@pytest.mark.django_db
def test_periodic_task_logs_and_returns_uncovered_years(caplog: pytest.LogCaptureFixture) -> None:
    from yiwang.celery import app

    with at(2031, 11, 5):
        result = app.tasks["yiwang.core.tasks.check_calendar_coverage"].apply().get()
    assert result == [2031, 2032]
    assert sum("holiday schedule of 2031" in r.getMessage() for r in caplog.records) == 1
    with at(2026, 5, 1):
        assert check_calendar_coverage() == []


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no tables, of the engine the tests run on."""
    db = django_settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    name = f"yiwang_empty_{uuid.uuid4().hex[:12]}"
    server = {
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "user": db["USER"],
        "password": db["PASSWORD"],
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_check_and_migrate_work_on_an_empty_database(empty_database_url: str) -> None:
    # given a database without any table, when `check` and then `migrate` run (each also
    # runs the coverage check), then neither fails on the missing calendar tables
    env = {**os.environ, "DATABASE_URL": empty_database_url, "PYTHONPATH": str(REPO)}
    run = [sys.executable, str(REPO / "manage.py")]
    check = subprocess.run([*run, "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert check.returncode == 0, check.stderr
    assert "Traceback" not in check.stderr
    migrate = subprocess.run(  # noqa: S603
        [*run, "migrate", "--no-input"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stderr
    assert "Applying core.0001" in migrate.stdout


# --------------------------------------------------------------------------- the override table


def enter_2027_schedule() -> CalendarYear:
    """A made-up schedule for 2027 as an administrator would enter it."""
    for i in range(1, 4):
        calendar_day_set(day=D(2027, 1, i), is_workday=False, name="元旦", source="测试安排")
    calendar_day_set(day=D(2027, 1, 4), is_workday=True, name="调休上班", source="测试安排")
    return calendar_year_set(year=2027, schedule_reference="测试安排", complete=True)


@pytest.mark.django_db
def test_override_makes_a_package_workday_a_holiday_at_once() -> None:
    # given Monday 2026-03-02, a working day for the package
    assert is_workday(D(2026, 3, 2))
    assert add_workdays(D(2026, 2, 27), 2) == D(2026, 3, 2)
    # when an administrator declares it a day off
    calendar_day_create(day=D(2026, 3, 2), is_workday=False, name="临时放假", source="测试通知")
    # then the very next call knows
    assert not is_workday(D(2026, 3, 2))
    assert add_workdays(D(2026, 2, 27), 2) == D(2026, 3, 3)
    info = day_info(D(2026, 3, 2))
    assert (info.source, info.name, info.reference) == (calendar.SOURCE_OVERRIDE, "临时放假", "测试通知")


@pytest.mark.django_db
def test_override_makes_a_package_holiday_a_workday_and_delete_restores_it() -> None:
    assert not is_workday(D(2026, 10, 5))
    row = calendar_day_create(day="2026-10-05", is_workday=True, name="调休上班", source="测试通知")
    assert is_workday(D(2026, 10, 5))
    assert add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 5)
    calendar_day_update(calendar_day=row, day=D(2026, 10, 6), is_workday=True, name="调休上班")
    assert not is_workday(D(2026, 10, 5)) and is_workday(D(2026, 10, 6))
    calendar_day_delete(calendar_day=row)
    assert not is_workday(D(2026, 10, 6))
    assert add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)


@pytest.mark.django_db
def test_one_entered_day_does_not_cover_a_year_but_a_complete_declaration_does() -> None:
    calendar_day_set(day=D(2027, 1, 1), is_workday=False, name="元旦")
    cover = coverage(2027)
    assert not cover.covered and cover.override_days == 1
    assert not is_workday(D(2027, 1, 1))  # the day itself still counts
    calendar_year_set(year=2027, schedule_reference="国办发明电〔2026〕X号", complete=False)
    assert not coverage(2027).covered
    row = calendar_year_set(year=2027, schedule_reference="国办发明电〔2026〕X号", complete=True)
    cover = coverage(2027)
    assert cover.covered and cover.by_table and cover.schedule_reference == "国办发明电〔2026〕X号"
    assert uncovered_years([2026, 2027]) == []
    calendar_year_delete(calendar_year=row)
    assert uncovered_years([2026, 2027]) == [2027]


@pytest.mark.django_db
def test_override_in_a_far_year_extends_the_tables() -> None:
    calendar_day_set(day=D(2090, 10, 2), is_workday=False, name="测试")
    assert not is_workday(D(2090, 10, 2))
    assert add_workdays(D(2090, 10, 1), 1) == D(2090, 10, 3)
    assert (
        workdays_between(D(2026, 1, 1), D(2090, 10, 3)) == workdays_between(D(2026, 1, 1), D(2090, 10, 1)) + 1
    )


@pytest.mark.django_db
def test_set_is_idempotent() -> None:
    calendar_day_set(day=D(2027, 10, 1), is_workday=False, name="国庆节")
    calendar_day_set(day=D(2027, 10, 1), is_workday=False, name="国庆节", source="国办发明电")
    assert CalendarDay.objects.filter(date=D(2027, 10, 1)).count() == 1
    assert CalendarDay.objects.get(date=D(2027, 10, 1)).source == "国办发明电"


@pytest.mark.django_db
def test_calls_do_not_query_the_database(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    add_workdays(D(2026, 1, 1), 1)
    with django_assert_num_queries(0):
        for i in range(5000):
            add_workdays(D(2026, 1, 1) + dt.timedelta(i % 700), i % 40)
            workdays_between(D(2026, 1, 1), D(2026, 1, 1) + dt.timedelta(i % 700))


@pytest.mark.django_db
def test_another_process_change_is_seen_through_the_cache_stamp(settings: Settings) -> None:
    settings.CALENDAR_VERSION_CHECK_SECONDS = 0  # check the stamp on every call for this test
    calendar.invalidate()
    assert is_workday(D(2026, 3, 2))
    # given another process wrote a row (no signal reaches this process) ...
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2026, 3, 2), is_workday=False, name="临时放假")])
    # ... this process keeps its tables while the stamp is unchanged
    assert is_workday(D(2026, 3, 2))
    # when that process bumps the stamp (as its commit does)
    cache.set(calendar.VERSION_CACHE_KEY, "written-by-another-process", timeout=None)
    # then this process rebuilds at its next check
    assert not is_workday(D(2026, 3, 2))


@pytest.mark.django_db
def test_stamp_is_not_read_on_every_call(settings: Settings) -> None:
    settings.CALENDAR_VERSION_CHECK_SECONDS = 3600
    calendar.invalidate()
    assert is_workday(D(2026, 3, 2))
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2026, 3, 2), is_workday=False, name="临时放假")])
    cache.set(calendar.VERSION_CACHE_KEY, "written-by-another-process", timeout=None)
    assert is_workday(D(2026, 3, 2))  # not before the next check, an hour away


@pytest.mark.django_db(transaction=True)
def test_commit_bumps_the_stamp_again_for_other_processes() -> None:
    with transaction.atomic():
        calendar_day_create(day=D(2026, 3, 2), is_workday=False, name="临时放假")
        during = cache.get(calendar.VERSION_CACHE_KEY)
        assert not is_workday(D(2026, 3, 2))
    # another process may have rebuilt from the committed rows between write and commit
    assert cache.get(calendar.VERSION_CACHE_KEY) != during
    assert not is_workday(D(2026, 3, 2))


@pytest.mark.django_db(transaction=True)
def test_rolled_back_override_leaves_no_trace() -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        calendar_day_create(day=D(2026, 3, 2), is_workday=False, name="临时放假")
        assert not is_workday(D(2026, 3, 2))  # the writer sees its own change
        raise Abort
    assert is_workday(D(2026, 3, 2))
    assert not CalendarDay.objects.exists()


# --------------------------------------------------------------------------- bad input


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day, code",
    [
        ("2027-02-30", CalendarErrorCode.DATE_INVALID),
        ("2027/10/01", CalendarErrorCode.DATE_INVALID),
        ("tomorrow", CalendarErrorCode.DATE_INVALID),
        ("", CalendarErrorCode.DATE_INVALID),
        (dt.datetime(2027, 10, 1, tzinfo=SHANGHAI), CalendarErrorCode.DATE_INVALID),
        (None, CalendarErrorCode.DATE_INVALID),
        ("1999-10-01", CalendarErrorCode.DATE_OUT_OF_RANGE),
        (D(2101, 1, 1), CalendarErrorCode.DATE_OUT_OF_RANGE),
    ],
)
def test_malformed_date_is_rejected_and_nothing_changes(day: object, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        calendar_day_create(day=day, is_workday=False, name="国庆节")  # type: ignore[arg-type]
    assert field_code(exc, "date") == code
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values, field, code",
    [
        ({"name": ""}, "name", CalendarErrorCode.NAME_REQUIRED),
        ({"name": "   "}, "name", CalendarErrorCode.NAME_REQUIRED),
        ({"name": "节" * 51}, "name", CalendarErrorCode.NAME_TOO_LONG),
        ({"source": "号" * 101}, "source", CalendarErrorCode.SOURCE_TOO_LONG),
        ({"is_workday": "no"}, "is_workday", CalendarErrorCode.WORKDAY_INVALID),
        ({"is_workday": None}, "is_workday", CalendarErrorCode.WORKDAY_INVALID),
    ],
)
def test_bad_fields_are_rejected_and_nothing_changes(
    values: dict[str, object], field: str, code: str
) -> None:
    args: dict[str, object] = {
        "day": D(2027, 10, 1),
        "is_workday": False,
        "name": "国庆节",
        "source": "",
    } | values
    with pytest.raises(ValidationError) as exc:
        calendar_day_create(**args)  # type: ignore[arg-type]
    assert field_code(exc, field) == code
    assert not CalendarDay.objects.exists()
    assert is_workday(D(2027, 10, 1))


@pytest.mark.django_db
def test_duplicate_date_is_rejected_and_the_entry_kept() -> None:
    calendar_day_create(day=D(2027, 10, 1), is_workday=False, name="国庆节")
    with pytest.raises(ValidationError) as exc:
        calendar_day_create(day="2027-10-01", is_workday=True, name="调休上班")
    assert field_code(exc, "date") == CalendarErrorCode.DAY_DUPLICATE
    assert "2027-10-01" in exc.value.messages[0]
    row = CalendarDay.objects.get()
    assert (row.is_workday, row.name) == (False, "国庆节")
    assert not is_workday(D(2027, 10, 1))


@pytest.mark.django_db
def test_moving_an_entry_onto_another_entry_is_rejected() -> None:
    calendar_day_create(day=D(2027, 10, 1), is_workday=False, name="国庆节")
    second = calendar_day_create(day=D(2027, 10, 2), is_workday=False, name="国庆节")
    with pytest.raises(ValidationError) as exc:
        calendar_day_update(calendar_day=second, day=D(2027, 10, 1), is_workday=True, name="调休")
    assert field_code(exc, "date") == CalendarErrorCode.DAY_DUPLICATE
    assert sorted(CalendarDay.objects.values_list("date", "is_workday")) == [
        (D(2027, 10, 1), False),
        (D(2027, 10, 2), False),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values, field, code",
    [
        ({"year": 1999}, "year", CalendarErrorCode.YEAR_INVALID),
        ({"year": "2027"}, "year", CalendarErrorCode.YEAR_INVALID),
        ({"year": True}, "year", CalendarErrorCode.YEAR_INVALID),
        ({"schedule_reference": ""}, "schedule_reference", CalendarErrorCode.YEAR_REFERENCE_REQUIRED),
        ({"schedule_reference": "号" * 101}, "schedule_reference", CalendarErrorCode.YEAR_REFERENCE_TOO_LONG),
        ({}, "complete", CalendarErrorCode.YEAR_NO_DAYS),  # 2031: not one holiday entered
    ],
)
def test_bad_year_declaration_is_rejected(values: dict[str, object], field: str, code: str) -> None:
    args: dict[str, object] = {
        "year": 2031,
        "schedule_reference": "国办发明电〔2030〕1号",
        "complete": True,
    } | values
    with pytest.raises(ValidationError) as exc:
        calendar_year_set(**args)  # type: ignore[arg-type]
    assert field_code(exc, field) == code
    assert not CalendarYear.objects.exists()
    assert not coverage(2031).covered


# --------------------------------------------------------------------------- admin


def changelist_on(client: Client, user: User, model: str, day: dt.date) -> str:
    """The admin change list of ``model`` as it renders on ``day`` (logged in that day)."""
    with at(day.year, day.month, day.day):
        client.force_login(user)
        response = client.get(reverse(f"admin:core_{model}_changelist"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_admin_changelist_warns_about_uncovered_years(admin_client: Client, admin_user: User) -> None:
    page = changelist_on(admin_client, admin_user, "calendarday", D(2026, 11, 21))
    assert "2027 年的节假日安排尚未录入" in page  # 2025 and 2026 are known to the package
    page = changelist_on(admin_client, admin_user, "calendaryear", D(2031, 6, 1))
    assert "2030、2031、2032 年的节假日安排尚未录入" in page


@pytest.mark.django_db
def test_admin_changelist_is_quiet_when_covered(admin_client: Client, admin_user: User) -> None:
    enter_2027_schedule()
    page = changelist_on(admin_client, admin_user, "calendarday", D(2026, 11, 21))
    assert "节假日安排尚未录入" not in page
    assert "调休上班" in page


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["2027-13-45", "2027/10/01", "10/01/2027", "下周一", ""])
def test_admin_form_rejects_malformed_date(admin_client: Client, bad: str) -> None:
    response = admin_client.post(
        reverse("admin:core_calendarday_add"),
        {"date": bad, "is_workday": "False", "name": "国庆节", "source": ""},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "date" in errors
    if bad:
        assert errors["date"] == ["请按 YYYY-MM-DD 格式填写日期，例如 2027-10-01。"]
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_admin_add_change_and_delete_go_live_at_once(admin_client: Client, admin_user: User) -> None:
    add = admin_client.post(
        reverse("admin:core_calendarday_add"),
        {"date": "2026-03-02", "is_workday": "False", "name": "临时放假", "source": "测试通知"},
    )
    assert add.status_code == 302
    row = CalendarDay.objects.get()
    assert row.updated_by == admin_user
    assert not is_workday(D(2026, 3, 2))

    duplicate = admin_client.post(
        reverse("admin:core_calendarday_add"), {"date": "2026-03-02", "is_workday": "True", "name": "调休"}
    )
    assert duplicate.status_code == 200
    assert duplicate.context["adminform"].form.errors["date"]
    assert CalendarDay.objects.count() == 1

    change = admin_client.post(
        reverse("admin:core_calendarday_change", args=[row.pk]),
        {"date": "2026-03-02", "is_workday": "True", "name": "调休上班", "source": ""},
    )
    assert change.status_code == 302
    assert is_workday(D(2026, 3, 2)) and CalendarDay.objects.get().name == "调休上班"

    delete = admin_client.post(reverse("admin:core_calendarday_delete", args=[row.pk]), {"post": "yes"})
    assert delete.status_code == 302
    assert not CalendarDay.objects.exists()
    assert is_workday(D(2026, 3, 2))


@pytest.mark.django_db
def test_admin_year_cannot_be_marked_complete_without_its_days(
    admin_client: Client, admin_user: User
) -> None:
    url = reverse("admin:core_calendaryear_add")
    data = {"year": "2031", "schedule_reference": "国办发明电〔2030〕1号", "complete": "on", "note": ""}
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["complete"]
    assert not CalendarYear.objects.exists()

    calendar_day_set(day=D(2031, 1, 1), is_workday=False, name="元旦")
    assert admin_client.post(url, data).status_code == 302
    assert coverage(2031).covered
    page = changelist_on(admin_client, admin_user, "calendaryear", D(2031, 6, 1))
    assert "2030、2032 年的节假日安排尚未录入" in page


@pytest.mark.django_db
def test_admin_shows_what_the_package_says(admin_client: Client) -> None:
    calendar_day_set(day=D(2026, 10, 5), is_workday=True, name="调休上班")
    calendar_day_set(day=D(2031, 10, 1), is_workday=False, name="国庆节")
    page = admin_client.get(reverse("admin:core_calendarday_changelist")).content.decode()
    assert "休息日" in page  # the package's 2026-10-05
    assert "无数据（按周一至周五）" in page  # 2031
