"""Reads on a real streaming replica (apps/core/replica.py), from outside.

A private primary cluster, a hot standby made from it with pg_basebackup -R,
a private Redis and gunicorn serving with REPLICA_DATABASE_URL, all on spare
ports and stopped afterwards (bench/private.py). The replica's replay is paused
to make it lag, and the replica is stopped to make it fail; the shared
PostgreSQL is never touched.
"""

import os
import subprocess
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest
import requests

from apps.core.demo import MUG
from bench import ROOT
from bench.private import private_postgres, private_redis, private_replica
from bench.stack import GunicornConfig, gunicorn

MAX_LAG = 3.0
RETRY = 1.0


class Stack:
    def __init__(self, exits: ExitStack):
        self.exits = exits
        self.primary = exits.enter_context(private_postgres())
        redis = exits.enter_context(private_redis())
        self.env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            "BENCH_DATABASE_URL": self.primary.url,
            "BENCH_REDIS_URL": f"{redis.url}/0",
        }
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo", "--force")
        self.replica = exits.enter_context(private_replica(self.primary))
        self.base = self.serve(workers=2)
        self.tokens = {
            role: self.call(
                "POST",
                "/api/v1/auth/token/",
                json={"email": f"{role}@example.com", "password": f"demo-{role}-2026"},
            ).json()["access"]
            for role in ("staff", "warehouse", "customer")
        }

    def serve(self, workers: int, **settings: str) -> str:
        """gunicorn reading from the replica, stopped with the stack; its address."""
        server = self.exits.enter_context(
            gunicorn(
                GunicornConfig(workers=workers),
                env={
                    **self.env,
                    "REPLICA_DATABASE_URL": self.replica.url,
                    "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
                    "REPLICA_RETRY_SECONDS": str(RETRY),
                    **settings,
                },
            )
        )
        return server.base_url

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), "manage.py", *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def call(self, method: str, path: str, as_role: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {self.tokens[as_role]}"} if as_role else {}
        return requests.request(method, self.base + path, headers=headers, timeout=15, **kwargs)

    def replayed_all(self) -> bool:
        """The replica has replayed every transaction the primary committed.
        (The private primary commits asynchronously: a synchronous commit first
        flushes the WAL of every commit before it.)"""
        flushed = self.primary.sql(
            "SET synchronous_commit = on",
            "SELECT txid_current()",
            "SELECT pg_current_wal_flush_lsn()",
        ).split()[-1]
        return self.replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{flushed}'") == "t"

    def product(self, **fields) -> str:
        created = self.call(
            "POST",
            "/api/v1/products/",
            "staff",
            json={"sku": f"RPL-{uuid.uuid4().hex[:10]}", "name": "Replica lamp", "price": "9.00"}
            | fields,
        )
        assert created.status_code == 201, created.text
        return created.json()["id"]


def _eventually(condition, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s")


@pytest.fixture(scope="module")
def stack():
    with ExitStack() as exits:
        yield Stack(exits)


@pytest.fixture(autouse=True)
def audited(stack):
    yield
    stack.manage("audit")  # exits non-zero on a broken invariant, which fails the test


def test_catalog_availability_and_reports_read_the_replica_and_decisions_never(stack):
    _eventually(stack.replayed_all, 10)
    today = datetime.now(UTC).date()
    on_replica = [
        stack.call("GET", "/api/v1/products/"),
        stack.call("GET", "/api/v1/products/?q=mug"),
        stack.call("GET", f"/api/v1/products/{MUG}/"),
        stack.call("GET", f"/api/v1/products/{MUG}/availability/"),
        stack.call("POST", "/api/v1/stock/availability/", json={"product_ids": [MUG]}),
        stack.call("GET", f"/api/v1/reports/stock-daily/summary/?date={today}", "warehouse"),
        stack.call("GET", f"/api/v1/reports/points-daily/?date={today}", "staff"),
    ]
    for response in on_replica:
        assert response.status_code == 200, (response.url, response.text)
        assert response.headers["X-Read-From"] == "replica", response.url
        assert 0 <= float(response.headers["X-Replica-Lag"]) <= MAX_LAG
    # A CSV export streams after the view returns: it reads the primary, where
    # a failure midway cannot cut it short.
    export = stack.call("GET", f"/api/v1/reports/stock-daily/?date={today}&format=csv", "warehouse")
    assert export.status_code == 200 and export.headers["X-Read-From"] == "primary"
    hold = stack.call(
        "POST",
        "/api/v1/reservations/",
        "customer",
        json={"order_id": f"rpl-{uuid.uuid4()}", "lines": [{"product_id": MUG, "quantity": 1}]},
    )
    assert hold.status_code == 201, hold.text
    assert "X-Read-From" not in hold.headers
    own = stack.call("GET", f"/api/v1/reservations/{hold.json()['id']}/", "customer")
    assert own.status_code == 200 and "X-Read-From" not in own.headers


def test_a_paused_replay_lags_a_writer_reads_their_writes_and_reserve_decides_on_the_primary(
    stack,
):
    # A write just before the pause, replayed, and both web processes noting
    # (once a second) that the replica has all the primary flushed: the lag
    # then counts from their last note.
    stack.product()
    _eventually(stack.replayed_all, 10)
    for _ in range(15):
        assert stack.call("GET", "/api/v1/products/").headers["X-Read-From"] == "replica"
        time.sleep(0.1)
    stack.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        product = stack.product()
        inbound = stack.call(
            "POST",
            "/api/v1/stock/inbound/",
            "warehouse",
            json={"product_id": product, "warehouse": "SEL-1", "quantity": 5},
        )
        assert inbound.status_code == 201, inbound.text
        # The reservation is decided on the primary, which has the product and its stock.
        hold = stack.call(
            "POST",
            "/api/v1/reservations/",
            "customer",
            json={
                "order_id": f"rpl-{uuid.uuid4()}",
                "lines": [{"product_id": product, "quantity": 2}],
            },
        )
        assert hold.status_code == 201, hold.text

        # The writers read their own writes: on the primary, the replica not there yet.
        mine = stack.call("GET", f"/api/v1/products/{product}/", "staff")
        assert mine.status_code == 200 and mine.headers["X-Read-From"] == "primary"
        theirs = stack.call("GET", f"/api/v1/products/{product}/availability/", "customer")
        assert theirs.status_code == 200 and theirs.headers["X-Read-From"] == "primary"
        assert theirs.json()["reserved"] == 2

        # Anyone else reads the replica while its lag is allowed: the product is
        # not there yet, and the header says how old the answer may be.
        stale = stack.call("GET", f"/api/v1/products/{product}/")
        assert stale.headers["X-Read-From"] == "replica"
        assert stale.status_code == 404
        assert 0 <= float(stale.headers["X-Replica-Lag"]) <= MAX_LAG

        # Past the allowed lag, everyone reads the primary.
        fresh = _eventually(
            lambda: (
                (r := stack.call("GET", f"/api/v1/products/{product}/")).headers["X-Read-From"]
                == "primary"
                and r
            ),
            MAX_LAG + 5,
        )
        assert fresh.status_code == 200
    finally:
        stack.replica.sql("SELECT pg_wal_replay_resume()")

    # Replayed again: back on the replica, with the product.
    caught_up = _eventually(
        lambda: (
            (r := stack.call("GET", f"/api/v1/products/{product}/")).headers["X-Read-From"]
            == "replica"
            and r
        ),
        10,
    )
    assert caught_up.status_code == 200


def test_a_replica_that_is_down_sends_reads_to_the_primary_and_nothing_fails(stack):
    _eventually(stack.replayed_all, 10)
    warm = stack.call("GET", "/api/v1/products/")
    assert warm.headers["X-Read-From"] == "replica"
    stack.replica.stop("immediate")
    try:
        answers = [
            stack.call("GET", path)
            for _ in range(15)
            for path in ("/api/v1/products/", f"/api/v1/products/{MUG}/availability/")
        ]
        assert [r.status_code for r in answers] == [200] * len(answers)
        assert {r.headers["X-Read-From"] for r in answers} == {"primary"}
    finally:
        stack.replica.start()
    back = _eventually(
        lambda: stack.call("GET", "/api/v1/products/").headers["X-Read-From"] == "replica",
        RETRY + 15,
    )
    assert back


def test_a_read_the_replica_fails_midway_runs_again_on_the_primary(stack):
    # One process that trusts its last look at the replica for a minute (and
    # any lag): the replica goes down between that look and the read, which
    # then fails.
    base = stack.serve(workers=1, REPLICA_CHECK_SECONDS="60", REPLICA_MAX_LAG_SECONDS="3600")
    _eventually(stack.replayed_all, 10)
    path = f"/api/v1/products/{MUG}/availability/"
    warm = requests.get(base + path, timeout=15)
    assert warm.headers.get("X-Read-From") == "replica", warm.headers
    stack.replica.stop("immediate")
    try:
        retried = requests.get(base + path, timeout=15)
        assert retried.status_code == 200, (retried.headers, retried.text)
        assert retried.headers["X-Read-From"] == "primary", retried.headers
        assert retried.json()["product_id"] == MUG
        listed = requests.get(base + "/api/v1/products/", timeout=15)
        assert listed.status_code == 200, (listed.headers, listed.text)
        assert listed.headers["X-Read-From"] == "primary", listed.headers
    finally:
        stack.replica.start()
