"""A settlement run on real Celery workers (separate processes, the real broker
and database): a worker killed mid-chunk, started again, and the run completes
with every company settled exactly once."""

import contextlib
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from apps.accounts.tests.helpers import UserFactory
from apps.companies.models import ChunkStatus, Settlement, SettlementChunk, SettlementRun
from apps.companies.periods import period_of
from apps.companies.services import settlement_run_start, settlement_runs_resume
from apps.companies.tests.helpers import october_companies, settlement_key_held
from apps.core.testing import env_of_test_database
from bench.stack import celery, kill_group
from config.celery_app import app

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
NOVEMBER = period_of(datetime(2026, 11, 1).date())
COMPANIES = 12


def _start_worker(log: Path) -> subprocess.Popen:
    """A worker of the batch queue, one process at a time, in its own process
    group (so that it and its child are killed together, and nothing else)."""
    return celery(
        "worker",
        *("-Q", "batch", "--concurrency", "1", "--loglevel", "INFO"),
        *("--without-gossip", "--without-mingle", "-n", f"settle-test-{uuid.uuid4().hex[:8]}@%h"),
        env=env_of_test_database(),
        log=log,
    )


def _wait_for(what, condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def broker():
    """Tasks go to the real broker (the suite runs them eagerly otherwise), on
    empty queues."""
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        for queue in ("sweeps", "batch", "celery"):
            with contextlib.suppress(Exception):  # a queue never declared yet
                conn.default_channel.queue_purge(queue)
    yield
    app.conf.task_always_eager = True


def test_a_worker_killed_mid_chunk_and_started_again_settles_every_company_once(
    settings, monkeypatch, broker, tmp_path
):
    settings.SETTLEMENT_CHUNK_SIZE = 1
    staff = UserFactory(is_staff=True)
    made = october_companies(COMPANIES, staff=staff, monkeypatch=monkeypatch)
    stuck = made[5]
    # Another transaction holds the sixth company's settlement key, uncommitted:
    # the worker's chunk for it waits on the unique index, mid-transaction.
    blocker = settlement_key_held(stuck, NOVEMBER.month)
    log = tmp_path / "worker.log"
    first = _start_worker(log)
    second = None
    try:
        run = settlement_run_start(period=NOVEMBER, requested_by_id=staff.pk)

        def stuck_mid_chunk() -> bool:
            run.refresh_from_db()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
                waiting = cursor.fetchone()[0]
            return run.companies_done == 5 and waiting == 1

        _wait_for("the worker to wait inside the sixth chunk", stuck_mid_chunk)

        # when the worker is killed mid-chunk (its transaction dies with it)
        kill_group(first)
        blocker.rollback()
        run.refresh_from_db()
        assert run.status == "running" and run.companies_done == 5
        chunk = SettlementChunk.objects.get(run=run, first_company_id=stuck.pk)
        assert chunk.status == ChunkStatus.PENDING
        assert not Settlement.objects.filter(company_id=stuck.pk).exists()

        # and started again, with the beat's resume job sending what was lost
        second = _start_worker(log)
        assert settlement_runs_resume(older_than=timedelta(0)) >= 1

        # then the run completes, every company settled exactly once
        _wait_for("the run to finish", lambda: _status(run) == "done")
        run.refresh_from_db()
        assert (run.companies_done, run.companies_total) == (COMPANIES, COMPANIES)
        assert Settlement.objects.filter(period=NOVEMBER.month).count() == COMPANIES
        assert sorted(Settlement.objects.values_list("company_id", flat=True)) == sorted(
            c.pk for c in made
        )
        assert run.totals["opening_free"] == sum(10 + i for i in range(COMPANIES))
        assert not SettlementChunk.objects.filter(run=run).exclude(status="done").exists()
    except BaseException:
        sys.stderr.write(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        kill_group(first)
        kill_group(second, signal.SIGTERM)
        blocker.close()


def _status(run: SettlementRun) -> str:
    run.refresh_from_db(fields=["status"])
    return run.status
