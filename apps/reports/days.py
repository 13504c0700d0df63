"""Report days: calendar days of REPORTS_TIME_ZONE and their windows in UTC.

A day runs from its local midnight to the next one, so across a daylight-saving
change it lasts 23 or 25 hours. A day is closed, and may be stored, once its
end is REPORTS_CLOSE_DELAY_SECONDS in the past: a transaction that stamped a
ledger row just before midnight has committed by then.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.core.calendar import local_date, local_midnight


@dataclass(frozen=True)
class Window:
    date: date
    starts_at: datetime  # UTC, inclusive
    ends_at: datetime  # UTC, exclusive


def window(day: date) -> Window:
    return Window(day, local_midnight(day), local_midnight(day + timedelta(days=1)))


def today(now: datetime | None = None) -> date:
    return local_date(now or timezone.now())


def last_closed_day(now: datetime | None = None) -> date:
    """The latest day whose end is at least the close delay in the past."""
    now = now or timezone.now()
    delay = timedelta(seconds=settings.REPORTS_CLOSE_DELAY_SECONDS)
    day = today(now) - timedelta(days=1)
    while window(day).ends_at + delay > now:
        day -= timedelta(days=1)
    return day


def is_closed(day: date, now: datetime | None = None) -> bool:
    return day <= last_closed_day(now)


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
