"""Bulk loading into PostgreSQL with both cores: the standard recipe for millions of rows.

Per-row work dominates a large load: deferred foreign-key triggers queue and
check every row, every secondary index is updated row by row, and one backend
does all of it on one core. So, like `pg_restore --jobs`:

1. `drop_secondary_structures` drops the foreign keys and the secondary indexes
   of the tables (primary keys and unique constraints stay, and still guard);
2. the caller loads through several connections at once (`parallel`);
3. `restore_secondary_structures` builds the indexes, several at a time, each in
   one pass with a large maintenance_work_mem, then re-adds the foreign keys,
   each validated by one join.

Not one transaction: the caller restores in a `finally`, and documents that a
failed load leaves the rows its committed workers wrote.
"""

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connection


@dataclass(frozen=True)
class SecondaryStructures:
    foreign_keys: list[tuple[str, str, str]]  # table, name, definition
    indexes: list[tuple[str, str]]  # name, definition


def connect() -> psycopg.Connection:
    """A new connection to the default database, outside Django's management."""
    return psycopg.connect(**connection.get_connection_params(), autocommit=False)


def parallel(tasks: Sequence[Callable[[psycopg.Connection], Any]], *, jobs: int = 2) -> list:
    """Run each task with its own connection (committed when it returns), `jobs`
    at a time. The first failure is raised after every task has finished."""

    def run(task):
        with connect() as conn:  # commits on success, rolls back on error
            return task(conn)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return [future.result() for future in [pool.submit(run, task) for task in tasks]]


def drop_secondary_structures(tables: list[str]) -> SecondaryStructures:
    with connect() as conn, conn.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
            ORDER BY conrelid::regclass::text, conname
            """,
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return SecondaryStructures(foreign_keys=foreign_keys, indexes=indexes)


def restore_secondary_structures(
    saved: SecondaryStructures, *, jobs: int = 2, report: Callable[[str], None] = print
) -> None:
    def build(definition: str):
        def task(conn):
            with conn.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '1GB'")
                cursor.execute(definition)

        return task

    started = time.monotonic()
    # Largest first (GIN, then the multi-million-row tables), so the two
    # connections finish together.
    ordered = sorted(saved.indexes, key=lambda item: ("gin" not in item[1], item[0]))
    parallel([build(definition) for _, definition in ordered], jobs=jobs)
    report(f"{len(saved.indexes)} indexes rebuilt in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    # ADD FOREIGN KEY locks its table against itself: one at a time.
    with connect() as conn, conn.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for table, name, definition in saved.foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    report(
        f"{len(saved.foreign_keys)} foreign keys validated in {time.monotonic() - started:.1f} s"
    )
