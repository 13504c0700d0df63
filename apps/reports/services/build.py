"""Building the daily reports from the ledgers: one set-based statement per day
and report, never a loop over rows (docs/architecture.md, "Reports").

A day's rows are its ledger rows grouped by stock row (or user): the counters
are sums of the deltas by type, the opening is the running value at the day's
start, the closing the opening plus the day's change. The running value at a
day's start comes from the balance table (the values at the end of the report
cursor's day) plus whatever the ledger holds between that end and the start
(nothing, when the days are built in order); for a day at or before the
cursor (a rebuild), from the whole ledger before the day. So a day built twice
gives the same rows, and a day built while others are missing is still right.

Days are built in order. `reports_build_missing` (beat) builds every closed day
since the cursor, or since the ledger's first day; `report_build` builds or
rebuilds the days asked for. Each day is one transaction under the kind's
advisory lock: two builders never build at once, and the second finds the
day built.
"""

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.core.db import advisory_xact_lock
from apps.core.replica import reading_connection

from .. import days
from ..models import ReportCursor, ReportDay, ReportKind


@dataclass(frozen=True)
class Spec:
    """One kind of report: its ledger, the statement grouping a day of it, and
    where its rows and running values go."""

    kind: str
    ledger: str  # the ledger table
    covers: str  # which of its rows the report is about (SQL)
    key: str  # the column a row is per (stock_id, user_id)
    changes: tuple[tuple[str, str], ...]  # running value -> its delta in the ledger
    closing: tuple[str, ...]  # the report's columns holding those values at the day's end
    day_sql: str  # one day of the ledger, grouped by key: the counters and `<value>_change`
    columns: tuple[str, ...]  # the report's columns after date and key
    select_sql: str  # those columns, from `d` (the day) and `b` (the running values before)
    table: str
    balance_table: str

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.changes)


STOCK = Spec(
    kind=ReportKind.STOCK,
    ledger="stock_movement",
    covers="TRUE",
    key="stock_id",
    changes=(("on_hand", "on_hand_delta"), ("reserved", "reserved_delta")),
    closing=("closing_on_hand", "closing_reserved"),
    # The movement types' deltas (apps/ledger/models.py): on_hand moves by inbound,
    # adjust, confirm and return; reserved by reserve, release, expire and confirm.
    day_sql="""
        SELECT stock_id, product_id, warehouse_id,
               COALESCE(SUM(on_hand_delta) FILTER (WHERE type = 'inbound'), 0) AS inbound,
               COALESCE(SUM(on_hand_delta) FILTER (WHERE type = 'adjust'), 0) AS adjusted,
               COALESCE(SUM(reserved_delta) FILTER (WHERE type = 'reserve'), 0) AS reserved,
               COALESCE(-SUM(reserved_delta) FILTER (WHERE type = 'release'), 0) AS released,
               COALESCE(-SUM(reserved_delta) FILTER (WHERE type = 'expire'), 0) AS expired,
               COALESCE(-SUM(on_hand_delta) FILTER (WHERE type = 'confirm'), 0) AS confirmed,
               COALESCE(SUM(on_hand_delta) FILTER (WHERE type = 'return'), 0) AS returned,
               SUM(on_hand_delta) AS on_hand_change,
               SUM(reserved_delta) AS reserved_change
          FROM stock_movement
         WHERE created_at >= %(starts_at)s AND created_at < %(ends_at)s
         GROUP BY stock_id, product_id, warehouse_id
    """,
    columns=(
        "product_id",
        "warehouse_id",
        "opening_on_hand",
        "inbound",
        "adjusted",
        "reserved",
        "released",
        "expired",
        "confirmed",
        "returned",
        "closing_on_hand",
        "closing_reserved",
    ),
    select_sql="""
        d.product_id, d.warehouse_id, COALESCE(b.on_hand, 0) AS opening_on_hand, d.inbound,
        d.adjusted, d.reserved, d.released, d.expired, d.confirmed, d.returned,
        COALESCE(b.on_hand, 0) + d.on_hand_change AS closing_on_hand,
        COALESCE(b.reserved, 0) + d.reserved_change AS closing_reserved
    """,
    table="reports_stock_daily",
    balance_table="reports_stock_balance",
)

