"""`python -m bench.settlement`: a month's settlement of many companies, on
one and on two Celery worker processes, against one SQL statement doing the
whole aggregation alone.

    python -m bench.settlement [--companies 100000] [--entries-per-company 20]

Runs on a database of its own (`inventory_bench_settlement`, or
BENCH_SETTLEMENT_DATABASE_URL), created, migrated and seeded on first use
(with a progress bar): `--companies` companies, each charged paid points and
granted free ones in October 2026, then spending them in November 2026 (one
use a day, free and paid by turns, each with its allocation), so that November
holds about companies x (entries per company - 2) entries. Then, for November:

- the statement alone: the settlement's own INSERT ... SELECT over every
  company at once, in one transaction, rolled back;
- a run (`settlement_run_start`) on one worker process, then on two
  (`celery -A config worker -Q batch --concurrency N`), each from an empty
  period, timed from the start to the run's `finished_at`; the run's totals
  are checked against the statement's.

Figures: seconds, companies per second, the speed-up of two processes over one,
and each run against the statement alone. The machine has 2 cores: PostgreSQL
and the workers share them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from . import SETTINGS_MODULE
from .runner import log
from .stack import celery, kill_group

DATABASE_URL = os.environ.get(
    "BENCH_SETTLEMENT_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/inventory_bench_settlement",
)
PREFIX = "BENCH-"
OCTOBER = datetime(2026, 10, 15, tzinfo=UTC)
NOVEMBER = date(2026, 11, 1)
BATCH = 5_000  # companies per seeding statement


def _setup() -> None:
    os.environ["BENCH_DATABASE_URL"] = DATABASE_URL
    os.environ["REPORTS_TIME_ZONE"] = "UTC"
    from .runner import setup_django

    setup_django()


def _seeded(cursor) -> int:
    cursor.execute(
        "SELECT count(*) FROM companies_company WHERE registration_number LIKE %s",
        [PREFIX + "%"],
    )
    return cursor.fetchone()[0]


def _seed(companies: int, per_company: int) -> None:
    """Companies, wallets, October's charge and grant (their lots), November's
    uses (their allocations): set-based, BATCH companies per statement."""
    from django.db import connection, transaction

    from apps.products.management.commands.seed_catalog import Progress

    uses = per_company - 2
    free_uses, paid_uses = (uses + 1) // 2, uses // 2
    progress = Progress(sys.stdout, "companies", companies)
    for start in range(1, companies + 1, BATCH):
        stop = min(start + BATCH, companies + 1)
        with transaction.atomic(), connection.cursor() as cursor:
            params = {
                "start": start,
                "stop": stop,
                "prefix": PREFIX,
                "october": OCTOBER,
                "november": datetime(2026, 11, 1, tzinfo=UTC),
                "uses": uses,
                "free_left": 1000 - 10 * free_uses,
                "paid_left": 1000 - 10 * paid_uses,
            }
            cursor.execute(
                """
                CREATE TEMP TABLE batch ON COMMIT DROP AS
                WITH made AS (
                    INSERT INTO companies_company
                        (name, registration_number, is_active, created_at, updated_at)
                    SELECT 'Bench company ' || g, %(prefix)s || lpad(g::text, 7, '0'), true,
                           %(october)s, %(october)s
                      FROM generate_series(%(start)s, %(stop)s - 1) g
                    RETURNING id
                ) SELECT id FROM made
                """,
                params,
            )
            cursor.execute(
                """
                INSERT INTO points_wallet
                    (company_id, free_balance, paid_balance, version, created_at, updated_at)
                SELECT id, %(free_left)s, %(paid_left)s, %(uses)s + 2, %(october)s, %(october)s
                  FROM batch;
                INSERT INTO points_entry
                    (company_id, type, amount, free_delta, paid_delta, free_after, paid_after,
                     description, order_id, for_order, paid_amount, write_retries,
                     write_locked, created_at)
                SELECT id, 'earn', 1000, 1000, 0, 1000, 0, 'grant', '', false, NULL, 0, false,
                       %(october)s FROM batch
                UNION ALL
                SELECT id, 'earn', 1000, 0, 1000, 1000, 1000, 'charge', '', false, 1500.00, 0,
                       false, %(october)s + interval '1 second' FROM batch;
                INSERT INTO points_lot (company_id, entry_id, kind, amount, remaining)
                SELECT e.company_id, e.id, CASE WHEN e.free_delta > 0 THEN 'free' ELSE 'paid' END,
                       1000, CASE WHEN e.free_delta > 0 THEN %(free_left)s ELSE %(paid_left)s END
                  FROM points_entry e JOIN batch b ON b.id = e.company_id;
                """,
                params,
            )
            # Use k (1..uses): odd ones take 10 free points, even ones 10 paid;
            # after-values are the running balances.
            cursor.execute(
                """
                WITH made AS (
                    INSERT INTO points_entry
                        (company_id, type, amount, free_delta, paid_delta, free_after,
                         paid_after, description, order_id, for_order, write_retries,
                         write_locked, created_at)
                    SELECT b.id, 'use', 10,
                           CASE WHEN k %% 2 = 1 THEN -10 ELSE 0 END,
                           CASE WHEN k %% 2 = 0 THEN -10 ELSE 0 END,
                           1000 - 10 * ((k + 1) / 2), 1000 - 10 * (k / 2),
                           'use ' || k, '', false, 0, false,
                           %(november)s + (k - 1) * interval '1 day'
                                        + (b.id %% 86000) * interval '1 second'
                      FROM batch b CROSS JOIN generate_series(1, %(uses)s) k
                    RETURNING id, company_id, free_delta
                )
                INSERT INTO points_allocation (entry_id, lot_id, amount)
                SELECT m.id, l.id, 10
                  FROM made m
                  JOIN points_lot l ON l.company_id = m.company_id
                   AND l.kind = CASE WHEN m.free_delta < 0 THEN 'free' ELSE 'paid' END
                """,
                params,
            )
        progress.advance(stop - start)
    with connection.cursor() as cursor:
        log("VACUUM (ANALYZE)")
        cursor.execute("VACUUM (ANALYZE)")


def _statement_alone() -> tuple[float, int, dict]:
    """The settlement's statement over every company at once, rolled back."""
    from django.db import connection, transaction

    from apps.companies.models import SETTLEMENT_FIGURES as FIGURES
    from apps.companies.periods import period_of
    from apps.companies.services.settlement import _settle as settle_range

    period = period_of(NOVEMBER)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM companies_company")
        first, last = cursor.fetchone()
        started = time.perf_counter()
        rows = settle_range(period, first=first, last=last, run_id=None)
        seconds = time.perf_counter() - started
        cursor.execute(
            "SELECT "
            + ", ".join(f"SUM({name})" for name in FIGURES)
            + " FROM companies_settlement WHERE period = %s",
            [period.month],
        )
        totals = dict(zip(FIGURES, cursor.fetchone(), strict=True))
        transaction.set_rollback(True)
    return seconds, rows, totals


