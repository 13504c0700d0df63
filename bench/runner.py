"""One run: start the stack, measure the ceilings and the scenarios, keep failures apart.

The result is a JSON-shaped dict (see bench/README.md) that bench.report turns
into the table, the JSON file and the chart.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import SETTINGS_MODULE
from .context import Context
from .machine import OtherCpu, cpu_busy_percent, machine_facts, redis_version
from .model import HttpRequest, Scenario, ScenarioFailed, Stats, get
from .pgbench import PGBENCH, Database, run_pgbench
from .stack import GunicornConfig, gunicorn, log_tail, proxy
from .wrk import WRK, run_wrk, write_requests

DEFAULT_DURATION_S = 10.0
DEFAULT_WARMUP_S = 2.0
BUSY_WARNING_PERCENT = 20.0
OUR_PROCESS_NAMES = ("postgres",)  # with gunicorn's group and our children (wrk, pgbench)
NOOP = Scenario(name="ceiling.noop", request=get("/bench/noop/"))


@dataclass(frozen=True)
class Options:
    duration_s: float | None = None  # None: each scenario's own, else 10 s
    levels: tuple[int, ...] | None = None  # None: each scenario's own
    warmup_s: float = DEFAULT_WARMUP_S
    gunicorn: GunicornConfig = field(default_factory=GunicornConfig)
    proxy: bool = False  # BENCH_PROXY=true: through nginx, as production serves

    @classmethod
    def from_env(cls, **overrides: Any) -> Options:
        env_levels = os.environ.get("BENCH_LEVELS")
        env_duration = os.environ.get("BENCH_DURATION")
        defaults: dict[str, Any] = {
            "duration_s": float(env_duration) if env_duration else None,
            "levels": parse_levels(env_levels) if env_levels else None,
            "warmup_s": float(os.environ.get("BENCH_WARMUP", DEFAULT_WARMUP_S)),
            "gunicorn": GunicornConfig.from_env(),
            "proxy": os.environ.get("BENCH_PROXY", "").lower() == "true",
        }
        defaults.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**defaults)

    def levels_of(self, scenario: Scenario) -> tuple[int, ...]:
        return self.levels or scenario.levels

    def duration_of(self, scenario: Scenario) -> float:
        if scenario.stop_on_status is not None and scenario.duration_s:
            return scenario.duration_s  # a time limit: the level ends at its stop status
        return self.duration_s or scenario.duration_s or DEFAULT_DURATION_S


def parse_levels(text: str) -> tuple[int, ...]:
    levels = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    if not levels or levels[0] < 1:
        raise ValueError(f"concurrency levels must be positive integers: {text!r}")
    return levels


@dataclass
class LevelResult:
    concurrency: int
    http: Stats | None = None
    http_error: str | None = None
    sql: Stats | None = None
    sql_error: str | None = None
    # Share of all CPUs used by other processes than gunicorn, PostgreSQL, wrk
    # and pgbench while this level ran (the larger of the HTTP and SQL runs).
    other_cpu_percent: float = 0.0
    # CPU milliseconds per completed HTTP request, during the HTTP run: gunicorn
    # ("app"), PostgreSQL ("db"), wrk ("load"). They move with the code more than
    # rps does, which also moves with what the machine gives.
    cpu_ms_per_request: dict[str, float] | None = None


@dataclass
class ScenarioResult:
    name: str
    group: str
    description: str
    request: str
    status: str = "ok"  # or "failed"
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    variants: int = 0
    duration_s: float = 0.0
    ceiling_sql: str | None = None
    explain: str | None = None
    explain_error: str | None = None
    post_check: dict[str, Any] | None = None
    levels: list[LevelResult] = field(default_factory=list)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()


def preflight() -> list[str]:
    """Abort on what makes the run meaningless; return warnings for the rest."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    for tool in (WRK, PGBENCH):
        if not Path(tool).is_file():
            raise SystemExit(f"bench: {tool} is missing")
    try:
        connection.ensure_connection()
    except Exception as exc:
        raise SystemExit(
            f"bench: the bench database is unreachable ({exc}).\n"
            "Create and seed it with `make bench-seed`."
        ) from exc
    warnings = []
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        warnings.append(f"{len(plan)} migration(s) not applied to the bench database")
    busy = cpu_busy_percent()
    if busy is not None and busy > BUSY_WARNING_PERCENT:
        warnings.append(f"the CPUs were {busy:.0f}% busy before the run: figures are skewed")
    redis = redis_version()
    if redis is None or redis.startswith("unreachable"):
        warnings.append(f"Redis: {redis}")
    connection.close()
    return warnings


