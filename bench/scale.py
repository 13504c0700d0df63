"""`make bench-scale` (`python -m bench.scale`): how throughput grows with web
processes, and what PgBouncer's transaction mode and a read replica change.

Everything runs on services of its own (bench/private.py), never the machine's
PostgreSQL or Redis: a PostgreSQL primary seeded with BENCH_SCALE_PRODUCTS
products (100,000; bench/seed.py), a streaming replica of it, a PgBouncer in
transaction mode in front of each, and a Redis. The service runs in four setups:

- direct     gunicorn straight to the primary;
- unprepared straight to the primary, told DATABASE_TRANSACTION_POOLING=true:
             what transaction mode rules out (prepared statements, session
             settings) without the pooler's hop, so the two parts of its cost
             show apart;
- pgbouncer  through PgBouncer (transaction mode) to the primary;
- replica    as pgbouncer, plus REPLICA_DATABASE_URL: the reads the service may
             send to a replica (catalog, product, availability, reports) go
             through the second PgBouncer to the streaming replica.

For each number of gunicorn sync workers N (BENCH_SCALE_WORKERS, "1,2,4,8") and
each setup (BENCH_SCALE_SETUPS, all four), gunicorn starts afresh and four
endpoints run under wrk at max(8, 4 x N) connections, BENCH_SCALE_SECONDS (8)
each after a BENCH_SCALE_WARMUP (2 s) warm-up, through the harness of `python -m bench`
(bench.runner.run_scenario, without the SQL ceilings): the no-op endpoint, the
catalog's first page, one product's availability (1,000 products at random) and
the spread reserve-then-cancel (10,000 products). During each measured load the
transactions committed per second on the primary and on the replica
(pg_stat_database, approximate) and PgBouncer's CPU are taken; one request of
each read endpoint records the X-Read-From header the service answers with.

Prints a table per endpoint (rows N, columns the setups, the ratio pgbouncer /
direct and the ratio to the no-op of the same setup and N), then writes
bench/results/<run id>-scale.json and .png (throughput against N, one panel per
endpoint, a line per setup). Whatever ends the run (an error, Ctrl-C, SIGTERM),
what it started is stopped, by PID and process group. Exit status 1 when a
measurement failed, 130 when interrupted.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from unittest import mock

from . import seed
from .context import Context
from .machine import OtherCpu, machine_facts
from .model import Scenario, ScenarioFailed
from .pgbench import Database
from .private import (
    PrivatePostgres,
    PrivateReplica,
    private_pgbouncer,
    private_postgres,
    private_redis,
    private_replica,
)
from .report import BUSY_PERCENT, result_paths, write_json
from .runner import NOOP, Options, log, parse_levels, run_scenario, setup_django
from .scenarios import catalog, reservations, select
from .stack import GunicornConfig, gunicorn
from .wrk import WRK

SETUPS: dict[str, str] = {
    "direct": "gunicorn straight to the primary",
    "unprepared": (
        "straight to the primary with DATABASE_TRANSACTION_POOLING=true: no prepared "
        "statements nor session settings, no pooler"
    ),
    "pgbouncer": "through PgBouncer (transaction mode) to the primary",
    "replica": (
        "through PgBouncer to the primary; the replica's reads through a second "
        "PgBouncer (transaction mode) to the streaming replica"
    ),
}
WAREHOUSES = 5
MIN_CONNECTIONS = 8
CONNECTIONS_PER_WORKER = 4


@dataclass(frozen=True)
class Endpoint:
    key: str  # short, for the table and the chart
    scenario: str  # the scenario of bench/scenarios (or the runner's no-op)
    reads: bool  # the service may serve it from the replica


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("noop", NOOP.name, reads=False),
    Endpoint("catalog list", "catalog.list.first_page", reads=True),
    Endpoint("availability", "catalog.availability.one", reads=True),
    Endpoint("spread reserve", "reservations.spread.reserve_cancel", reads=False),
)


@dataclass(frozen=True)
class ScaleOptions:
    workers: tuple[int, ...] = (1, 2, 4, 8)
    seconds: float = 8.0
    warmup_s: float = 2.0
    products: int = 100_000
    setups: tuple[str, ...] = tuple(SETUPS)

    @classmethod
    def from_env(cls) -> ScaleOptions:
        default = cls()
        workers = os.environ.get("BENCH_SCALE_WORKERS")
        setups = os.environ.get("BENCH_SCALE_SETUPS")
        chosen = tuple(s.strip() for s in setups.split(",")) if setups else default.setups
        unknown = set(chosen) - set(SETUPS)
        if unknown:
            raise SystemExit(f"bench.scale: no setup {sorted(unknown)} (known: {list(SETUPS)})")
        return cls(
            setups=chosen,
            workers=parse_levels(workers) if workers else default.workers,
            seconds=float(os.environ.get("BENCH_SCALE_SECONDS", default.seconds)),
            warmup_s=float(os.environ.get("BENCH_SCALE_WARMUP", default.warmup_s)),
            products=int(os.environ.get("BENCH_SCALE_PRODUCTS", default.products)),
        )


def connections_for(workers: int) -> int:
    """wrk's connections: enough to keep every worker busy while a request's
    answer travels back and the next one arrives."""
    return max(MIN_CONNECTIONS, CONNECTIONS_PER_WORKER * workers)


# --- the services ----------------------------------------------------------------


@dataclass(frozen=True)
class Services:
    primary: PrivatePostgres
    replica: PrivateReplica
    bouncer_url: str  # the primary through its PgBouncer
    replica_bouncer_url: str  # the replica through its own
    bouncer_pgids: tuple[int, ...]  # process groups of the two PgBouncers

    def env(self, setup: str) -> dict[str, str]:
        """What the service is told about its databases in `setup`
        (config/settings/bench.py): each variable set, so nothing of the
        harness's own environment leaks into a setup."""
        env = {
            "BENCH_DATABASE_URL": self.primary.url,
            "REPLICA_DATABASE_URL": "",
            "DATABASE_TRANSACTION_POOLING": "false",
        }
        if setup in ("unprepared", "pgbouncer", "replica"):
            env["DATABASE_TRANSACTION_POOLING"] = "true"
        if setup in ("pgbouncer", "replica"):
            env["BENCH_DATABASE_URL"] = self.bouncer_url
        if setup == "replica":
            env["REPLICA_DATABASE_URL"] = self.replica_bouncer_url
        return env


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """What the block prints, its child processes' output too (migrate's list),
    goes to stderr: stdout keeps the report alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@contextmanager
def services(options: ScaleOptions) -> Iterator[Services]:
    """The private primary (migrated, seeded), Redis, replica and PgBouncers;
    each stopped, last started first, however the block ends."""
    with ExitStack() as exits:
        log("[scale] a private PostgreSQL and Redis")
        primary = exits.enter_context(private_postgres())
        redis = exits.enter_context(private_redis())
        # The harness (seeding, setups, checks) works on the primary directly,
        # never through a pooler nor on the replica.
        os.environ.update(
            {
                "BENCH_DATABASE_URL": primary.url,
                "BENCH_REDIS_URL": f"{redis.url}/0",
                "DATABASE_TRANSACTION_POOLING": "false",
            }
        )
        os.environ.pop("REPLICA_DATABASE_URL", None)
        log(f"[scale] seeding {options.products:,} products on the primary (port {primary.port})")
        with _stdout_to_stderr():
            seed.main([f"--products={options.products}", f"--warehouses={WAREHOUSES}"])
        log("[scale] a streaming replica, and a PgBouncer in front of each server")
        replica = exits.enter_context(private_replica(primary))
        bouncer = exits.enter_context(private_pgbouncer(primary.port))
        replica_bouncer = exits.enter_context(private_pgbouncer(replica.port))
        yield Services(
            primary=primary,
            replica=replica,
            bouncer_url=bouncer.url,
            replica_bouncer_url=replica_bouncer.url,
            bouncer_pgids=(bouncer.process.pid, replica_bouncer.process.pid),
        )


# --- what the databases did --------------------------------------------------------


COMMITS_SQL = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"


def _commits(ctx: Context, replica: PrivateReplica) -> tuple[int, int] | None:
    """Transactions committed so far in the bench database, on the primary and
    on the replica; None when either cannot be read (the figure is a hint: it
    must not fail the measurement it accompanies)."""
    try:
        (primary,) = ctx.query(COMMITS_SQL)[0]
        return int(primary), int(replica.sql(COMMITS_SQL) or 0)
    except Exception as exc:
        log(f"   (commits not read: {type(exc).__name__}: {exc})")
        return None


class DatabaseLoad:
    """What the databases did during the measured load of one scenario, taken by
    its before_load and after_load hooks (the runner calls them around every wrk
    run; the warm-up's is dropped): transactions committed per second on the
    primary and on the replica, from pg_stat_database (a busy backend reports
    about once a second, so within some percent), and the CPU seconds both
    PgBouncers used (their process groups)."""

    def __init__(self, replica: PrivateReplica, bouncer_pgids: Sequence[int]) -> None:
        self.replica = replica
        self.bouncer_pgids = tuple(bouncer_pgids)
        self.figures: dict[str, float] = {}
        self._cpu: list[OtherCpu] = []
        self._start: tuple[float, tuple[int, int] | None] = (0.0, None)

    def before(self, ctx: Context) -> None:
        self._start = (time.monotonic(), _commits(ctx, self.replica))
        self._cpu = [OtherCpu(pgid).__enter__() for pgid in self.bouncer_pgids]

    def after(self, ctx: Context, concurrency: int | None) -> str | None:
        for cpu in self._cpu:
            cpu.__exit__(None, None, None)
        if concurrency is None:  # the warm-up
            return None
        started, before = self._start
        seconds = max(time.monotonic() - started, 1e-3)
        after = _commits(ctx, self.replica)
        self.figures = {
            "seconds": round(seconds, 2),
            "pgbouncer_cpu_s": round(sum(cpu.app_s for cpu in self._cpu), 3),
        }
        note = f"PgBouncer CPU {100 * self.figures['pgbouncer_cpu_s'] / seconds:.0f}% of a core"
        if before and after:
            primary, replica = ((b - a) / seconds for a, b in zip(before, after, strict=True))
            self.figures["primary_commits_per_s"] = round(primary, 1)
            self.figures["replica_commits_per_s"] = round(replica, 1)
            note = f"commits/s: primary {primary:,.0f}, replica {replica:,.0f}; {note}"
        return note


def read_from(ctx: Context, scenario: Scenario) -> str | None:
    """The X-Read-From header of one request of `scenario` ("-" when the service
    sends none): which database served its reads (apps/core/replica.py)."""
    try:
        variants = list(scenario.variants(ctx)) if scenario.variants else [{}]
        request = scenario.request.build(variants[0])
        with urllib.request.urlopen(ctx.base_url + request.path, timeout=30) as response:
            return response.headers.get("X-Read-From") or "-"
    except (OSError, ScenarioFailed) as exc:
        return f"({type(exc).__name__})"


# --- the measurements ----------------------------------------------------------------


def measure_setup(
    services_: Services,
    setup: str,
    workers: int,
    options: ScaleOptions,
    scenarios: Mapping[str, Scenario],
    database: Database,
    workdir: Path,
) -> list[dict[str, Any]]:
    """gunicorn with `workers` sync workers in `setup`, and every endpoint under wrk."""
    concurrency = connections_for(workers)
    run_options = Options(
        duration_s=options.seconds,
        warmup_s=options.warmup_s,
        gunicorn=GunicornConfig(workers=workers),
    )
    log(f"[scale] === {setup}: {workers} sync worker(s), wrk at {concurrency} connections")
    records = []
    with gunicorn(run_options.gunicorn, env=services_.env(setup)) as server:
        ctx = Context(server.base_url, server.pid)
        for endpoint in ENDPOINTS:
            scenario = scenarios[endpoint.scenario]
            header = read_from(ctx, scenario) if endpoint.reads else None
            load = DatabaseLoad(services_.replica, services_.bouncer_pgids)
            # None of these four has hooks or a post-check of its own to keep: the
            # reserve's (the holds balance, after every run) is the audit at the end.
            measured = replace(
                scenario,
                ceiling=None,
                post_check=None,
                before_load=load.before,
                after_load=load.after,
            )
            result = run_scenario(
                ctx, measured, run_options, database, workdir, levels=(concurrency,)
            )
            figures = dict(load.figures)
            http = result.levels[0].http if result.levels else None
            if http and http.requests and "pgbouncer_cpu_s" in figures:
                figures["pgbouncer_cpu_ms_per_request"] = round(
                    1000 * figures["pgbouncer_cpu_s"] / http.requests, 3
                )
            records.append(
                {
                    "endpoint": endpoint.key,
                    "setup": setup,
                    "workers": workers,
                    "connections": concurrency,
                    "read_from": header,
                    "database": figures,
                    "result": asdict(result),
                }
            )
    return records


def run(options: ScaleOptions) -> dict[str, Any]:
    if not Path(WRK).is_file():
        raise SystemExit(f"bench.scale: {WRK} is missing")
    started = datetime.now(UTC)
    records: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp,
        ExitStack() as exits,
        services(options) as services_,
    ):
        setup_django()
        from django.conf import settings

        # The spread reserve samples 10,000 products with free stock, and a
        # smaller catalog (a short trial run) has fewer.
        spread = min(reservations.SPREAD, options.products // 4)
        if spread < reservations.SPREAD:
            exits.enter_context(mock.patch.object(reservations, "SPREAD", spread))
        database = Database.from_settings(settings.DATABASES["default"])
        machine = machine_facts(GunicornConfig(workers=max(options.workers)))
        machine["gunicorn_workers"] = list(options.workers)
        scenarios = {NOOP.name: NOOP} | {
            s.name: s for s in select([e.scenario for e in ENDPOINTS if e.scenario != NOOP.name])
        }
        for workers in options.workers:
            for setup in options.setups:
                records += measure_setup(
                    services_, setup, workers, options, scenarios, database, Path(tmp)
                )
        # `manage.py audit` on the primary (the harness's environment); no HTTP.
        audited = catalog.audit(Context("http://127.0.0.1"))
        log(f"[scale] audit of the primary: {'pass' if audited.ok else 'FAIL'}: {audited.detail}")
    finished = datetime.now(UTC)
    return {
        "run_id": started.strftime("%Y%m%d-%H%M%S"),
        "targets": ["scale"],
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "machine": machine,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "options": {**asdict(options), "connections": "max(8, 4 x workers)"},
        "setups": {name: SETUPS[name] for name in options.setups},
        "endpoints": [
            {**asdict(e), "request": scenarios[e.scenario].request.describe()} for e in ENDPOINTS
        ],
        "reserve_products": spread,
        "audit": asdict(audited),
        "measurements": records,
    }


# --- the report --------------------------------------------------------------------


def _index(run: Mapping[str, Any]) -> dict[tuple[str, str, int], Mapping[str, Any]]:
    return {(m["endpoint"], m["setup"], m["workers"]): m for m in run["measurements"]}


def _http(measurement: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if not measurement or measurement["result"]["status"] != "ok":
        return None
    levels = measurement["result"]["levels"]
    return levels[0].get("http") if levels else None


def _rps(measurement: Mapping[str, Any] | None) -> float | None:
    http = _http(measurement)
    return http["rps"] if http else None


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value and base else "-"


def _cell(measurement: Mapping[str, Any] | None) -> str:
    http = _http(measurement)
    if http is None:
        return f"{'failed' if measurement else '-':>20}"
    return f"{http['rps']:8.1f} {http['p50_ms']:5.1f}/{http['p99_ms']:5.1f}"


def _db_cell(measurement: Mapping[str, Any] | None) -> str:
    figures = (measurement or {}).get("database") or {}
    if "primary_commits_per_s" not in figures:
        return f"{'-':>20}"
    return (
        f"{figures['primary_commits_per_s']:7.0f} {figures['replica_commits_per_s']:6.0f} "
        f"{figures.get('pgbouncer_cpu_ms_per_request', 0):5.2f}"
    )


def endpoint_table(run: Mapping[str, Any], endpoint: Mapping[str, Any]) -> list[str]:
    cells = _index(run)
    key = endpoint["key"]
    setups = list(run["setups"])
    workers = run["options"]["workers"]
    noop = key == ENDPOINTS[0].key
    header = f"{'N':>3} {'c':>4}  " + "  ".join(f"{s:>20}" for s in setups)
    header += f"  {'unprep/direct':>13} {'pgb/direct':>10} {'repl/pgb':>9}"
    if not noop:
        header += "   vs noop: " + " ".join(f"{s[:9]:>9}" for s in setups)
    lines = [
        f"{key}: {endpoint['scenario']}, {endpoint['request']}",
        "  requests/s  p50/p99 ms, per setup",
        header,
        "-" * len(header),
    ]
    for n in workers:
        row = [cells.get((key, s, n)) for s in setups]
        rps = dict(zip(setups, (_rps(m) for m in row), strict=True))
        line = f"{n:>3} {connections_for(n):>4}  " + "  ".join(_cell(m) for m in row)
        line += f"  {_ratio(rps.get('unprepared'), rps.get('direct')):>13}"
        line += f" {_ratio(rps.get('pgbouncer'), rps.get('direct')):>10}"
        line += f" {_ratio(rps.get('replica'), rps.get('pgbouncer')):>9}"
        if not noop:
            line += "            " + " ".join(
                f"{_ratio(rps[s], _rps(cells.get((ENDPOINTS[0].key, s, n)))):>9}" for s in setups
            )
        lines.append(line)
    lines += [
        "  during the load: commits/s on the primary, on the replica; PgBouncer CPU ms/request",
        f"{'N':>3} {'':>4}  " + "  ".join(f"{s:>20}" for s in setups),
    ]
    for n in workers:
        row = [cells.get((key, s, n)) for s in setups]
        lines.append(f"{n:>3} {'':>4}  " + "  ".join(_db_cell(m) for m in row))
    if endpoint["reads"]:
        seen = {
            s: sorted(
                {str(cells[(key, s, n)]["read_from"]) for n in workers if (key, s, n) in cells}
            )
            for s in setups
        }
        lines.append(
            "  X-Read-From: " + "; ".join(f"{s} {'/'.join(v) or '-'}" for s, v in seen.items())
        )
    for (k, s, n), measurement in cells.items():
        if k != key:
            continue
        http = _http(measurement)
        if http is None:
            lines.append(f"  {s} N={n}: FAILED: {measurement['result'].get('error')}")
        elif http["errors"]:
            statuses = http.get("detail", {}).get("statuses")
            lines.append(f"  {s} N={n}: {http['errors']} errors (statuses {statuses})")
    return lines


def _busy(measurement: Mapping[str, Any], cores: int) -> float:
    """The share of the CPUs other processes used during the run: the runner's
    figure, less PgBouncer's (the runner knows only gunicorn, PostgreSQL, wrk)."""
    levels = measurement["result"]["levels"]
    figures = measurement.get("database") or {}
    if not levels or not figures.get("seconds"):
        return 0.0
    bouncers = 100 * figures.get("pgbouncer_cpu_s", 0) / (figures["seconds"] * cores)
    return max(0.0, levels[0].get("other_cpu_percent", 0) - bouncers)


def table(run: Mapping[str, Any]) -> str:
    machine = run["machine"]
    options = run["options"]
    lines = [
        f"Run {run['run_id']} (bench.scale): {machine.get('cores')} cores "
        f"({machine.get('cpu_model')}), PostgreSQL {machine.get('postgresql')}; "
        f"gunicorn sync workers {', '.join(map(str, options['workers']))}",
        f"{options['products']:,} products; each run {options['seconds']:g} s after a "
        f"{options['warmup_s']:g} s warm-up, wrk at c = max(8, 4 x N) connections; "
        "unprep/direct and pgb/direct = those setups' rps / direct's, repl/pgb = replica / "
        "pgbouncer,",
        "vs noop = rps / the no-op's rps in the same setup at the same N.",
        *(f"  {name:<10} {text}" for name, text in run["setups"].items()),
    ]
    for endpoint in run["endpoints"]:
        lines += ["", *endpoint_table(run, endpoint)]
    audit = run.get("audit") or {}
    lines += ["", f"Audit of the primary after the run: {'pass' if audit.get('ok') else 'FAIL'}"]
    cores = machine.get("cores") or 1
    busy = [m for m in run["measurements"] if _busy(m, cores) > BUSY_PERCENT]
    if busy:
        worst = max(_busy(m, cores) for m in busy)
        lines.append(
            f"Warning: {len(busy)} of {len(run['measurements'])} runs ran while other processes "
            f"(not gunicorn, PostgreSQL, PgBouncer, wrk) used more than {BUSY_PERCENT:g}% of "
            f"the CPUs (up to {worst:.0f}%): their figures are low; measure on a quiet machine"
        )
    return "\n".join(lines)


def write_chart(run: Mapping[str, Any], path: Path) -> Path:
    """Throughput against web workers, one panel per endpoint, a line per setup;
    the dotted vertical line is the machine's core count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = _index(run)
    workers = run["options"]["workers"]
    endpoints = run["endpoints"]
    columns = 2 if len(endpoints) > 1 else 1
    rows = -(-len(endpoints) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(6.5 * columns, 4.6 * rows), layout="constrained", squeeze=False
    )
    styles = dict(zip(run["setups"], ("-o", "-.d", "--s", ":^"), strict=False))
    cores = run["machine"].get("cores")
    for axis, endpoint in zip(axes.flat, endpoints, strict=False):
        for setup in run["setups"]:
            points = [
                (n, rps)
                for n in workers
                if (rps := _rps(cells.get((endpoint["key"], setup, n)))) is not None
            ]
            if points:
                xs, ys = zip(*points, strict=True)
                axis.plot(xs, ys, styles.get(setup, "-o"), lw=2, label=setup)
        if cores:
            axis.axvline(cores, color="grey", lw=0.8, linestyle=":")
        axis.set_xticks(workers, [str(n) for n in workers])
        axis.set_ylim(bottom=0)
        axis.set_xlabel("gunicorn sync workers (wrk: max(8, 4 x N) connections)")
        axis.set_ylabel("requests / s")
        axis.set_title(f"{endpoint['key']} ({endpoint['scenario']})", fontsize="medium")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize="small")
    for axis in list(axes.flat)[len(endpoints) :]:
        axis.set_visible(False)
    machine = run["machine"]
    figure.suptitle(
        f"Run {run['run_id']} (bench.scale): {machine.get('cores')} cores, "
        f"{run['options']['products']:,} products, {run['options']['seconds']:g} s per point",
        fontsize="small",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


# --- entry point ---------------------------------------------------------------------


def _interrupted(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C or SIGTERM: unwind, so the finally blocks stop what was started; a
    second signal meanwhile is ignored rather than cutting that short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    options = ScaleOptions.from_env()
    runs = len(options.workers) * len(options.setups) * len(ENDPOINTS)
    log(
        f"[scale] workers {list(options.workers)}, setups {list(options.setups)}: {runs} runs of "
        f"{options.seconds:g} s (+ {options.warmup_s:g} s warm-up)"
    )
    run_data = run(options)
    print(table(run_data))
    json_path, chart_path = result_paths(run_data)
    write_json(run_data, json_path)
    write_chart(run_data, chart_path)
    print(f"\nJSON : {json_path}\nChart: {chart_path}")
    failed = [m for m in run_data["measurements"] if m["result"]["status"] != "ok"]
    return 1 if failed or not run_data["audit"]["ok"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench.scale: interrupted", file=sys.stderr)
        sys.exit(130)
