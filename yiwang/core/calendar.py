"""The working-day calendar (工作日历): working days, natural days and due dates.

Whether a date is a working day is decided, in this order, by

1. the override table (``CalendarDay``, edited in the admin when the State Council
   publishes a schedule or corrects one);
2. the ``chinesecalendar`` package (statutory holidays and make-up working weekends,
   调休; it covers 2004–2026 in version 1.11 and raises ``NotImplementedError`` for any
   other year, which is caught here);
3. Monday to Friday, for a year neither covers. Such a year is reported (system check
   ``core.W001``, the admin, the periodic task ``check_calendar_coverage``) but never
   makes anything crash.

A year counts as covered when the package covers it or a ``CalendarYear`` row declares
the table complete for it; entering a single day covers nothing.

Limits (DOMAIN.md, 行政许可法 §82): the day of receipt never counts, so an n-working-day
limit for something received on ``start`` ends on ``add_workdays(start, n)``: the n-th
working day after ``start``, whatever ``start`` itself is.

Speed: the answers come from tables precomputed once per process for a span of years
(the package's years, the override years, and up to ten years ahead): a working-day flag
per day, the running count of working days, and the sorted ordinals of the working
days. ``add_workdays`` and ``workdays_between`` are then a few list look-ups; outside the
span every day is Monday-to-Friday and is counted arithmetically, so every call is O(1).
The tables are rebuilt when override rows change: at once in the writing process (model
signals), and in other processes through a version stamp in Django's cache, read at most
once every ``CALENDAR_VERSION_CHECK_SECONDS`` (default 5) seconds, never once per call.

All functions take ``datetime.date`` values meaning local (Asia/Shanghai) dates; passing a
``datetime`` is a ``TypeError`` (convert with ``timezone.localdate(moment)`` first).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# The values of ``catalog.LimitUnit`` (core cannot import catalog, which builds on core).
WORKING_DAYS = "working"
NATURAL_DAYS = "natural"
LIMIT_UNITS: tuple[str, ...] = (WORKING_DAYS, NATURAL_DAYS)

# Where a day's status comes from (``DayInfo.source``).
SOURCE_OVERRIDE = "override"
SOURCE_PACKAGE = "package"
SOURCE_WEEKDAY = "weekday"

VERSION_CACHE_KEY = "yiwang:core:calendar:version"
DEFAULT_CHECK_SECONDS = 5.0
_PROBE_FIRST_YEAR = 1990  # the package starts at 2004; probing a few earlier years costs nothing
_YEARS_AHEAD = 10
_UNAVAILABLE = "\x00unavailable"  # version of tables built without the override rows: never current
_DATE = dt.date
_DATE_FROMORDINAL = dt.date.fromordinal


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class DayInfo:
    date: dt.date
    is_workday: bool
    name: str  # "春节", an admin's reason, or "" for an ordinary day
    source: str  # SOURCE_OVERRIDE, SOURCE_PACKAGE or SOURCE_WEEKDAY
    reference: str = ""  # the notice an override cites

    @property
    def is_makeup_workday(self) -> bool:
        """A Saturday or Sunday that is worked (调休上班)."""
        return self.is_workday and self.date.weekday() >= 5

    @property
    def is_holiday(self) -> bool:
        """A Monday-to-Friday day that is not worked (statutory holiday or 调休 day off)."""
        return not self.is_workday and self.date.weekday() < 5


@dataclass(frozen=True)
class YearCoverage:
    year: int
    by_package: bool  # chinesecalendar knows the year
    by_table: bool  # a CalendarYear row declares the override table complete for the year
    schedule_reference: str  # from that CalendarYear row, if any
    override_days: int  # CalendarDay rows in the year

    @property
    def covered(self) -> bool:
        return self.by_package or self.by_table


def is_workday(d: dt.date) -> bool:
    if d.__class__ is not _DATE:
        _check_date(d)
    t = _current()
    i = d.toordinal() - t.base
    if 0 <= i < t.size:
        return t.flags[i] == 1
    return d.weekday() < 5


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The n-th working day after ``start`` (``start`` never counts; ``n == 0`` → ``start``).

    This is the due date of an n-working-day limit for something received on ``start``,
    which may itself be a holiday or a weekend: 2025-09-30 + 1 → 2025-10-09 (National Day).
    A negative ``n`` mirrors it: the |n|-th working day before ``start`` (again ``start``
    never counts), e.g. "the last working day before the deadline" is ``add_workdays(d, -1)``.

    For every ``start`` and ``n >= 0``: ``workdays_between(start, add_workdays(start, n)) == n``.
    Raises ``OverflowError`` beyond the years 1–9999.
    """
    if start.__class__ is not _DATE:
        _check_date(start)
    t = _current()
    o = start.toordinal()
    if n > 0:
        i = o - t.base
        if 0 <= i < t.size:
            k = t.cum[i] + n
            if k <= t.total:
                return _DATE_FROMORDINAL(t.workdays[k - 1])
        k = _rank(t, o) + n
    elif n < 0:
        k = _rank(t, o - 1) + n + 1
    else:
        return start
    return _fromordinal(_locate(t, k))


