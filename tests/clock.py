"""The tests' clock: every test (but those that start other processes) runs at FIXED_NOW, ticking from there.

Factories and tests read "now" and "today" through the travelling clock (tests/conftest.py travels with
time-machine), never the machine's real date: a test gives the same answer on any day of the year, including a
Friday evening, a DST change or New Year's Eve. A test about a particular moment moves the clock itself
(`clock.move_to(...)` / `clock.shift(...)` on the `clock` fixture).
"""

from datetime import UTC, date, datetime

from django.utils import timezone

# A Monday morning in winter (Europe/London is on UTC), years away from any real date the suite runs on.
FIXED_NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def now() -> datetime:
    """The travelling clock's instant."""
    return timezone.now()


def today() -> date:
    """The travelling clock's date (UTC, as the server's)."""
    return timezone.now().date()
