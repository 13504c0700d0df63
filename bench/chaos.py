"""`make chaos` (`python -m bench.chaos`): the real stack broken on purpose.

Starts everything of its own: a PostgreSQL cluster, PgBouncer in transaction
mode in front of it and a Redis, on spare ports in temporary directories
(bench/private.py), then gunicorn behind the nginx proxy, a Celery worker and
beat, all through that PgBouncer as compose runs them (migrate, the audit and
the checks go straight to PostgreSQL). A mixed load runs (browse,
reserve, confirm, cancel, pay, refund, claim the coupon drop, use points), and
one fault at a time is injected while it runs:

  web workers SIGKILLed, the Celery worker SIGKILLed, Redis killed for a while,
  PostgreSQL restarted and stopped for a while, PgBouncer SIGKILLed and
  started again, beat stopped (with holds falling due meanwhile: how long the
  sweep takes once it is back), 50 slow clients, and the log file on a full
  disk (/dev/full).

After each it prints the requests, the answers by class, how long answers other
than 2xx/4xx lasted, and the audit. At the end every 2xx the load received is
checked against the database (nothing answered and then lost), and the audit's
payments invariant ties every charge at the fake gateway to a paid order.

Not part of `make test` (about four minutes); the deterministic parts of each
fault are tests there (apps/core/tests/test_outages.py, test_proxy.py, ...).
Stops only the processes it started, by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests

from apps.core.demo import MUG

from . import ROOT
from .private import private_pgbouncer, private_postgres, private_redis
from .stack import GunicornConfig, SlowClients, celery, free_port, gunicorn, kill_group, proxy

PYTHON = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "Chaos-pass-2026"
ENDED = {"confirm": "confirmed", "cancel": "cancelled"}


def log(message: str) -> None:
    print(f"[chaos] {message}", file=sys.stderr, flush=True)


# --- the stack -------------------------------------------------------------------


class Stack:
    """The processes of production on the private database and Redis."""

    def __init__(self, exits: ExitStack, workdir: Path):
        self.exits = exits
        self.workdir = workdir
        self.postgres = exits.enter_context(private_postgres())
        self.bouncer = exits.enter_context(private_pgbouncer(self.postgres.port, pool_size=20))
        self.redis = exits.enter_context(private_redis())
        self.logs = workdir / "logs"
        self.logs.mkdir()
        self.env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            "BENCH_DATABASE_URL": self.postgres.url,
            "BENCH_REDIS_URL": f"{self.redis.url}/0",
            "BENCH_PRODUCTION_LOGS": "true",
            "LOG_DIR": str(self.logs),
            "EXPIRY_SWEEP_INTERVAL_SECONDS": "2",
            "RESERVATION_MIN_TTL_SECONDS": "1",  # holds that fall due within a phase
        }
        # The long-running processes, as compose runs them: through the pooler.
        self.pooled_env = {
            **self.env,
            "BENCH_DATABASE_URL": self.bouncer.url,
            "DATABASE_TRANSACTION_POOLING": "true",
        }
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo", "--force")
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.app_port, self.front_port = free_port(), free_port()
        self.start_web()
        self.start_worker()
        self.start_beat()

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def start_web(self, log_dir: Path | None = None) -> None:
        """gunicorn and the proxy, on the same ports each time (the load keeps
        its address across a restart)."""
        env = {**self.pooled_env, "LOG_DIR": str(log_dir or self.logs)}
        self.web_exits = ExitStack()
        self.app = self.web_exits.enter_context(
            gunicorn(GunicornConfig(workers=4), port=self.app_port, env=env)
        )
        self.front = self.web_exits.enter_context(proxy(self.app, port=self.front_port))
        self.exits.callback(self.web_exits.close)

    def stop_web(self) -> None:
        self.web_exits.close()

    def _celery(self, *args: str) -> subprocess.Popen:
        log = self.workdir / f"{args[0]}.log"
        return celery(*args, "--loglevel", "WARNING", env=self.pooled_env, log=log)

    def start_worker(self) -> None:
        self.worker = self._celery("worker", "-Q", "sweeps,batch,celery", "--concurrency", "2")
        self.exits.callback(kill_group, self.worker)

    def start_beat(self) -> None:
        schedule = self.workdir / "beat-schedule"
        self.beat = self._celery("beat", "--schedule", str(schedule))
        self.exits.callback(kill_group, self.beat)

    def web_workers(self) -> list[int]:
        found = subprocess.run(["pgrep", "-P", str(self.app.pid)], capture_output=True, text=True)
        return [int(pid) for pid in found.stdout.split()]

    def due_holds(self) -> int:
        """Holds still pending past their expiry (the sweeper's backlog)."""
        import psycopg

        with psycopg.connect(self.postgres.url.replace("postgres://", "postgresql://")) as conn:
            return conn.execute(
                "SELECT count(*) FROM reservations_reservation "
                "WHERE status = 'pending' AND expires_at < now()"
            ).fetchone()[0]

    def audit(self) -> tuple[bool, str]:
        done = self.manage("audit")
        lines = (done.stdout + done.stderr).strip().splitlines()
        verdict = lines[-1] if lines else "(no output)"
        violations = [line.strip() for line in lines if line.startswith("  - ")]
        return done.returncode == 0, "; ".join([verdict, *violations])


# --- the load --------------------------------------------------------------------


@dataclass
class Answer:
    at: float
    kind: str
    status: int | str  # an HTTP status, or the exception's name when none came


@dataclass
class Ledger:
    """Every answer, and what each 2xx said was done."""

    answers: list[Answer] = field(default_factory=list)
    done: list[tuple[str, str]] = field(default_factory=list)  # (what, id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status, done: tuple[str, str] | None = None) -> None:
        with self.lock:
            self.answers.append(Answer(time.monotonic(), kind, status))
            if done is not None:
                self.done.append(done)


class Shopper(threading.Thread):
    """One customer: browses, holds a mug, then pays (and sometimes refunds),
    confirms or cancels; claims the coupon drop; spends a point. Every write
    carries an Idempotency-Key, as the README tells clients."""

    def __init__(self, base_url: str, email: str, ledger: Ledger, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.email, self.ledger, self.stop = base_url, email, ledger, stop
        self.http = requests.Session()
        self.token = ""

    def call(self, kind: str, method: str, path: str, body=None):
        try:
            response = self.http.request(
                method,
                self.base + path,
                json=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
                timeout=10,
            )
        except requests.RequestException as exc:
            self.ledger.record(kind, type(exc).__name__)
            return None
        self.ledger.record(kind, response.status_code)
        return response

    def login(self) -> bool:
        response = self.call(
            "login", "POST", "/api/v1/auth/token/", {"email": self.email, "password": PASSWORD}
        )
        if response is not None and response.status_code == 200:
            self.token = response.json()["access"]
            return True
        return False

    def run(self) -> None:
        rng = random.Random(self.email)
        while not self.stop.is_set():
            if not self.token and not self.login():
                time.sleep(0.2)
                continue
            self.step(rng)

    def step(self, rng: random.Random) -> None:
        self.call("browse", "GET", "/api/v1/products/?page_size=5")
        held = self.call(
            "reserve",
            "POST",
            "/api/v1/reservations/",
            {"order_id": uuid.uuid4().hex, "lines": [{"product_id": MUG, "quantity": 1}]},
        )
        if held is not None and held.status_code == 201:
            hold = held.json()["id"]
            self.ledger.done.append(("reservation", hold))
            roll = rng.random()
            if roll < 0.5:
                self.pay(hold, refund=rng.random() < 0.3)
            else:
                action = "confirm" if roll < 0.75 else "cancel"
                ended = self.call(action, "POST", f"/api/v1/reservations/{hold}/{action}/")
                if ended is not None and ended.status_code == 200:
                    self.ledger.done.append((ENDED[action], hold))
        used = self.call("points", "POST", "/api/v1/points/use/", {"amount": 1, "description": "x"})
        if used is not None and used.status_code == 201:
            self.ledger.done.append(("points_use", str(used.json()["id"])))
        claimed = self.call("coupon", "POST", "/api/v1/coupons/1/issue/")
        if claimed is not None and claimed.status_code == 201:
            self.ledger.done.append(("coupon_issue", str(claimed.json()["id"])))

    def pay(self, hold: str, refund: bool) -> None:
        paid = self.call(
            "pay",
            "POST",
            "/api/v1/orders/",
            {"reservation_id": hold, "payment_method": "card", "payment_token": "tok_approve"},
        )
        if paid is None or paid.status_code != 201:
            return
        order = paid.json()
        self.ledger.done.append(("order_paid", order["id"]))
        if refund:
            cancelled = self.call(
                "refund", "POST", f"/api/v1/payments/{order['payment']['id']}/cancel/", {}
            )
            if cancelled is not None and cancelled.status_code == 200:
                self.ledger.done.append(("refunded", order["payment"]["id"]))


def login(base: str, email: str, password: str) -> str:
    """An access token of a demo user."""
    response = requests.post(
        f"{base}/api/v1/auth/token/", json={"email": email, "password": password}, timeout=10
    )
    response.raise_for_status()
    return response.json()["access"]


def create_shoppers(stack: Stack, count: int) -> list[str]:
    """Users with points, through the API's own sign-up and the staff's earn."""
    emails = [f"shopper{i}@chaos.example.com" for i in range(count)]
    base = stack.front.base_url
    staff = login(base, "staff@example.com", "demo-staff-2026")
    warehouse = login(base, "warehouse@example.com", "demo-warehouse-2026")
    # Enough mugs that the load never sells out (a sold-out 409 would hide faults).
    requests.post(
        f"{base}/api/v1/stock/inbound/",
        json={"product_id": MUG, "warehouse": "SEL-1", "quantity": 1_000_000, "reason": "chaos"},
        headers={"Authorization": f"Bearer {warehouse}"},
        timeout=10,
    ).raise_for_status()
    for email in emails:
        created = requests.post(
            f"{base}/api/v1/auth/signup/",
            json={"email": email, "password": PASSWORD, "password_confirm": PASSWORD},
            timeout=10,
        )
        requests.post(
            f"{base}/api/v1/points/earn/",
            json={"user_id": created.json()["id"], "amount": 100000, "kind": "free"}
            | {"description": "chaos"},
            headers={"Authorization": f"Bearer {staff}"},
            timeout=10,
        )
    return emails


# --- the faults ------------------------------------------------------------------


def fault_none(stack: Stack) -> str:
    return "nothing"


def fault_kill_web_workers(stack: Stack) -> str:
    workers = stack.web_workers()[:2]
    for pid in workers:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return f"SIGKILL to web workers {workers}"


def fault_kill_celery_worker(stack: Stack) -> str:
    kill_group(stack.worker)
    time.sleep(5)
    stack.start_worker()
    return "SIGKILL to the Celery worker, restarted 5 s later"


def fault_redis_down(stack: Stack) -> str:
    stack.redis.kill()
    time.sleep(15)
    stack.redis.start()
    return "Redis killed, started again 15 s later (empty)"


def fault_postgres_restart(stack: Stack) -> str:
    stack.postgres.restart("fast")
    return "PostgreSQL fast restart"


def fault_postgres_stopped(stack: Stack) -> str:
    stack.postgres.stop("fast")
    time.sleep(5)
    stack.postgres.start()
    return "PostgreSQL stopped 5 s"


def fault_pgbouncer_restart(stack: Stack) -> str:
    stack.bouncer.kill()
    time.sleep(3)
    stack.bouncer.start()
    return "PgBouncer SIGKILLed, started again 3 s later"


DUE_HOLDS = 100


def fault_beat_stopped(stack: Stack) -> str:
    """Beat down 20 s while DUE_HOLDS holds fall due; then how long until the
    sweeper has expired them all (the beat lock of a beat that died is held
    until its time to live ends, apps/core/beat.py)."""
    kill_group(stack.beat)
    token = login(stack.front.base_url, "customer@example.com", "demo-customer-2026")
    for _ in range(DUE_HOLDS):
        requests.post(
            f"{stack.front.base_url}/api/v1/reservations/",
            json={
                "order_id": uuid.uuid4().hex,
                "lines": [{"product_id": MUG, "quantity": 1}],
                "ttl_seconds": 2,
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).raise_for_status()
    time.sleep(20)
    stack.start_beat()
    returned = time.monotonic()
    due = -1
    while time.monotonic() - returned < 90:
        due = stack.due_holds()
        if due == 0:
            break
        time.sleep(0.5)
    swept = (
        f"swept {time.monotonic() - returned:.1f} s after it returned"
        if due == 0
        else (f"{due} still pending 90 s after it returned")
    )
    return f"beat stopped 20 s while {DUE_HOLDS} holds fell due; {swept}"


def fault_slow_clients(stack: Stack) -> str:
    slow = SlowClients(int(stack.front.base_url.rsplit(":", 1)[1]))
    time.sleep(12)
    slow.close()
    return "50 clients trickling their headers for 12 s"


def prepare_log_disk_full(stack: Stack) -> None:
    """Before the load: web restarted with its log file on a full disk."""
    full = stack.workdir / "full-logs"
    full.mkdir(exist_ok=True)
    with suppress(FileExistsError):
        (full / "app.log").symlink_to("/dev/full")
    stack.stop_web()
    stack.start_web(log_dir=full)


def fault_log_disk_full(stack: Stack) -> str:
    return "every log line written to a full disk (/dev/full: ENOSPC), the whole phase"


FAULTS = {
    "baseline": fault_none,
    "web-workers": fault_kill_web_workers,
    "celery-worker": fault_kill_celery_worker,
    "redis": fault_redis_down,
    "postgres-restart": fault_postgres_restart,
    "postgres-stop": fault_postgres_stopped,
    "pgbouncer": fault_pgbouncer_restart,
    "beat": fault_beat_stopped,
    "slow-clients": fault_slow_clients,
    "log-disk-full": fault_log_disk_full,
}


# Faults in place before the load starts (a restart the load should not see).
PREPARE = {"log-disk-full": prepare_log_disk_full}


@dataclass
class Phase:
    name: str
    fault: str
    requests: int
    classes: dict[str, int]
    disrupted_s: float
    other: dict[str, int]
    refused: dict[str, int]
    audit_ok: bool
    audit: str


def run_phase(stack: Stack, name: str, ledger: Ledger, shoppers: list[str], seconds: float):
    if name in PREPARE:
        PREPARE[name](stack)
    stop = threading.Event()
    first = len(ledger.answers)
    threads = [Shopper(stack.front.base_url, email, ledger, stop) for email in shoppers]
    for thread in threads:
        thread.start()
    time.sleep(3)
    fault = FAULTS[name](stack)
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    answers = ledger.answers[first:]
    classes = Counter(
        f"{a.status // 100}xx" if isinstance(a.status, int) else "no answer" for a in answers
    )
    bad = [a for a in answers if not isinstance(a.status, int) or a.status >= 500]
    other = Counter(f"{a.kind} {a.status}" for a in bad)
    refused = Counter(
        f"{a.kind} {a.status}"
        for a in answers
        if isinstance(a.status, int) and a.status // 100 == 4
    )
    disrupted = (bad[-1].at - bad[0].at) if bad else 0.0
    audit_ok, audit = stack.audit()
    return Phase(
        name,
        fault,
        len(answers),
        dict(classes),
        disrupted,
        dict(other),
        dict(refused),
        audit_ok,
        audit,
    )


# --- the end: every 2xx against the database ---------------------------------------


def verify(stack: Stack, ledger: Ledger) -> list[str]:
    """What each 2xx said was done, as the database has it now."""
    checks = {
        "reservation": "SELECT count(*) FROM reservations_reservation WHERE id = ANY(%s::uuid[])",
        "confirmed": "SELECT count(*) FROM reservations_reservation "
        "WHERE id = ANY(%s::uuid[]) AND status = 'confirmed'",
        "cancelled": "SELECT count(*) FROM reservations_reservation "
        "WHERE id = ANY(%s::uuid[]) AND status = 'cancelled'",
        "order_paid": "SELECT count(*) FROM payments_order "
        "WHERE id = ANY(%s::uuid[]) AND status IN ('paid', 'refunded')",
        "refunded": "SELECT count(*) FROM payments_payment "
        "WHERE id = ANY(%s::uuid[]) AND status = 'cancelled'",
        "points_use": "SELECT count(*) FROM points_entry WHERE id = ANY(%s::bigint[])",
        "coupon_issue": "SELECT count(*) FROM coupons_issue WHERE id = ANY(%s::bigint[])",
    }
    import psycopg

    lost = []
    by_kind: dict[str, list[str]] = {}
    for kind, identifier in ledger.done:
        by_kind.setdefault(kind, []).append(identifier)
    with psycopg.connect(stack.postgres.url.replace("postgres://", "postgresql://")) as conn:
        for kind, ids in sorted(by_kind.items()):
            found = conn.execute(checks[kind], (list(set(ids)),)).fetchone()[0]
            print(
                f"  {kind:14} {len(set(ids)):6} answered 2xx, {found:6} as answered in the database"
            )
            if found != len(set(ids)):
                lost.append(kind)
    return lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("faults", nargs="*", choices=[*FAULTS, []], help="default: all")
    parser.add_argument("--shoppers", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=12, help="load after each fault")
    args = parser.parse_args(argv)
    faults = args.faults or list(FAULTS)

    ledger = Ledger()
    phases = []
    with tempfile.TemporaryDirectory(prefix="chaos-") as directory, ExitStack() as exits:
        log("starting PostgreSQL, Redis, gunicorn behind nginx, a worker and beat")
        stack = Stack(exits, Path(directory))
        shoppers = create_shoppers(stack, args.shoppers)
        for name in ["baseline", *[f for f in faults if f != "baseline"]]:
            log(f"phase {name}")
            phases.append(run_phase(stack, name, ledger, shoppers, args.seconds))
            time.sleep(2)
        print(f"\n{'phase':18} {'requests':>8}  answers by class{'':22} {'disrupted':>9}  audit")
        for phase in phases:
            classes = " ".join(f"{k} {v}" for k, v in sorted(phase.classes.items()))
            other = (
                f" ({', '.join(f'{k} x{v}' for k, v in phase.other.items())})"
                if phase.other
                else ""
            )
            print(
                f"{phase.name:18} {phase.requests:8}  {classes:38} {phase.disrupted_s:8.1f}s  "
                f"{'ok' if phase.audit_ok else 'FAILED'}{other}"
            )
            print(f"{'':18} fault: {phase.fault}")
            top = sorted(phase.refused.items(), key=lambda item: -item[1])[:4]
            print(f"{'':18} 4xx: {', '.join(f'{k} x{v}' for k, v in top) or 'none'}")
        print("\nEvery 2xx against the database:")
        lost = verify(stack, ledger)
        audit_ok, audit = stack.audit()
        print(f"\nFinal audit: {audit}")
        report = {"phases": [phase.__dict__ for phase in phases], "lost": lost, "audit": audit}
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        out = ROOT / "bench" / "results" / f"chaos-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(report, indent=2))
        log(f"report: {out}")
    failed = lost or not audit_ok or not all(p.audit_ok for p in phases)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
