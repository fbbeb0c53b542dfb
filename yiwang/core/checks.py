"""System checks of the core app.

``core.W001``: the holiday schedule of this year (and from November, when the State
Council publishes it, of next year) is known neither to ``chinesecalendar`` nor to a
complete ``CalendarYear`` of the override table, so working days there fall back to
Monday to Friday. A warning, never an error: the site keeps working while an
administrator enters the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError
from django.utils.translation import gettext as _

from yiwang.core import calendar

CHECK_TAG = "yiwang"


@register(CHECK_TAG)
def check_calendar_coverage(
    app_configs: Sequence[AppConfig] | None = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    # The calendar reads the override table and, before ``migrate`` has created it (or
    # with no database at all), falls back to the package alone; catching here as well
    # keeps ``check`` and ``migrate`` usable whatever the database's state.
    try:
        missing = calendar.uncovered_years(calendar.watched_years())
    except DatabaseError:
        return []
    if not missing:
        return []
    return [
        CheckWarning(
            _(
                "The holiday schedule of %(years)s is not known; working days there are counted Monday to Friday."
            )
            % {"years": format_years(missing)},
            hint=_(
                "Enter the State Council's published schedule in the admin (calendar days), "
                "then mark the year complete (calendar years)."
            ),
            obj="yiwang.core.calendar",
            id="core.W001",
        )
    ]


def format_years(years: Sequence[int]) -> str:
    """``[2027, 2028]`` → "2027、2028" in Chinese, "2027, 2028" in English."""
    return _(", ").join(str(y) for y in years)
