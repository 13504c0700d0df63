"""The run's table (stdout), JSON and chart (bench/results/), from the run dict.

Ratios: a scenario's throughput over the no-op endpoint's at the same
concurrency (the framework ceiling), and over pgbench running the scenario's
SQL at the same concurrency (the SQL ceiling).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from . import RESULTS_DIR

Run = Mapping[str, Any]
COLUMNS = (
    ("scenario", 34, "<"),
    ("c", 4, ">"),
    ("rps", 9, ">"),
    ("p50 ms", 8, ">"),
    ("p95 ms", 8, ">"),
    ("p99 ms", 8, ">"),
    ("errors", 7, ">"),
    ("vs noop", 8, ">"),
    ("sql tps", 9, ">"),
    ("vs sql", 7, ">"),
    ("busy", 5, ">"),
    ("cpu ms app/db/load", 18, ">"),
)
BUSY_PERCENT = 10.0  # other processes' share of the CPUs that makes a level suspect


def machine_line(machine: Mapping[str, Any]) -> str:
    return (
        f"{machine.get('cores')} cores ({machine.get('cpu_model')}), "
        f"{machine.get('memory_gib')} GiB; Python {machine.get('python')}, "
        f"Django {machine.get('django')}, PostgreSQL {machine.get('postgresql')}, "
        f"Redis {machine.get('redis')}; gunicorn {machine.get('gunicorn')}: "
        f"{machine.get('gunicorn_workers')} {machine.get('gunicorn_worker_class')} workers"
        + (
            f" x {machine.get('gunicorn_threads')} threads"
            if machine.get("gunicorn_worker_class") == "gthread"
            else ""
        )
    )


def _ratio(value: float | None, ceiling: float | None) -> str:
    if not value or not ceiling:
        return "-"
    return f"{100 * value / ceiling:.1f}%"


def _number(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def noop_rps(run: Run) -> dict[int, float]:
    return {
        level["concurrency"]: level["http"]["rps"]
        for level in run["noop"]["levels"]
        if level.get("http")
    }


def _row(cells: list[str]) -> str:
    """The cells of the first columns (a failed level has only two)."""
    columns = zip(cells, COLUMNS[: len(cells)], strict=True)
    return "  ".join(f"{cell:{align}{width}}" for cell, (_, width, align) in columns)


def _level_row(name: str, level: Mapping[str, Any], noop: Mapping[int, float]) -> str:
    c = level["concurrency"]
    http, sql = level.get("http"), level.get("sql")
    if not http:
        return _row([name, str(c)]) + f"  failed: {level.get('http_error')}"
    sql_rps = sql["rps"] if sql else None
    cells = [
        name,
        str(c),
        _number(http["rps"]),
        _number(http["p50_ms"], 2),
        _number(http["p95_ms"], 2),
        _number(http["p99_ms"], 2),
        str(http["errors"]),
        _ratio(http["rps"], noop.get(c)),
        _number(sql_rps) if sql else ("error" if level.get("sql_error") else "-"),
        _ratio(http["rps"], sql_rps),
        f"{level.get('other_cpu_percent', 0):.0f}%",
        _cpu_cell(level.get("cpu_ms_per_request")),
    ]
    return _row(cells)


def _cpu_cell(cpu: Mapping[str, float] | None) -> str:
    if not cpu:
        return "-"
    return "/".join(f"{cpu[part]:.2f}" for part in ("app", "db", "load"))


def _scenario_lines(result: Mapping[str, Any], noop: Mapping[int, float]) -> Iterator[str]:
    if result["status"] != "ok":
        yield f"{result['name']:<34}  FAILED: {result['error']}"
        return
    for index, level in enumerate(result["levels"]):
        yield _level_row(result["name"] if index == 0 else "", level, noop)
    check = result.get("post_check")
    if check:
        yield f"{'':<34}  post-check {'pass' if check['ok'] else 'FAIL'}: {check['detail']}"


def table(run: Run) -> str:
    noop = noop_rps(run)
    header = _row([title for title, _, _ in COLUMNS])
    lines = [
        f"Run {run['run_id']} ({', '.join(run['targets'])}): {machine_line(run['machine'])}",
        f"Each level {run['noop']['duration_s']:g} s after a {run['warmup_s']:g} s warm-up; "
        "wrk closed loop; latencies in ms; errors = non-2xx/3xx + socket errors;",
        "busy = share of the CPUs used meanwhile by processes other than gunicorn, "
        "PostgreSQL, wrk and pgbench; cpu ms = CPU per HTTP request of gunicorn, "
        "PostgreSQL and wrk.",
        "",
        header,
        "-" * len(header),
        *_scenario_lines(run["noop"], noop),
    ]
    for result in run["scenarios"]:
        lines.extend(_scenario_lines(result, noop))
    notes = [
        f"  {result['name']}: {note}"
        for result in run["scenarios"]
        for note in result.get("notes", [])
    ]
    notes += [
        f"  {result['name']}: SQL ceiling failed: {level['sql_error']}"
        for result in run["scenarios"]
        for level in result.get("levels", [])[:1]
        if level.get("sql_error")
    ]
    if notes:
        lines += ["", "Notes:", *notes]
    warnings = list(run.get("warnings", []))
    busy = [
        level
        for result in [run["noop"], *run["scenarios"]]
        for level in result.get("levels", [])
        if level.get("other_cpu_percent", 0) > BUSY_PERCENT
    ]
    if busy:
        warnings.append(
            f"{len(busy)} level(s) ran while other processes used more than {BUSY_PERCENT:g}% "
            "of the CPUs (column busy): their figures are low; measure again on a quiet machine"
        )
    if warnings:
        lines += ["", "Warnings:", *(f"  {warning}" for warning in warnings)]
    return "\n".join(lines)


def _clean(value: Any) -> Any:
    """NaN and infinities are not JSON: null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def result_paths(run: Run, directory: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """bench/results/<run id>-<targets>.json and .png."""
    targets = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(run["targets"]))[:60]
    stem = f"{run['run_id']}-{targets}"
    return directory / f"{stem}.json", directory / f"{stem}.png"