def workdays_between(a: dt.date, b: dt.date) -> int:
    """The number of working days in (a, b]; minus the number in (b, a] when b < a; 0 when equal.

    ``a`` never counts, ``b`` does: the working days used of a limit received on ``a``, as
    of the end of day ``b``.
    """
    if a.__class__ is not _DATE or b.__class__ is not _DATE:
        _check_date(a)
        _check_date(b)
    t = _current()
    ia = a.toordinal() - t.base
    ib = b.toordinal() - t.base
    if 0 <= ia < t.size and 0 <= ib < t.size:
        return t.cum[ib] - t.cum[ia]
    return _rank(t, ib + t.base) - _rank(t, ia + t.base)


def next_workday(d: dt.date, *, include_self: bool = False) -> dt.date:
    """The first working day after ``d`` (or ``d`` itself when ``include_self`` and it is one)."""
    if include_self and is_workday(d):
        return d
    return add_workdays(d, 1)


def add_natural_days(start: dt.date, n: int) -> dt.date:
    """Due date of an n-natural-day (自然日) limit for something received on ``start``.

    The period is ``start + n`` days (the day of receipt does not count). Per 民法典 §203
    (and 民事诉讼法 §85), when the last day is a statutory rest day (法定休假日: statutory
    holidays and ordinary weekends that are not make-up working days), the period ends on
    the first working day after it: 2025-09-26 + 5 = 2025-10-01 → 2025-10-09.
    ``n == 0`` returns ``start``; a negative ``n`` is plain date arithmetic (no adjustment).
    """
    _check_date(start)
    if n <= 0:
        return start + dt.timedelta(days=n)
    due = start + dt.timedelta(days=n)
    return due if is_workday(due) else add_workdays(due, 1)


def add_days(start: dt.date, n: int, unit: str) -> dt.date:
    """``add_workdays`` or ``add_natural_days`` by ``unit`` (``catalog.LimitUnit``: "working" / "natural")."""
    if unit == WORKING_DAYS:
        return add_workdays(start, n)
    if unit == NATURAL_DAYS:
        return add_natural_days(start, n)
    raise ValueError(f"unknown limit unit {unit!r}; expected one of {LIMIT_UNITS}")


def due_date(start: dt.date, n: int, unit: str) -> dt.date:
    """The due date of an ``n``-day limit in ``unit`` for something received on ``start``."""
    return add_days(start, n, unit)


def days_between(a: dt.date, b: dt.date, unit: str) -> int:
    """Days of ``unit`` in (a, b], negative when b < a: the part of a limit used by day ``b``."""
    if unit == WORKING_DAYS:
        return workdays_between(a, b)
    if unit == NATURAL_DAYS:
        _check_date(a)
        _check_date(b)
        return (b - a).days
    raise ValueError(f"unknown limit unit {unit!r}; expected one of {LIMIT_UNITS}")


def day_info(d: dt.date) -> DayInfo:
    """Whether ``d`` is worked, why, and according to which source."""
    _check_date(d)
    t = _current()
    o = d.toordinal()
    override = t.overrides.get(o)
    if override is not None:
        return DayInfo(d, override[0], override[1], SOURCE_OVERRIDE, override[2])
    if d.year in t.package_years:
        return DayInfo(d, is_workday(d), t.package_names.get(o, ""), SOURCE_PACKAGE)
    return DayInfo(d, d.weekday() < 5, "", SOURCE_WEEKDAY)


def package_day(d: dt.date) -> bool | None:
    """What ``chinesecalendar`` alone says of ``d`` (working day?), None for a year it does
    not cover: the admin shows it beside each override."""
    _check_date(d)
    package = _package_year(d.year)
    return None if package is None else package[0][d.toordinal() - dt.date(d.year, 1, 1).toordinal()] == 1


def coverage(year: int) -> YearCoverage:
    t = _current()
    return YearCoverage(
        year=year,
        by_package=year in t.package_years,
        by_table=year in t.complete_years,
        schedule_reference=t.year_references.get(year, ""),
        override_days=t.override_counts.get(year, 0),
    )


def uncovered_years(years: Iterable[int]) -> list[int]:
    """Those of ``years`` (sorted, once each) whose holidays are known neither to the
    package nor to a complete override year: they fall back to Monday to Friday."""
    return sorted({y for y in years if not coverage(y).covered})


def watched_years(today: dt.date | None = None) -> list[int]:
    """The years whose schedule must be known by now: this year, and from November
    (when the State Council publishes it) also next year."""
    today = today or timezone.localdate()
    return [today.year, today.year + 1] if today.month >= 11 else [today.year]


def invalidate() -> None:
    """Forget the tables here and tell other processes (cache stamp) to rebuild theirs."""
    global _tables, _next_check, _generation
    _generation += 1
    _tables = None
    _next_check = 0.0
    _bump_stamp()