POINTS = Spec(
    kind=ReportKind.POINTS,
    ledger="points_entry",
    # Users' wallets; companies' are settled monthly (apps/companies).
    covers="user_id IS NOT NULL",
    key="user_id",
    changes=(("balance", "free_delta + paid_delta"),),
    closing=("closing_balance",),
    # Entry types (apps/points/models.py): an earn adds, a use and an expiry take,
    # a cancel compensates either way (signed).
    day_sql="""
        SELECT user_id,
               COALESCE(SUM(free_delta) FILTER (WHERE type = 'earn'), 0) AS earned_free,
               COALESCE(SUM(paid_delta) FILTER (WHERE type = 'earn'), 0) AS earned_paid,
               COALESCE(-SUM(free_delta + paid_delta) FILTER (WHERE type = 'use'), 0) AS used,
               COALESCE(SUM(free_delta + paid_delta) FILTER (WHERE type = 'cancel'), 0)
                   AS cancelled,
               COALESCE(-SUM(free_delta + paid_delta) FILTER (WHERE type = 'expire'), 0)
                   AS expired,
               SUM(free_delta + paid_delta) AS balance_change
          FROM points_entry
         WHERE created_at >= %(starts_at)s AND created_at < %(ends_at)s
           AND user_id IS NOT NULL  -- POINTS.covers
         GROUP BY user_id
    """,
    columns=(
        "earned_free",
        "earned_paid",
        "earned",
        "used",
        "cancelled",
        "expired",
        "net",
        "closing_balance",
    ),
    select_sql="""
        d.earned_free, d.earned_paid, d.earned_free + d.earned_paid AS earned, d.used,
        d.cancelled, d.expired, d.balance_change AS net,
        COALESCE(b.balance, 0) + d.balance_change AS closing_balance
    """,
    table="reports_points_daily",
    balance_table="reports_points_balance",
)

SPECS = {spec.kind: spec for spec in (STOCK, POINTS)}


# --- The statements -----------------------------------------------------------------


def _before_sql(spec: Spec, *, from_balance: bool) -> str:
    """The running values at the day's start of every key active that day: the
    balance table plus the ledger from its end (`from_balance`), or the whole
    ledger before the day."""
    active = f"{spec.key} IN (SELECT {spec.key} FROM d)"
    if not from_balance:
        sums = ", ".join(f"SUM({delta}) AS {value}" for value, delta in spec.changes)
        return (
            f"SELECT {spec.key}, {sums} FROM {spec.ledger} "
            f"WHERE created_at < %(starts_at)s AND {active} GROUP BY {spec.key}"
        )
    sums = ", ".join(f"SUM({value}) AS {value}" for value in spec.values)
    deltas = ", ".join(f"{delta} AS {value}" for value, delta in spec.changes)
    kept = ", ".join(spec.values)
    return (
        f"SELECT {spec.key}, {sums} FROM ("
        f"SELECT {spec.key}, {kept} FROM {spec.balance_table} WHERE {active} "
        f"UNION ALL SELECT {spec.key}, {deltas} FROM {spec.ledger} "
        f"WHERE created_at >= %(gap_from)s AND created_at < %(starts_at)s AND {active}"
        f") x GROUP BY {spec.key}"
    )


def _rows_sql(spec: Spec, *, from_balance: bool, tail: str = "") -> str:
    """The day's report rows: date, key, then the spec's columns."""
    return (
        f"WITH d AS ({spec.day_sql}), b AS ({_before_sql(spec, from_balance=from_balance)}) "
        f"SELECT %(date)s AS date, d.{spec.key}, {spec.select_sql} "
        f"FROM d LEFT JOIN b ON b.{spec.key} = d.{spec.key} WHERE true {tail}"
    )


def insert_sql(spec: Spec, *, from_balance: bool) -> str:
    """The one statement that stores a day: its rows, upserted on (date, key)."""
    columns = ", ".join(spec.columns)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in spec.columns)
    return (
        f"INSERT INTO {spec.table} (date, {spec.key}, {columns}) "
        f"{_rows_sql(spec, from_balance=from_balance)} "
        f"ON CONFLICT (date, {spec.key}) DO UPDATE SET {updates}"
    )