def _clear() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM companies_settlement WHERE period = %s;"
            "DELETE FROM companies_settlement_chunk WHERE run_id IN "
            "  (SELECT id FROM companies_settlement_run WHERE period = %s);"
            "DELETE FROM companies_settlement_run WHERE period = %s;",
            [NOVEMBER] * 3,
        )


def _worker(processes: int, log_file: Path) -> subprocess.Popen:
    return celery(
        "worker",
        *("-Q", "batch", "--concurrency", str(processes), "--loglevel", "WARNING"),
        *("--without-gossip", "--without-mingle", "-n", f"bench-settlement-{processes}@%h"),
        env={
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "BENCH_DATABASE_URL": DATABASE_URL,
            "REPORTS_TIME_ZONE": "UTC",
        },
        log=log_file,
    )


def _run(processes: int, log_file: Path) -> tuple[float, dict, int]:
    """A whole run on `processes` worker processes: seconds from the start to
    the run's end, its totals, its chunks."""
    import signal

    from apps.companies.models import SettlementRun
    from apps.companies.periods import period_of
    from apps.companies.services import settlement_run_start
    from config.celery_app import app

    _clear()
    with app.connection_for_write() as conn, contextlib.suppress(Exception):
        conn.default_channel.queue_purge("batch")  # a queue never declared yet: nothing
    worker = _worker(processes, log_file)
    try:
        time.sleep(3)  # the worker connects to the broker
        started = time.perf_counter()
        run = settlement_run_start(period=period_of(NOVEMBER), requested_by_id=None)
        while True:
            run = SettlementRun.objects.get(pk=run.pk)
            if run.status != "running":
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        if run.status != "done":
            raise SystemExit(f"the run ended {run.status}; see {log_file}")
        return seconds, run.totals, run.chunks_total
    finally:
        kill_group(worker, signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.settlement", description=__doc__)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--entries-per-company", type=int, default=20)
    parser.add_argument("--chunk-size", type=int, default=None, help="SETTLEMENT_CHUNK_SIZE")
    options = parser.parse_args(argv)
    if options.chunk_size:
        os.environ["SETTLEMENT_CHUNK_SIZE"] = str(options.chunk_size)
    _setup()
    from django.conf import settings
    from django.db import connection

    from .seed import ensure_database, manage

    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery_app import app

    app.conf.task_always_eager = False
    ensure_database()
    os.environ["BENCH_DATABASE_URL"] = DATABASE_URL
    manage("migrate", "--noinput", "-v", "0")
    with connection.cursor() as cursor:
        seeded = _seeded(cursor)
    if seeded < options.companies:
        if seeded:
            raise SystemExit(
                f"{seeded:,} bench companies exist, fewer than --companies; "
                f"drop the database ({DATABASE_URL}) to seed again"
            )
        log(f"seeding {options.companies:,} companies, {options.entries_per_company} entries each")
        _seed(options.companies, options.entries_per_company)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM points_entry WHERE company_id IS NOT NULL "
            "AND created_at >= '2026-11-01' AND created_at < '2026-12-01'"
        )
        in_month = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM companies_company")
        companies = cursor.fetchone()[0]
    log(
        f"{companies:,} companies, {in_month:,} entries in November 2026; "
        f"chunks of {settings.SETTLEMENT_CHUNK_SIZE:,}"
    )
    log_file = Path("/tmp") / f"bench-settlement-{os.getpid()}.log"
    alone, rows, expected = _statement_alone()
    log(f"statement alone: {rows:,} settlements in {alone:.2f} s")
    results = {}
    for processes in (1, 2):
        seconds, totals, chunks = _run(processes, log_file)
        mismatched = {
            name: (totals[name], expected[name])
            for name in expected
            if str(totals[name]) != str(expected[name])
        }
        if mismatched:
            raise SystemExit(f"run totals differ from the statement's: {mismatched}")
        results[processes] = seconds
        log(f"{processes} worker process(es): {chunks} chunks in {seconds:.2f} s")
    _clear()
    print()
    print(f"{'':<28}{'seconds':>9}{'companies/s':>14}{'vs statement':>14}")
    print(f"{'statement alone':<28}{alone:>9.2f}{companies / alone:>14,.0f}{'1.00x':>14}")
    for processes, seconds in results.items():
        label = f"run, {processes} worker process" + ("es" if processes > 1 else "")
        ratio = alone / seconds
        print(f"{label:<28}{seconds:>9.2f}{companies / seconds:>14,.0f}{ratio:>13.2f}x")
    print(f"speed-up of 2 processes over 1: {results[1] / results[2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
