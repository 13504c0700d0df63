"""What the admin's charts draw, read from the stored daily reports: one
product's closing on-hand (every warehouse) with its daily inbound and
confirmed units, and the platform's points per day. A day without a row moved
nothing: its closing is the day before's, its counters zero."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Sum

from . import days
from .models import PointDailyReport, StockDailyReport

DEFAULT_DAYS = 30
MAX_DAYS = 366


def chart_range(first: date | None, last: date | None) -> tuple[date, date]:
    """The range asked for, or the 30 days up to the last closed day; at most
    a year, never past the last closed day."""
    newest = days.last_closed_day()
    last = min(last or newest, newest)
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    first = max(min(first, last), last - timedelta(days=MAX_DAYS - 1))
    return first, last


def _series(label: str, kind: str, values: list[int]) -> dict:
    return {"label": label, "kind": kind, "values": values}


def product_chart(*, product_id, first: date, last: date) -> dict:
    labels = [day.isoformat() for day in days.days(first, last)]
    rows = StockDailyReport.objects.filter(product_id=product_id)
    # Each stock row's closing before the range: its latest report before it.
    closing: dict[int, int] = {}
    for row in (
        rows.filter(date__lt=first)
        .order_by("stock_id", "-date")
        .distinct("stock_id")
        .values("stock_id", "closing_on_hand")
    ):
        closing[row["stock_id"]] = row["closing_on_hand"]
    by_day: dict[date, list[dict]] = defaultdict(list)
    for row in rows.filter(date__range=(first, last)).values(
        "date", "stock_id", "closing_on_hand", "inbound", "confirmed"
    ):
        by_day[row["date"]].append(row)
    on_hand, inbound, confirmed = [], [], []
    for day in days.days(first, last):
        for row in by_day.get(day, ()):
            closing[row["stock_id"]] = row["closing_on_hand"]
        on_hand.append(sum(closing.values()))
        inbound.append(sum(row["inbound"] for row in by_day.get(day, ())))
        confirmed.append(sum(row["confirmed"] for row in by_day.get(day, ())))
    return {
        "labels": labels,
        "series": [
            _series("Closing on hand", "line", on_hand),
            _series("Inbound", "bar", inbound),
            _series("Confirmed (shipped)", "bar", confirmed),
        ],
    }


def points_chart(*, first: date, last: date) -> dict:
    totals = {
        row["date"]: row
        for row in PointDailyReport.objects.filter(date__range=(first, last))
        .values("date")
        .annotate(earned=Sum("earned"), used=Sum("used"), expired=Sum("expired"), net=Sum("net"))
    }
    span = list(days.days(first, last))

    def values(name: str) -> list[int]:
        return [int(totals[day][name]) if day in totals else 0 for day in span]

    return {
        "labels": [day.isoformat() for day in span],
        "series": [
            _series("Earned", "bar", values("earned")),
            _series("Used", "bar", values("used")),
            _series("Expired", "bar", values("expired")),
            _series("Net", "line", values("net")),
        ],
    }
