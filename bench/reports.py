"""`python -m bench.reports`: what building the daily reports and sweeping for
low stock cost on the bench database, against the bare GROUP BY.

    python -m bench.reports [--entries 1000000] [--users 10000] [--rounds 3]

- Stock: the seed's movements (2,000,000 inbound rows at 1M products) as one
  day: the builder's statement (`INSERT ... SELECT ... GROUP BY ... ON CONFLICT
  DO UPDATE`, opening from the balance table) and, in the same run, the bare
  `SELECT ... GROUP BY` of that day's ledger rows alone.
- Points: `--entries` point entries of `--users` users written in one day (earns
  and uses, free and paid), then the same two statements.
- Alerts: the low-stock sweep over every stock row (2,000,000 at 1M products),
  once with alerts to open (a tenth of the rows brought to their reorder point)
  and once more with nothing changed.

Everything runs inside one transaction that is rolled back at the end: the
bench database keeps no report, alert or entry of this run. The seed's day is
today, not a closed day, so the builder's statement is timed on the window of
its rows rather than through `report_build` (which refuses open days); it is
the statement `report_build` runs. Rounds alternate the two statements; the
figures are medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta

from .runner import setup_django

LABEL = date(2000, 1, 3)  # the label of the timed window; rolled back anyway


class Rollback(Exception):
    pass


def _timed(cursor, sql: str, params) -> tuple[float, int]:
    started = time.perf_counter()
    cursor.execute(sql, params)
    seconds = time.perf_counter() - started
    return seconds, cursor.rowcount


def _window(cursor, table: str):
    from apps.reports.days import Window

    cursor.execute(f"SELECT MIN(created_at), MAX(created_at), COUNT(*) FROM {table}")
    first, last, count = cursor.fetchone()
    if not count:
        sys.exit(f"{table} is empty: run `make bench-seed` first")
    return Window(LABEL, first, last + timedelta(microseconds=1)), count


def _compare(cursor, spec, window, rounds: int) -> dict:
    from apps.reports.services.build import insert_sql, window_params

    params = window_params(window)
    build, bare = [], []
    rows = 0
    for _ in range(rounds):
        cursor.execute("SAVEPOINT bench_round")
        seconds, rows = _timed(cursor, insert_sql(spec, from_balance=True), params)
        build.append(seconds)
        cursor.execute("ROLLBACK TO SAVEPOINT bench_round")
        seconds, _ = _timed(cursor, f"SELECT count(*) FROM ({spec.day_sql}) d", params)
        bare.append(seconds)
    return {"rows": rows, "build_s": statistics.median(build), "bare_s": statistics.median(bare)}


def _points_day(cursor, entries: int, users: int) -> None:
    """`entries` entries of `users` users (created here), all today: each user's
    entries are three earns (free or paid) for each use, so no balance goes
    below zero; after-values large enough for the CHECKs."""
    cursor.execute(
        """
        INSERT INTO accounts_user (password, is_superuser, email, is_staff, is_active,
                                   is_warehouse_admin, created_at, updated_at)
        SELECT '!', false, 'bench-report-' || n || '@bench.invalid', false, true, false,
               now(), now()
          FROM generate_series(1, %s) n
        ON CONFLICT (email) DO NOTHING
        """,
        [users],
    )
    cursor.execute(
        """
        INSERT INTO points_entry (user_id, type, amount, free_delta, paid_delta, free_after,
                                  paid_after, description, order_id, for_order,
                                  write_retries, write_locked, created_at)
        SELECT u.id,
               CASE WHEN mod(n / %s, 4) = 3 THEN 'use' ELSE 'earn' END,
               2,
               CASE WHEN mod(n / %s, 4) = 3 THEN -1 WHEN mod(n, 2) = 1 THEN 0 ELSE 2 END,
               CASE WHEN mod(n / %s, 4) = 3 THEN -1 WHEN mod(n, 2) = 1 THEN 2 ELSE 0 END,
               1000000, 1000000, '', '', false, 0, false, now()
          FROM generate_series(1, %s) n
          JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM accounts_user
                 WHERE email LIKE 'bench-report-%%') u ON u.k = mod(n, %s)
        """,
        [users, users, users, entries, users],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection, transaction
    from django.test import override_settings

    from apps.reports.services import POINTS, STOCK, stock_alerts_sweep

    results: dict[str, dict] = {}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            window, movements = _window(cursor, "stock_movement")
            print(f"stock: {movements:,} movements in the window", flush=True)
            results["stock"] = _compare(cursor, STOCK, window, args.rounds)
            started = time.perf_counter()
            _points_day(cursor, args.entries, args.users)
            written = time.perf_counter() - started
            cursor.execute("SELECT count(*) FROM points_entry WHERE created_at >= now()")
            (today,) = cursor.fetchone()
            print(f"points: {today:,} entries written in {written:.1f} s", flush=True)
            window, _ = _window(cursor, "points_entry")
            results["points"] = _compare(cursor, POINTS, window, args.rounds)
            cursor.execute("SELECT count(*) FROM stock_stock")
            (stock_rows,) = cursor.fetchone()
            cursor.execute(
                "UPDATE stock_stock SET reorder_point = on_hand - reserved WHERE mod(id, 10) = 0"
            )
            low = cursor.rowcount
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                sweeps = []
                for _ in range(2):
                    started = time.perf_counter()
                    sweep = stock_alerts_sweep()
                    sweeps.append((time.perf_counter() - started, sweep))
            results["alerts"] = {"stock_rows": stock_rows, "low": low, "sweeps": sweeps}
            raise Rollback
    except Rollback:
        pass
    for kind in ("stock", "points"):
        figures = results[kind]
        rate = figures["rows"] / figures["build_s"] if figures["build_s"] else 0
        ratio = figures["build_s"] / figures["bare_s"]
        print(
            f"{kind:<7} report of one day: {figures['rows']:,} rows in "
            f"{figures['build_s']:.2f} s ({rate:,.0f} rows/s); the bare GROUP BY alone "
            f"{figures['bare_s']:.2f} s; build / bare = {ratio:.2f}"
        )
    alerts = results["alerts"]
    for n, (seconds, sweep) in enumerate(alerts["sweeps"], 1):
        print(
            f"alerts  sweep {n} over {alerts['stock_rows']:,} stock rows: {seconds:.2f} s "
            f"({sweep.opened:,} opened, {sweep.closed:,} closed)"
        )
    print("rolled back: nothing of this run is left in the bench database")
    return 0


if __name__ == "__main__":
    sys.exit(main())
