"""Reading the reports: pages, summaries and CSV rows, stored or live.

A request for one date that is not built (today, or a closed day beat has not
reached yet) is computed from the ledger now and marked provisional; a range
reads the stored days only. Both are ordered by (date, stock row) or (date,
user), so a walk through pages goes on where it was if the day is stored
meanwhile.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Q, Sum

from apps.core.pagination import JsonRow, Keyset, position_text
from apps.core.rendered import dumps
from apps.products.models import Warehouse

from . import services
from .models import PointDailyReport, ReportDay, ReportKind, StockDailyReport

MODELS = {ReportKind.STOCK: StockDailyReport, ReportKind.POINTS: PointDailyReport}
COUNTERS = {
    ReportKind.STOCK: services.STOCK.columns[2:],
    ReportKind.POINTS: services.POINTS.columns,
}


@dataclass(frozen=True)
class ReportQuery:
    date: dt.date | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    product_id: UUID | None = None
    warehouse_id: int | None = None
    user_id: int | None = None

    def live(self, kind: str) -> bool:
        """One date asked for, and it is not stored."""
        return self.date is not None and not report_day_built(kind=kind, day=self.date)


def report_day_built(*, kind: str, day: date) -> bool:
    return ReportDay.objects.filter(kind=kind, date=day).exists()


def warehouse_codes() -> dict[int, str]:
    return dict(Warehouse.objects.values_list("id", "code"))


def _render(kind: str, row: dict[str, Any], codes: dict[int, str], provisional: bool) -> dict:
    if kind == ReportKind.STOCK:
        head = {
            "date": position_text(row["date"]),
            "product_id": str(row["product_id"]),
            "warehouse": codes.get(row["warehouse_id"], ""),
        }
    else:
        head = {"date": position_text(row["date"]), "user_id": row["user_id"]}
    return {**head, **{name: row[name] for name in COUNTERS[kind]}, "provisional": provisional}


def _key(kind: str) -> str:
    return services.SPECS[kind].key


def _live_rows(kind: str, query: ReportQuery, **page) -> list[dict[str, Any]]:
    spec = services.SPECS[kind]
    filters = {
        "product_id": query.product_id,
        "warehouse_id": query.warehouse_id,
        "user_id": query.user_id,
    }
    rows = services.report_rows_live(
        kind=kind,
        day=query.date,
        filters={name: value for name, value in filters.items() if value is not None},
        **page,
    )
    names = ("date", spec.key, *spec.columns)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _stored(kind: str, query: ReportQuery):
    rows = MODELS[kind].objects.all()
    if query.date is not None:
        rows = rows.filter(date=query.date)
    if query.date_from is not None:
        rows = rows.filter(date__gte=query.date_from)
    if query.date_to is not None:
        rows = rows.filter(date__lte=query.date_to)
    for name in ("product_id", "warehouse_id", "user_id"):
        value = getattr(query, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    return rows


def report_page(kind: str, query: ReportQuery, keyset: Keyset) -> list[JsonRow]:
    """One page, ordered by (date, key), after the keyset's position."""
    key = _key(kind)
    codes = warehouse_codes() if kind == ReportKind.STOCK else {}
    provisional = query.live(kind)
    if provisional:
        after = keyset.after[1] if keyset.after is not None else None
        rows = _live_rows(
            kind, query, after=after, descending=keyset.descending, limit=keyset.limit
        )
    else:
        stored = _stored(kind, query)
        if keyset.after is not None:
            day, after = keyset.after
            if keyset.descending:
                stored = stored.filter(Q(date__lt=day) | Q(date=day, **{f"{key}__lt": after}))
            else:
                stored = stored.filter(Q(date__gt=day) | Q(date=day, **{f"{key}__gt": after}))
        sign = "-" if keyset.descending else ""
        rows = list(
            stored.order_by(f"{sign}date", f"{sign}{key}").values(
                "date", key, *services.SPECS[kind].columns
            )[: keyset.limit]
        )
    return [
        JsonRow(
            position_text(row["date"]), str(row[key]), dumps(_render(kind, row, codes, provisional))
        )
        for row in rows
    ]


def report_csv_rows(kind: str, query: ReportQuery) -> Iterator[dict]:
    """Every row the query selects, rendered as in a page, read in chunks."""
    codes = warehouse_codes() if kind == ReportKind.STOCK else {}
    key = _key(kind)
    if query.live(kind):
        after = None
        while True:
            rows = _live_rows(kind, query, after=after, limit=2000)
            for row in rows:
                yield _render(kind, row, codes, True)
            if len(rows) < 2000:
                return
            after = rows[-1][key]
    stored = (
        _stored(kind, query)
        .order_by("date", key)
        .values("date", key, *services.SPECS[kind].columns)
    )
    for row in stored.iterator(chunk_size=2000):
        yield _render(kind, row, codes, False)


def report_summary(kind: str, day: date) -> dict[str, Any]:
    """The day's counters summed over its rows, and how many products (or
    users) had any; live when the day is not stored."""
    counters = COUNTERS[kind]
    provisional = not report_day_built(kind=kind, day=day)
    if provisional:
        count, totals = services.report_summary_live(kind=kind, day=day)
    else:
        rows = MODELS[kind].objects.filter(date=day)
        sums = rows.aggregate(**{name: Sum(name) for name in counters})
        totals = {name: sums[name] or 0 for name in counters}
        field = "product_id" if kind == ReportKind.STOCK else "user_id"
        count = rows.values(field).distinct().count()
    label = "products" if kind == ReportKind.STOCK else "users"
    return {"date": day.isoformat(), **totals, label: count, "provisional": provisional}
