"""Settlement periods: calendar months of the business time zone
(apps/core/calendar.py), written "YYYY-MM" in the API and stored as the
month's first day. A month may be settled once it has closed: its end is
REPORTS_CLOSE_DELAY_SECONDS in the past, so that every transaction stamped
before its last midnight has committed."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.core.calendar import local_date, local_midnight
from apps.core.errors import ValidationFailed

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    month: date  # its first day
    starts_at: datetime  # UTC, inclusive
    ends_at: datetime  # UTC, exclusive

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_of(month: date) -> Period:
    month = month.replace(day=1)
    return Period(month, local_midnight(month), local_midnight(_next_month(month)))


def is_closed(period: Period, now: datetime | None = None) -> bool:
    delay = timedelta(seconds=settings.REPORTS_CLOSE_DELAY_SECONDS)
    return period.ends_at + delay <= (now or timezone.now())


def period_parse(text, *, field: str = "period") -> Period:
    """A closed month given as "YYYY-MM"; 400 naming `field` otherwise."""
    match = _PERIOD.match(text) if isinstance(text, str) else None
    if match is None or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 9998:
        raise ValidationFailed(details={field: ["A month written YYYY-MM, e.g. 2026-11."]})
    period = period_of(date(int(match[1]), int(match[2]), 1))
    if not is_closed(period):
        raise ValidationFailed(details={field: ["The month has not closed yet."]})
    return period


def previous_period(now: datetime | None = None) -> Period:
    """The month before the current one (beat settles it on the 1st)."""
    this_month = local_date(now or timezone.now()).replace(day=1)
    return period_of((this_month - timedelta(days=1)).replace(day=1))
