"""The business calendar: days and months of REPORTS_TIME_ZONE, as UTC instants.

Daily reports (apps/reports/days.py) and monthly settlements
(apps/companies/periods.py) cut the ledgers at the same local midnights, so a
day's report and its month's settlement agree about which side of midnight an
entry falls on, daylight-saving changes included.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings


def zone() -> ZoneInfo:
    return ZoneInfo(settings.REPORTS_TIME_ZONE)


def local_midnight(day: date) -> datetime:
    """The start of `day` in the business time zone, in UTC."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(zone()).date()
