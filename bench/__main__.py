"""`python -m bench [target ...]`: run scenarios, print the table, write JSON and chart.

Targets: "all" (default), a group ("catalog", "framework") or scenario names and
patterns ("catalog.inbound.*"). See bench/README.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from . import RESULTS_DIR
from .report import load_json, result_paths, table, write_chart, write_json
from .runner import Options, parse_levels, run
from .scenarios import SCENARIOS, groups, select
from .sql_capture import show_sql
from .tune import tune_workers


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C or SIGTERM (even when started with SIGINT ignored, as in the background):
    # the finally blocks stop gunicorn and any wrk or pgbench.
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("targets", nargs="*", default=["all"], help=f"all, {', '.join(groups())}")
    parser.add_argument("--duration", type=float, help="seconds per level (env BENCH_DURATION)")
    parser.add_argument("--levels", type=parse_levels, help="e.g. 1,16,64 (env BENCH_LEVELS)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up (env BENCH_WARMUP)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--report", type=Path, help="re-render the table and chart of a JSON")
    parser.add_argument(
        "--tune-workers", action="store_true", help="no-op endpoint under each gunicorn shape"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --tune-workers")
    parser.add_argument(
        "--show-sql", action="store_true", help="print the SQL of one request per scenario"
    )
    return parser


def _list() -> None:
    for scenario in SCENARIOS:
        ceiling = "sql ceiling" if scenario.ceiling else "no sql ceiling"
        print(f"{scenario.name:<34} {scenario.request.describe():<60} {ceiling}")


def _report(run_data: dict, directory: Path = RESULTS_DIR) -> None:
    print(table(run_data))
    json_path, chart_path = result_paths(run_data, directory)
    write_json(run_data, json_path)
    write_chart(run_data, chart_path)
    print(f"\nJSON : {json_path}\nChart: {chart_path}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if args.list:
        _list()
        return 0
    if args.report:
        _report(load_json(args.report), args.report.parent)
        return 0
    options = Options.from_env(duration_s=args.duration, levels=args.levels, warmup_s=args.warmup)
    if args.tune_workers:
        levels = options.levels or (16,)
        print(tune_workers(levels, options.duration_s or 10, options.warmup_s, args.rounds))
        return 0
    try:
        scenarios = select(args.targets)
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if args.show_sql:
        print(show_sql(scenarios, options.gunicorn))
        return 0
    run_data = run(scenarios, options, args.targets)
    _report(run_data)
    failed = [s["name"] for s in run_data["scenarios"] if s["status"] != "ok"]
    return 1 if failed or run_data["noop"]["status"] != "ok" else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