def window_params(window: days.Window, gap_from: datetime | None = None, **more) -> dict[str, Any]:
    ops = connection.ops
    return {
        "date": ops.adapt_datefield_value(window.date),
        "starts_at": ops.adapt_datetimefield_value(window.starts_at),
        "ends_at": ops.adapt_datetimefield_value(window.ends_at),
        "gap_from": ops.adapt_datetimefield_value(gap_from or window.starts_at),
        **more,
    }


def _advisory_lock(spec: Spec, *, wait: bool) -> bool:
    """The kind's build lock, until the transaction ends."""
    return advisory_xact_lock(f"reports:{spec.kind}", wait=wait)


def _execute(sql: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- Building -----------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    kind: str
    date: date
    rows: int
    seconds: float
    rebuilt: bool


def _start_cursor(spec: Spec, window: days.Window) -> ReportCursor:
    """No day built yet: the running values at the start of `window` from the
    whole ledger, and the cursor at the day before."""
    deltas = ", ".join(f"SUM({delta})" for _, delta in spec.changes)
    values = ", ".join(spec.values)
    updates = ", ".join(f"{value} = EXCLUDED.{value}" for value in spec.values)
    _execute(f"DELETE FROM {spec.balance_table}", {})
    _execute(
        f"INSERT INTO {spec.balance_table} ({spec.key}, {values}) "
        f"SELECT {spec.key}, {deltas} FROM {spec.ledger} "
        f"WHERE created_at < %(starts_at)s AND {spec.covers} "
        f"GROUP BY {spec.key} ON CONFLICT ({spec.key}) DO UPDATE SET {updates}",
        window_params(window),
    )
    return ReportCursor.objects.create(
        kind=spec.kind, date=window.date - timedelta(days=1), ends_at=window.starts_at
    )


def _build_day(spec: Spec, day: date) -> Built:
    """Build `day` (closed) inside the caller's transaction, under the kind's
    advisory lock.
    Days after the cursor are built in order, moving it; a day at or before it
    is rebuilt from the whole ledger before it."""
    started = clock.perf_counter()
    window = days.window(day)
    # The caller holds the kind's advisory lock, and only builders write the
    # cursor: a plain read is the current one.
    cursor = ReportCursor.objects.filter(kind=spec.kind).first()
    if cursor is None:
        cursor = _start_cursor(spec, window)
    rebuilt = day <= cursor.date
    if not rebuilt and day != cursor.date + timedelta(days=1):
        raise ValueError(f"{spec.kind} report of {day}: {cursor.date + timedelta(days=1)} first")
    rows = _execute(
        insert_sql(spec, from_balance=not rebuilt), window_params(window, gap_from=cursor.ends_at)
    )
    if not rebuilt:
        values = ", ".join(spec.values)
        updates = ", ".join(f"{value} = EXCLUDED.{value}" for value in spec.values)
        _execute(
            f"INSERT INTO {spec.balance_table} ({spec.key}, {values}) "
            f"SELECT {spec.key}, {', '.join(spec.closing)} FROM {spec.table} "
            f"WHERE date = %(date)s ON CONFLICT ({spec.key}) DO UPDATE SET {updates}",
            window_params(window),
        )
        cursor.date, cursor.ends_at = day, window.ends_at
        cursor.save(update_fields=["date", "ends_at"])
    seconds = clock.perf_counter() - started
    ReportDay.objects.update_or_create(
        kind=spec.kind,
        date=day,
        defaults={
            "starts_at": window.starts_at,
            "ends_at": window.ends_at,
            "rows": rows,
            "seconds": seconds,
            "built_at": timezone.now(),
        },
    )
    return Built(spec.kind, day, rows, seconds, rebuilt)


def _first_day(spec: Spec) -> date | None:
    """The day after the cursor, or the ledger's first day when none is built."""
    cursor = ReportCursor.objects.filter(kind=spec.kind).first()
    if cursor is not None:
        return cursor.date + timedelta(days=1)
    with connection.cursor() as db:
        db.execute(f"SELECT MIN(created_at) FROM {spec.ledger} WHERE {spec.covers}")
        (first,) = db.fetchone()
    if first is None:
        return None
    if isinstance(first, str):  # SQLite
        first = datetime.fromisoformat(first).replace(tzinfo=UTC)
    return days.local_date(first)


def reports_build_missing(
    *, kinds: tuple[str, ...] = tuple(SPECS), now: datetime | None = None
) -> list[Built]:
    """Every closed day not built yet, in order, for each kind (beat). A kind
    another builder holds is left to it."""
    last = days.last_closed_day(now)
    built: list[Built] = []
    for kind in kinds:
        spec = SPECS[kind]
        while True:
            with transaction.atomic():
                if not _advisory_lock(spec, wait=False):
                    break
                day = _first_day(spec)
                if day is None or day > last:
                    break
                built.append(_build_day(spec, day))
    return built


def report_build(
    *,
    kind: str,
    first: date,
    last: date,
    progress: Callable[[Built], None] | None = None,
) -> list[Built]:
    """Build (or rebuild) `first`..`last` of one kind, and every missing day
    before them since the cursor (with none built yet, start at `first`, from
    the whole ledger before it). Open days are refused (ValueError)."""
    spec = SPECS[kind]
    if last < first:
        raise ValueError("the range ends before it starts")
    if not days.is_closed(last):
        raise ValueError(f"{last} is not closed yet (reports are built for closed days)")
    built: list[Built] = []
    day = first
    while day <= last:
        with transaction.atomic():
            _advisory_lock(spec, wait=True)
            cursor = ReportCursor.objects.filter(kind=spec.kind).first()
            target = min(day, cursor.date + timedelta(days=1)) if cursor else day
            result = _build_day(spec, target)
        built.append(result)
        if progress is not None:
            progress(result)
        if target == day:
            day += timedelta(days=1)
    return built


# --- Reading a day that is not stored -----------------------------------------------


def _live_sql(kind: str, day: date, *, tail: str = "", **more) -> tuple[str, dict[str, Any]]:
    spec = SPECS[kind]
    cursor = ReportCursor.objects.filter(kind=kind).first()
    from_balance = cursor is not None and cursor.date < day
    params = window_params(
        days.window(day), gap_from=cursor.ends_at if from_balance else None, **more
    )
    return _rows_sql(spec, from_balance=from_balance, tail=tail), params


def report_rows_live(
    *,
    kind: str,
    day: date,
    filters: dict[str, Any] | None = None,
    after: int | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> list[tuple]:
    """The rows `day` has or would have, computed from the ledger now (today's,
    or a closed day not built yet): date, key, then the spec's columns, ordered
    by key, after `after` when given. `filters`: columns of the day (product_id,
    warehouse_id, user_id) and their values."""
    key = SPECS[kind].key
    tail = "".join(f"AND d.{column} = %({column})s " for column in filters or {})
    if after is not None:
        tail += f"AND d.{key} {'<' if descending else '>'} %(after)s "
    tail += f"ORDER BY d.{key}{' DESC' if descending else ''}"
    if limit is not None:
        tail += " LIMIT %(limit)s"
    sql, params = _live_sql(kind, day, tail=tail, after=after, limit=limit, **(filters or {}))
    with reading_connection().cursor() as db:
        db.execute(sql, params)
        # Sums come back as numeric on PostgreSQL: every counter is an integer.
        return [
            tuple(int(value) if isinstance(value, Decimal) else value for value in row)
            for row in db.fetchall()
        ]


def report_summary_live(*, kind: str, day: date) -> tuple[int, dict[str, int]]:
    """How many rows `day` has now, and its counters summed."""
    spec = SPECS[kind]
    counters = spec.columns[2:] if kind == ReportKind.STOCK else spec.columns
    rows_sql, params = _live_sql(kind, day)
    sums = ", ".join(f"COALESCE(SUM({name}), 0)" for name in counters)
    distinct = "product_id" if kind == ReportKind.STOCK else spec.key
    with reading_connection().cursor() as db:
        db.execute(f"SELECT COUNT(DISTINCT {distinct}), {sums} FROM ({rows_sql}) x", params)
        count, *values = db.fetchone()
    return count, dict(zip(counters, (int(value) for value in values), strict=True))