def run(scenarios: Sequence[Scenario], options: Options, targets: Sequence[str]) -> dict[str, Any]:
    setup_django()
    from django.conf import settings

    warnings = preflight()
    for warning in warnings:
        log(f"warning: {warning}")
    database = Database.from_settings(settings.DATABASES["default"])
    started = datetime.now(UTC)
    machine = machine_facts(options.gunicorn)
    noop_levels = sorted({c for s in scenarios for c in options.levels_of(s)})
    log(
        f"gunicorn: {options.gunicorn.label}{' behind nginx' if options.proxy else ''}; "
        f"levels {noop_levels}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-") as tmp,
        gunicorn(options.gunicorn) as server,
        proxy(server) if options.proxy else nullcontext(server) as front,
    ):
        # Requests go to the front; the CPU measured is still gunicorn's.
        ctx = Context(front.base_url, server.pid)
        workdir = Path(tmp)
        noop = run_scenario(ctx, NOOP, options, database, workdir, levels=tuple(noop_levels))
        results = [run_scenario(ctx, s, options, database, workdir) for s in scenarios]
    finished = datetime.now(UTC)
    return {
        "run_id": started.strftime("%Y%m%d-%H%M%S"),
        "targets": list(targets),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "machine": machine,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "warnings": warnings,
        "warmup_s": options.warmup_s,
        "proxy": "nginx" if options.proxy else None,
        "noop": asdict(noop),
        "scenarios": [asdict(result) for result in results],
    }


def run_scenario(
    ctx: Context,
    scenario: Scenario,
    options: Options,
    database: Database,
    workdir: Path,
    levels: tuple[int, ...] | None = None,
) -> ScenarioResult:
    from django.db import connections

    result = ScenarioResult(
        name=scenario.name,
        group=scenario.group,
        description=scenario.description,
        request=scenario.request.describe(),
        duration_s=options.duration_of(scenario),
    )
    log(f"== {scenario.name}: {result.request}")
    try:
        variants = list(scenario.variants(ctx)) if scenario.variants else [{}]
        result.notes = ctx.take_notes()
        if not variants:
            raise ScenarioFailed("the setup found nothing to send")
        result.variants = len(variants)
        requests = [scenario.request.build(variant) for variant in variants]
        headers = request_headers(ctx, scenario)
        _smoke(ctx, requests[0], headers, scenario.expect)
        sql_scripts = _ceiling(scenario, variants, result)
        connections.close_all()  # the harness holds no connection during the load
        requests_file = write_requests(requests, workdir / f"{scenario.name}.tsv")

        def load(concurrency: int, duration_s: float) -> Stats:
            # Requests of the previous load that wrk gave up on are still queued
            # at the workers; a level starts once they are served.
            drain(ctx)
            vacuum_as_autovacuum_would()
            if scenario.before_load is not None:
                scenario.before_load(ctx)
                connections.close_all()
            return run_wrk(
                ctx.base_url,
                requests_file,
                concurrency=concurrency,
                duration_s=duration_s,
                headers=headers,
                pick=scenario.pick,
                unique_header=scenario.request.unique_header,
                then=scenario.request.then,
                stop_on_status=scenario.stop_on_status,
                expect=scenario.expect,
            )

        levels = levels or options.levels_of(scenario)
        # A load that stops at a status is a one-off event (a drop drained): a
        # warm-up cut off after a fixed time would leave claims in flight that
        # land after the next reset.
        if options.warmup_s > 0 and scenario.stop_on_status is None:
            load(max(levels), options.warmup_s)
        _after_load(ctx, scenario, None)
        for concurrency in levels:
            level = _measure_level(
                load,
                concurrency,
                result.duration_s,
                sql_scripts,
                database,
                ctx.server_pid,
                scenario.ceiling.requests_per_script if scenario.ceiling else 1,
            )
            result.levels.append(level)
            _after_load(ctx, scenario, concurrency)
            if level.sql_error:
                sql_scripts = []  # the same SQL would fail at every level
        ctx.levels[scenario.name] = result.levels
        if scenario.post_check is not None:
            check = scenario.post_check(ctx)
            result.post_check = asdict(check)
            log(f"   post-check: {'pass' if check.ok else 'FAIL'}: {check.detail}")
    except ScenarioFailed as exc:
        _fail(result, str(exc))
    except Exception as exc:  # one broken scenario must not stop the others
        _fail(result, f"{type(exc).__name__}: {exc}")
        tail = log_tail(10)
        if "Traceback" in tail or "Error" in tail:
            log(f"   gunicorn log (bench/results/gunicorn.log.tmp):\n{tail}")
    finally:
        connections.close_all()
    result.notes += ctx.take_notes()
    return result


