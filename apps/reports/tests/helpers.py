"""Ledger rows at chosen moments: the services run with the clock set (every
service stamps its rows with django.utils.timezone.now)."""

from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from unittest import mock
from zoneinfo import ZoneInfo


def moment(day: date, clock: str, zone: str = "UTC") -> datetime:
    """`clock` ("HH:MM") on `day` in `zone`, as an aware UTC datetime."""
    hours, minutes = (int(part) for part in clock.split(":"))
    local = datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


@contextmanager
def clock(at: datetime):
    """Run the block as if it were `at`."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield
