"""`python -m bench --tune-workers`: the no-op endpoint under each gunicorn shape.

Picks the default of bench.stack.GunicornConfig. The candidates take turns for
a few rounds, so that a burst of other work on the machine skews one sample
rather than one candidate; other work only ever lowers a sample, so the best
sample is the closest to the candidate's capacity (the median is shown too).
A sample during which other processes used more than 5 % of the CPUs is
dropped and taken again.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from .machine import OtherCpu
from .model import HttpRequest, Stats
from .runner import log, setup_django
from .stack import GunicornConfig, Server, gunicorn
from .wrk import run_wrk, write_requests

MAX_OTHER_CPU = 5.0  # percent of all CPUs
ATTEMPTS = 20
CANDIDATES = (
    GunicornConfig(4, "sync"),
    GunicornConfig(5, "sync"),
    GunicornConfig(6, "sync"),
    GunicornConfig(2, "gthread", 4),
    GunicornConfig(3, "gthread", 4),
    GunicornConfig(5, "gthread", 2),
)


def _quiet_sample(server: Server, requests: Path, concurrency: int, duration_s: float) -> Stats:
    """A sample taken while other processes used at most MAX_OTHER_CPU % of the CPUs."""
    for _ in range(ATTEMPTS):
        with OtherCpu(server.pid) as other:
            stats = run_wrk(
                server.base_url, requests, concurrency=concurrency, duration_s=duration_s
            )
        if other.percent <= MAX_OTHER_CPU:
            return stats
        log(f"   sample dropped: other processes used {other.percent:.0f}% of the CPUs")
        time.sleep(5)
    raise RuntimeError(f"the machine never stayed quiet for {duration_s:g} s")


def _measure(
    config: GunicornConfig,
    requests: Path,
    levels: tuple[int, ...],
    duration_s: float,
    warmup_s: float,
) -> dict[int, Stats]:
    with gunicorn(config) as server:
        run_wrk(server.base_url, requests, concurrency=max(levels), duration_s=warmup_s)
        return {c: _quiet_sample(server, requests, c, duration_s) for c in levels}


def tune_workers(
    levels: tuple[int, ...], duration_s: float, warmup_s: float, rounds: int = 3
) -> str:
    setup_django()
    samples: dict[tuple[str, int], list[Stats]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="bench-tune-") as tmp:
        requests = write_requests([HttpRequest("GET", "/bench/noop/")], Path(tmp) / "noop.tsv")
        for round_number in range(1, rounds + 1):
            for config in CANDIDATES:
                for c, stats in _measure(config, requests, levels, duration_s, warmup_s).items():
                    samples[config.label, c].append(stats)
                    log(f"round {round_number}: {config.label:<24} c={c:<4} {stats.rps:8.1f} rps")
    header = (
        f"{'gunicorn':<24} {'c':>4} {'best rps':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'median rps':>10}  samples"
    )
    rows = []
    for (label, c), runs in sorted(samples.items(), key=lambda item: item[0][1]):
        best = max(runs, key=lambda stats: stats.rps)
        rows.append(
            f"{label:<24} {c:>4} {best.rps:9.1f} {best.p50_ms:7.2f} {best.p99_ms:7.2f} "
            f"{statistics.median(s.rps for s in runs):10.1f}  "
            f"{' '.join(f'{s.rps:.0f}' for s in runs)}"
        )
    return "\n".join([header, "-" * len(header), *rows])
