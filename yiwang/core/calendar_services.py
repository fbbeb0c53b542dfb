"""Writes to the calendar's override table (``CalendarDay``, ``CalendarYear``).

The admin, commands and tests all go through these functions. Every input is checked
before anything is written, so a rejected call changes nothing; each rejection is a
``ValidationError`` keyed by field with a stable code from ``CalendarErrorCode``. The
calendar's tables are refreshed by the models' save/delete signals.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import calendar
from yiwang.core.models import CalendarDay, CalendarYear

Actor = AbstractBaseUser | AnonymousUser | None

FIRST_YEAR = 2000
LAST_YEAR = 2100
NAME_MAX = CalendarDay._meta.get_field("name").max_length or 50
SOURCE_MAX = CalendarDay._meta.get_field("source").max_length or 100
REFERENCE_MAX = CalendarYear._meta.get_field("schedule_reference").max_length or 100


class CalendarErrorCode(StrEnum):
    DATE_INVALID = "calendar_date_invalid"
    DATE_OUT_OF_RANGE = "calendar_date_out_of_range"
    DAY_DUPLICATE = "calendar_day_duplicate"
    WORKDAY_INVALID = "calendar_workday_invalid"
    NAME_REQUIRED = "calendar_name_required"
    NAME_TOO_LONG = "calendar_name_too_long"
    SOURCE_TOO_LONG = "calendar_source_too_long"
    YEAR_INVALID = "calendar_year_invalid"
    YEAR_REFERENCE_REQUIRED = "calendar_year_reference_required"
    YEAR_REFERENCE_TOO_LONG = "calendar_year_reference_too_long"
    YEAR_NO_DAYS = "calendar_year_no_days"


def _error(field: str, message: str, code: CalendarErrorCode, **params: object) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code.value, params=params or None)})


def parse_day(value: dt.date | str) -> dt.date:
    """A calendar date from a ``date`` or an ISO ``YYYY-MM-DD`` string, within the years
    the table accepts; anything else is a ``ValidationError`` on the field ``date``."""
    day: dt.date | None = None
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):  # a moment is not a day
        day = value
    if day is None:
        raise _error(
            "date", _("Enter the date as YYYY-MM-DD, for example 2027-10-01."), CalendarErrorCode.DATE_INVALID
        )
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _error(
            "date",
            _("Calendar entries are accepted for the years %(first)d to %(last)d."),
            CalendarErrorCode.DATE_OUT_OF_RANGE,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return day


def validate_calendar_day(
    *,
    day: dt.date | str,
    is_workday: object,
    name: str,
    source: str = "",
    exclude_pk: int | None = None,
) -> tuple[dt.date, bool, str, str]:
    """Check one override day; return the cleaned (date, is_workday, name, source)."""
    errors: dict[str, list[ValidationError]] = {}
    when: dt.date | None = None
    try:
        when = parse_day(day)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if not isinstance(is_workday, bool):
        errors["is_workday"] = [
            ValidationError(
                _("Say whether the day is a working day or a day off."),
                code=CalendarErrorCode.WORKDAY_INVALID.value,
            )
        ]
    name = (name or "").strip()
    if not name:
        errors["name"] = [
            ValidationError(
                _("Give the day's name or reason, for example 春节 or 调休上班."),
                code=CalendarErrorCode.NAME_REQUIRED.value,
            )
        ]
    elif len(name) > NAME_MAX:
        errors["name"] = [
            ValidationError(
                _("The name may have at most %(max)d characters."),
                code=CalendarErrorCode.NAME_TOO_LONG.value,
                params={"max": NAME_MAX},
            )
        ]
    source = (source or "").strip()
    if len(source) > SOURCE_MAX:
        errors["source"] = [
            ValidationError(
                _("The source may have at most %(max)d characters."),
                code=CalendarErrorCode.SOURCE_TOO_LONG.value,
                params={"max": SOURCE_MAX},
            )
        ]
    if when is not None and "date" not in errors:
        clash = CalendarDay.objects.filter(date=when)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["date"] = [
                ValidationError(
                    _("There is already a calendar entry for %(date)s; change that entry instead."),
                    code=CalendarErrorCode.DAY_DUPLICATE.value,
                    params={"date": when.isoformat()},
                )
            ]
    if errors:
        raise ValidationError(errors)
    assert when is not None and isinstance(is_workday, bool)  # noqa: S101 (narrowing for the type checker)
    return when, is_workday, name, source


def _user(actor: Actor) -> User | None:
    """The acting user to record (anonymous or absent actors record nobody)."""
    return actor if isinstance(actor, get_user_model()) and actor.pk else None


@transaction.atomic
def calendar_day_create(
    *, day: dt.date | str, is_workday: bool, name: str, source: str = "", actor: Actor = None
) -> CalendarDay:
    """Add an override day; a date already in the table is rejected (``calendar_day_duplicate``)."""
    when, worked, name, source = validate_calendar_day(
        day=day, is_workday=is_workday, name=name, source=source
    )
    return CalendarDay.objects.create(
        date=when, is_workday=worked, name=name, source=source, updated_by=_user(actor)
    )


@transaction.atomic
def calendar_day_update(
    *,
    calendar_day: CalendarDay,
    day: dt.date | str,
    is_workday: bool,
    name: str,
    source: str = "",
    actor: Actor = None,
) -> CalendarDay:
    """Change an override day (its date too, unless the new date already has an entry)."""
    when, worked, name, source = validate_calendar_day(
        day=day, is_workday=is_workday, name=name, source=source, exclude_pk=calendar_day.pk
    )
    row = CalendarDay.objects.select_for_update().get(pk=calendar_day.pk)
    row.date, row.is_workday, row.name, row.source, row.updated_by = when, worked, name, source, _user(actor)
    row.save()
    return row


@transaction.atomic
def calendar_day_set(
    *, day: dt.date | str, is_workday: bool, name: str, source: str = "", actor: Actor = None
) -> CalendarDay:
    """Create or replace the override of one date (for entering a published schedule)."""
    when = parse_day(day)
    existing = CalendarDay.objects.select_for_update().filter(date=when).first()
    if existing is None:
        return calendar_day_create(day=when, is_workday=is_workday, name=name, source=source, actor=actor)
    return calendar_day_update(
        calendar_day=existing, day=when, is_workday=is_workday, name=name, source=source, actor=actor
    )


@transaction.atomic
def calendar_day_delete(*, calendar_day: CalendarDay, actor: Actor = None) -> None:
    """Remove an override: the date goes back to the package (or Monday to Friday)."""
    if CalendarDay.objects.filter(pk=calendar_day.pk).exists():
        calendar_day.delete()


def validate_calendar_year(
    *, year: object, schedule_reference: str, complete: bool, exclude_pk: int | None = None
) -> tuple[int, str]:
    """Check a year declaration; return the cleaned (year, schedule_reference)."""
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise _error(
            "year",
            _("The year must be a whole number from %(first)d to %(last)d."),
            CalendarErrorCode.YEAR_INVALID,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    reference = (schedule_reference or "").strip()
    if len(reference) > REFERENCE_MAX:
        raise _error(
            "schedule_reference",
            _("The schedule reference may have at most %(max)d characters."),
            CalendarErrorCode.YEAR_REFERENCE_TOO_LONG,
            max=REFERENCE_MAX,
        )
    if complete and not reference:
        raise _error(
            "schedule_reference",
            _(
                "Name the published schedule (for example 国办发明电〔2025〕7号) before marking the year complete."
            ),
            CalendarErrorCode.YEAR_REFERENCE_REQUIRED,
        )
    if (
        complete
        and not calendar.coverage(year).by_package
        and not CalendarDay.objects.filter(date__year=year, is_workday=False).exists()
    ):
        raise _error(
            "complete",
            _(
                "No holiday of %(year)d has been entered yet; enter the schedule's days first, "
                "then mark the year complete."
            ),
            CalendarErrorCode.YEAR_NO_DAYS,
            year=year,
        )
    return year, reference


@transaction.atomic
def calendar_year_set(
    *,
    year: int,
    schedule_reference: str = "",
    complete: bool = False,
    published_on: dt.date | None = None,
    note: str = "",
    actor: Actor = None,
) -> CalendarYear:
    """Create or change the declaration for ``year``. ``complete`` says the table now holds
    the year's whole published schedule, which makes the year count as covered."""
    year, reference = validate_calendar_year(
        year=year, schedule_reference=schedule_reference, complete=complete
    )
    row, _created = CalendarYear.objects.select_for_update().get_or_create(year=year)
    row.schedule_reference = reference
    row.complete = bool(complete)
    row.published_on = published_on
    row.note = note.strip()
    row.updated_by = _user(actor)
    row.save()
    return row


@transaction.atomic
def calendar_year_delete(*, calendar_year: CalendarYear, actor: Actor = None) -> None:
    """Remove a year declaration (its days stay in the table; the year is no longer covered)."""
    if CalendarYear.objects.filter(pk=calendar_year.pk).exists():
        calendar_year.delete()