# Tables past autovacuum's own thresholds (its default settings, read from the
# server): dead rows > threshold + scale x live rows; changes since the last
# analyze > analyze threshold + scale x live rows.
_PAST_AUTOVACUUM_THRESHOLDS = """
SELECT format('%I.%I', schemaname, relname),
       n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float
                    + current_setting('autovacuum_vacuum_scale_factor')::float * n_live_tup
  FROM pg_stat_user_tables
 WHERE n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float
                    + current_setting('autovacuum_vacuum_scale_factor')::float * n_live_tup
    OR n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float
                    + current_setting('autovacuum_analyze_scale_factor')::float * n_live_tup
"""


def vacuum_as_autovacuum_would() -> None:
    """Before each load, what autovacuum would have done by then in service:
    VACUUM (ANALYZE) the tables past its thresholds, ANALYZE those only past
    the analyze one. Some machines run PostgreSQL with autovacuum off (this
    one did): the dead rows of earlier loads then piled up, and a bench run
    after a few others measured index bloat, at half the throughput."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_PAST_AUTOVACUUM_THRESHOLDS)
        due = cursor.fetchall()
        for table, needs_vacuum in due:
            cursor.execute(f"{'VACUUM (ANALYZE)' if needs_vacuum else 'ANALYZE'} {table}")
    connection.close()
    if due:
        log(f"   vacuumed/analyzed before the load: {', '.join(t for t, _ in due)}")


def drain(ctx: Context, *, quiet_ms: float = 50.0, timeout_s: float = 30.0) -> None:
    """Wait until the server answers /healthz/ within `quiet_ms` (three times
    running): nothing queued before it any more."""
    deadline = time.monotonic() + timeout_s
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        ctx.http("GET", "/healthz/", None, {})
        quick = quick + 1 if (time.monotonic() - started) * 1000 < quiet_ms else 0


def _after_load(ctx: Context, scenario: Scenario, concurrency: int | None) -> None:
    from django.db import connections

    if scenario.after_load is None:
        return
    try:
        note = scenario.after_load(ctx, concurrency)
    finally:
        connections.close_all()  # the harness holds no connection during the load
    if note:
        ctx.note(note)
        log(f"   {note}")


def _fail(result: ScenarioResult, reason: str) -> None:
    result.status, result.error = "failed", reason
    log(f"   FAILED: {reason}")


def request_headers(ctx: Context, scenario: Scenario) -> dict[str, str]:
    headers: dict[str, str] = {}
    if scenario.request.body is not None:
        headers["Content-Type"] = "application/json"
    if scenario.request.auth:
        headers.update(ctx.bearer(scenario.request.auth))
    return headers


def _smoke(
    ctx: Context, request: HttpRequest, headers: dict[str, str], expect: Sequence[int] = ()
) -> None:
    """One request before the load: an endpoint that is not there fails the scenario."""
    request = request.sent_once()
    answer = ctx.http(
        request.method, request.path, request.body, {**headers, **dict(request.headers)}
    )
    if not (answer.ok or answer.status in expect):
        body = answer.body[:300].decode(errors="replace")
        raise ScenarioFailed(f"{request.method} {request.path} answered {answer.status}: {body}")


def _ceiling(scenario: Scenario, variants: list[Any], result: ScenarioResult) -> list[str]:
    """The pgbench scripts of the scenario's SQL ceiling, after showing its plan once."""
    ceiling = scenario.ceiling
    if ceiling is None:
        return []
    scripts = list(dict.fromkeys(ceiling.render_script(v) for v in variants))
    scripts = scripts[: ceiling.max_variants]
    result.ceiling_sql = scripts[0]
    statement = ceiling.render_explain(variants[0])
    if statement:
        try:
            result.explain = explain(statement)
            log(_indent(result.explain))
        except Exception as exc:  # the figures stand without the plan
            result.explain_error = f"{type(exc).__name__}: {exc}"
            log(f"   EXPLAIN failed: {result.explain_error}")
    return scripts


