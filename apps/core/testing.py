"""Helpers for tests that race real PostgreSQL transactions against each other."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import connection, connections


def run_concurrently(
    fn: Callable[[int], Any],
    *,
    threads: int,
    timeout: float = 60,
    connections_at_once: int | None = None,
) -> list[Any]:
    """Run fn(i) in `threads` threads released together by a barrier. Each thread has
    its own database connection and closes it. Returns the results (or exceptions)
    in thread order; fails if any thread is still running after `timeout` seconds,
    which is how a deadlock or a lost wake-up shows up.

    `connections_at_once` bounds how many threads hold a database connection at
    the same moment, for more threads than PostgreSQL's max_connections (100 by
    default, shared with other test runs) allows: after the barrier, each thread
    waits for a slot, runs fn, closes its connection and frees the slot. The
    threads still race: that many of them contend for the same rows at once."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads
    slots = threading.BoundedSemaphore(connections_at_once) if connections_at_once else None

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            with slots or nullcontext():
                try:
                    results[i] = fn(i)
                finally:
                    connections.close_all()
        except BaseException as exc:  # report it, do not hide it in the thread
            results[i] = exc
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in pool:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in pool)
    assert stuck == 0, f"{stuck} of {threads} threads still running after {timeout}s"
    return results


def wait_until_blocked_on_lock(*, count: int = 1, timeout: float = 10) -> None:
    """Wait until `count` other backends of this database wait on a lock (a row lock
    held by the caller's open transaction). Deterministic: no guessing with sleep."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            # Activity is snapshotted once per transaction; the caller may be in one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} backend(s) blocked on a lock within {timeout}s")
            time.sleep(0.01)


def run_on_embedded_default(
    tmp_path, *args: str, env: dict[str, str] | None = None
) -> "subprocess.CompletedProcess[str]":
    """`python *args` in a clean process on the embedded default, as `make run`
    starts: the local settings, a throwaway SQLite database and log directory
    in `tmp_path`, and none of this run's database, Redis, broker or Django
    variables; `env` adds to that."""
    prefixes = ("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EMBEDDED_", "TEST_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "LOG_DIR": str(tmp_path),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )


def env_of_test_database() -> dict[str, str]:
    """The environment of a process (gunicorn, a Celery worker) that works on
    this test run's database and Redis; a test starting one is transactional,
    so that the process sees what the test wrote."""
    database = connection.settings_dict
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": f"postgres://{database['USER']}@{host}:{port}/{database['NAME']}",
        "TEST_REDIS_URL": settings.REDIS_URL,
        "DATABASE_TRANSACTION_POOLING": str(settings.DATABASE_TRANSACTION_POOLING).lower(),
    }


def gunicorn_on_test_database(workers: int = 2):
    """gunicorn on this test run's database (a context manager yielding the
    server; stopped by its PID)."""
    from bench.stack import GunicornConfig, gunicorn

    return gunicorn(GunicornConfig(workers=workers), env=env_of_test_database())