def rows_changed(sender: Any = None, *, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Signal receiver for saves and deletes of ``CalendarDay`` / ``CalendarYear``.

    Inside a transaction the writing thread sees its uncommitted rows in tables of its own
    (never shared, so a rollback cannot leak); the shared tables are invalidated now and
    again after the commit, when other processes can read the rows.
    """
    invalidate()
    conn = connections[using]
    if conn.in_atomic_block and conn.atomic_blocks:
        _local.dirty_block = conn.atomic_blocks[0]
        _local.dirty_alias = using
        _local.tables = None
        transaction.on_commit(_committed, using=using)


# --------------------------------------------------------------------------- tables


class _Tables:
    version: str | None
    __slots__ = (
        "base",
        "complete_years",
        "cum",
        "flags",
        "g_before",
        "g_end",
        "override_counts",
        "overrides",
        "package_names",
        "package_years",
        "size",
        "total",
        "version",
        "workdays",
        "year_references",
    )

    def __init__(
        self,
        *,
        first_year: int,
        last_year: int,
        overrides: dict[int, tuple[bool, str, str]],
        years: dict[int, tuple[bool, str]],
        version: str | None,
    ) -> None:
        self.base = dt.date(first_year, 1, 1).toordinal()
        flags = bytearray()
        names: dict[int, str] = {}
        package_years: set[int] = set()
        for year in range(first_year, last_year + 1):
            package = _package_year(year)
            if package is None:
                flags += _weekday_flags(year)
            else:
                flags += package[0]
                names.update(package[1])
                package_years.add(year)
        counts: dict[int, int] = {}
        for ordinal, (worked, _name, _ref) in overrides.items():
            flags[ordinal - self.base] = 1 if worked else 0
            year = dt.date.fromordinal(ordinal).year
            counts[year] = counts.get(year, 0) + 1
        self.flags = bytes(flags)
        self.size = len(flags)
        self.cum = list(itertools.accumulate(flags))
        self.workdays = [self.base + i for i, f in enumerate(flags) if f]
        self.total = len(self.workdays)
        self.g_before = _weekdays_upto(self.base - 1)
        self.g_end = _weekdays_upto(self.base + self.size - 1)
        self.overrides = overrides
        self.override_counts = counts
        self.package_names = names
        self.package_years = frozenset(package_years)
        self.complete_years = {y: ref for y, (complete, ref) in years.items() if complete}
        self.year_references = {y: ref for y, (_complete, ref) in years.items()}
        self.version = version


class _Local(threading.local):
    dirty_block: object | None = None  # the outermost atomic block holding uncommitted calendar writes
    dirty_alias: str = DEFAULT_DB_ALIAS
    tables: _Tables | None = None


_tables: _Tables | None = None
_next_check = 0.0
_generation = 0
_build_lock = threading.Lock()
_local = _Local()


def _current() -> _Tables:
    if _local.dirty_block is not None:
        return _dirty_tables()
    t = _tables
    if t is not None and time.monotonic() < _next_check:
        return t
    return _refresh(t)


def _refresh(t: _Tables | None) -> _Tables:
    global _tables, _next_check
    generation = _generation
    _next_check = time.monotonic() + float(
        getattr(settings, "CALENDAR_VERSION_CHECK_SECONDS", DEFAULT_CHECK_SECONDS)
    )
    stamp = _read_stamp(t)
    if t is not None and stamp == t.version:
        return t
    with _build_lock:
        latest = _tables
        if latest is not None and latest is not t and latest.version == stamp:
            return latest
        fresh = _build(stamp)
        _tables = fresh
        if generation != _generation:
            # Invalidated while building: the rows read may predate the change.
            _next_check = 0.0
        return fresh


def _dirty_tables() -> _Tables:
    loc = _local
    conn = connections[loc.dirty_alias]
    if conn.in_atomic_block and conn.atomic_blocks and conn.atomic_blocks[0] is loc.dirty_block:
        if loc.tables is None:
            loc.tables = _build(_UNAVAILABLE)
        return loc.tables
    # The transaction ended (committed or rolled back): back to the shared tables.
    loc.dirty_block = None
    loc.tables = None
    return _current()


def _committed() -> None:
    _local.dirty_block = None
    _local.tables = None
    invalidate()


def _build(stamp: str | None) -> _Tables:
    """Tables from the package and the override rows; ``stamp`` is the cache stamp read
    before the rows, so a change committed meanwhile shows as a newer stamp later."""
    rows = _load_rows()
    this_year = timezone.localdate().year
    years = [this_year, this_year + _YEARS_AHEAD, *_package_years()]
    overrides: dict[int, tuple[bool, str, str]] = {}
    year_rows: dict[int, tuple[bool, str]] = {}
    version: str | None = _UNAVAILABLE
    if rows is not None:
        overrides, year_rows = rows
        years += [dt.date.fromordinal(o).year for o in overrides]
        version = stamp
    return _Tables(
        first_year=min(years), last_year=max(years), overrides=overrides, years=year_rows, version=version
    )


def _load_rows() -> tuple[dict[int, tuple[bool, str, str]], dict[int, tuple[bool, str]]] | None:
    """The override rows, or None when the database cannot be read (no table yet before
    ``migrate``, no database, no database access in a pure unit test)."""
    from yiwang.core.models import CalendarDay, CalendarYear

    try:
        with transaction.atomic():
            days = list(CalendarDay.objects.values_list("date", "is_workday", "name", "source"))
            years = list(CalendarYear.objects.values_list("year", "complete", "schedule_reference"))
    except Exception as exc:
        logger.info("calendar overrides not readable (%s); using chinesecalendar and Mon–Fri", exc)
        return None
    overrides = {d.toordinal(): (bool(worked), name, source) for d, worked, name, source in days}
    return overrides, {y: (bool(complete), ref) for y, complete, ref in years}


def _read_stamp(t: _Tables | None) -> str | None:
    try:
        return cache.get(VERSION_CACHE_KEY)
    except Exception:
        logger.warning("calendar version stamp unreadable; keeping the current tables", exc_info=True)
        return t.version if t is not None else None


def _bump_stamp() -> None:
    try:
        cache.set(VERSION_CACHE_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning(
            "calendar version stamp not written; other processes see the change late", exc_info=True
        )


@functools.cache
def _package_years() -> tuple[int, ...]:
    last = max(dt.date.today().year, 2026) + _YEARS_AHEAD  # noqa: DTZ011 (a probing bound only)
    return tuple(y for y in range(_PROBE_FIRST_YEAR, last + 1) if _package_year(y) is not None)


@functools.cache
def _package_year(year: int) -> tuple[bytes, dict[int, str]] | None:
    """The package's working-day flags for each day of ``year`` and its holiday names
    (by ordinal; make-up working days carry the holiday's name), or None when the
    package does not cover the year.

    ``chinese_calendar.is_workday`` decides coverage (it raises ``NotImplementedError``
    for a year it has no data for); the days come from its exported ``holidays`` and
    ``workdays`` tables with the same precedence as ``is_workday`` (a listed working day
    is worked, a listed holiday is not, otherwise Monday to Friday). Calling
    ``is_workday`` for every day would cost a quarter of a second per process.
    """
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return None
    first = dt.date(year, 1, 1).toordinal()
    flags = bytearray(_weekday_flags(year))
    names: dict[int, str] = {}
    for table, worked in ((chinese_calendar.holidays, 0), (chinese_calendar.workdays, 1)):
        for day, holiday in table.items():
            if day.year == year:
                flags[day.toordinal() - first] = worked
                names[day.toordinal()] = _holiday_name(holiday)
    return bytes(flags), names


def _holiday_name(value: str) -> str:
    try:
        return str(chinese_calendar.Holiday(value).chinese)
    except ValueError:
        return value


@functools.cache
def _weekday_flags(year: int) -> bytes:
    first = dt.date(year, 1, 1).toordinal()
    days = dt.date(year + 1, 1, 1).toordinal() - first if year < 9999 else 365
    return bytes(1 if (first + i - 1) % 7 < 5 else 0 for i in range(days))


# --------------------------------------------------------------------------- arithmetic


def _weekdays_upto(o: int) -> int:
    """Monday-to-Friday days among ordinals 1..o (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(o, 7)
    return 5 * weeks + (rest if rest < 5 else 5)


def _nth_weekday(j: int) -> int:
    """The ordinal of the j-th Monday-to-Friday day counted from ordinal 1."""
    if j < 1:
        raise OverflowError("date value out of range")
    weeks, rest = divmod(j - 1, 5)
    return 7 * weeks + rest + 1


def _rank(t: _Tables, o: int) -> int:
    """Working days up to and including ordinal ``o``, counted from the span's start
    (zero or negative before it)."""
    i = o - t.base
    if 0 <= i < t.size:
        return t.cum[i]
    if i < 0:
        return _weekdays_upto(o) - t.g_before
    return t.total + _weekdays_upto(o) - t.g_end


def _locate(t: _Tables, k: int) -> int:
    """The ordinal of the working day of rank ``k`` (see ``_rank``)."""
    if 1 <= k <= t.total:
        return t.workdays[k - 1]
    if k > t.total:
        return _nth_weekday(t.g_end + k - t.total)
    return _nth_weekday(t.g_before + k)


def _fromordinal(o: int) -> dt.date:
    try:
        return dt.date.fromordinal(o)
    except ValueError:
        raise OverflowError("date value out of range") from None


def _check_date(d: object) -> None:
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(
            f"calendar functions take a local date, not {type(d).__name__}; use timezone.localdate(moment)"
        )