def explain(statement: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS), rolled back: a write shown is a write undone."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement.strip().rstrip(';')}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def _measure_level(
    load: Callable[[int, float], Stats],
    concurrency: int,
    duration_s: float,
    sql_scripts: list[str],
    database: Database,
    server_pid: int,
    requests_per_script: int = 1,
) -> LevelResult:
    level = LevelResult(concurrency)
    try:
        with OtherCpu(server_pid, OUR_PROCESS_NAMES) as other:
            level.http = load(concurrency, duration_s)
        level.other_cpu_percent = round(other.percent, 1)
        if level.http.requests:
            level.cpu_ms_per_request = {
                part: round(1000 * seconds / level.http.requests, 3)
                for part, seconds in (
                    ("app", other.app_s),
                    ("db", other.db_s),
                    ("load", other.load_s),
                )
            }
    except Exception as exc:  # reported per level; the next level may still run
        level.http_error = f"{type(exc).__name__}: {exc}"
    if sql_scripts:
        try:
            with OtherCpu(server_pid, OUR_PROCESS_NAMES) as other:
                sql = run_pgbench(
                    sql_scripts, database, concurrency=concurrency, duration_s=duration_s
                )
                # In requests per second, comparable with the HTTP figure.
                level.sql = replace(sql, rps=sql.rps * requests_per_script)
            level.other_cpu_percent = max(level.other_cpu_percent, round(other.percent, 1))
        except Exception as exc:  # a wrong ceiling SQL does not void the HTTP figures
            level.sql_error = f"{type(exc).__name__}: {exc}"
    log(f"   c={concurrency:<4} {_summary(level)}")
    return level


def _summary(level: LevelResult) -> str:
    parts = []
    if level.http:
        h = level.http
        parts.append(
            f"{h.rps:9.1f} rps  p50 {h.p50_ms:7.2f}  p95 {h.p95_ms:7.2f}  "
            f"p99 {h.p99_ms:7.2f} ms  errors {h.errors}"
        )
    else:
        parts.append(f"HTTP failed: {level.http_error}")
    if level.sql:
        parts.append(f"sql {level.sql.rps:9.1f} tps")
    elif level.sql_error:
        parts.append(f"sql failed: {level.sql_error}")
    if level.other_cpu_percent > BUSY_WARNING_PERCENT / 2:
        parts.append(f"other processes used {level.other_cpu_percent:.0f}% of the CPUs")
    return " | ".join(parts)


def _indent(text: str, prefix: str = "   | ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