def write_json(run: Run, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(run), indent=2) + "\n")
    return path


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _series(result: Mapping[str, Any], kind: str, field: str) -> tuple[list[int], list[float]]:
    points = [
        (level["concurrency"], level[kind][field])
        for level in result.get("levels", [])
        if level.get(kind) and level[kind].get(field) is not None
    ]
    return [c for c, _ in points], [v for _, v in points]


def _log_axes(axis: Any, levels: list[int], title: str, ylabel: str) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xticks(levels, [str(c) for c in levels])
    axis.xaxis.set_minor_locator(NullLocator())
    axis.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.yaxis.set_minor_formatter(NullFormatter())
    axis.set_xlabel("concurrent connections")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.grid(True, which="major", alpha=0.3)


def write_chart(run: Run, path: Path) -> Path:
    """Throughput per scenario (solid), its pgbench ceiling (dotted) and the no-op
    ceiling (black dashed); then p95 and p99 latency, the no-op's in black."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    noop = run["noop"]
    measured = [r for r in run["scenarios"] if r["status"] == "ok" and r["levels"]]
    colors = plt.get_cmap("tab20").colors
    figure, (rps_axis, p95_axis, p99_axis) = plt.subplots(
        1, 3, figsize=(21, 6.5), layout="constrained"
    )
    rps_axis.plot(*_series(noop, "http", "rps"), "k--", lw=2, marker="o")
    p95_axis.plot(*_series(noop, "http", "p95_ms"), "k--", lw=2, marker="o")
    p99_axis.plot(*_series(noop, "http", "p99_ms"), "k--", lw=2, marker="o")
    handles = [Line2D([], [], color="black", linestyle="--", lw=2, label="no-op endpoint")]
    for index, result in enumerate(measured):
        color = colors[index % len(colors)]
        rps_axis.plot(*_series(result, "http", "rps"), "-", color=color, marker="o")
        rps_axis.plot(*_series(result, "sql", "rps"), ":", color=color, marker="^")
        p95_axis.plot(*_series(result, "http", "p95_ms"), "-", color=color, marker="o")
        p99_axis.plot(*_series(result, "http", "p99_ms"), "-", color=color, marker="o")
        handles.append(Line2D([], [], color=color, marker="o", label=result["name"]))
    handles.append(
        Line2D([], [], color="grey", linestyle=":", marker="^", label="its SQL by pgbench")
    )
    levels = sorted({level["concurrency"] for level in noop["levels"]})
    _log_axes(rps_axis, levels, "Throughput", "requests (pgbench: transactions) / s")
    _log_axes(p95_axis, levels, "Latency p95", "ms")
    _log_axes(p99_axis, levels, "Latency p99", "ms")
    figure.legend(handles=handles, loc="outside right center", fontsize="small", frameon=False)
    figure.suptitle(f"Run {run['run_id']}: {machine_line(run['machine'])}", fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
