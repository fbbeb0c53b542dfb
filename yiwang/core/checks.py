"""System checks of the core app (the calendar's coverage check is added by core.calendar)."""
