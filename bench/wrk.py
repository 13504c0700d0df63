"""The load generator: wrk (a separate process) with bench/lua/requests.lua.

wrk is a closed loop: each connection sends its next request when the previous
answer arrives, so latencies are those of a saturated server at that
concurrency (no coordinated-omission correction).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from . import LUA_SCRIPT
from .model import FollowUp, HttpRequest, Pick, Stats

WRK = shutil.which("wrk") or "/usr/bin/wrk"
TIMEOUT_S = 10  # a request slower than this is a timeout error, not a latency
MARKER = "BENCH_JSON "


def wrk_threads(concurrency: int) -> int:
    """One thread by default: wrk shares the 2 cores with the server, and one
    thread drives thousands of requests per second."""
    return max(1, min(concurrency, int(os.environ.get("BENCH_WRK_THREADS", 1))))


def write_requests(requests: Sequence[HttpRequest], path: Path) -> Path:
    """One request per line: METHOD, PATH, BODY and the request's own headers
    ("Name: value"), tab-separated."""
    lines = []
    for request in requests:
        fields = [request.method, request.path, request.body or ""]
        fields += [f"{name}: {value}" for name, value in request.headers]
        if any("\t" in f or "\n" in f for f in fields):
            raise ValueError(f"a request field holds a tab or a newline: {request}")
        lines.append("\t".join(fields))
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(
    base_url: str,
    requests_file: Path,
    *,
    concurrency: int,
    duration_s: float,
    headers: Mapping[str, str] | None = None,
    pick: Pick = "round-robin",
    unique_header: str | None = None,
    stop_on_status: int | None = None,
    expect: Sequence[int] = (),
    then: FollowUp | None = None,
) -> Stats:
    """wrk for `duration_s` (or until the first answer with `stop_on_status`).
    Answers outside 2xx/3xx count as errors unless their status is in `expect`."""
    argv = [
        WRK,
        f"--threads={wrk_threads(concurrency)}",
        f"--connections={concurrency}",
        f"--duration={max(1, round(duration_s))}s",
        f"--timeout={TIMEOUT_S}s",
        "--latency",
        f"--script={LUA_SCRIPT}",
    ]
    for name, value in (headers or {}).items():
        argv += ["--header", f"{name}: {value}"]
    nonce = secrets.token_hex(4)  # unique header values never repeat across runs
    argv += [base_url + "/", "--", str(requests_file), pick, unique_header or "", nonce]
    argv += [str(stop_on_status or "")]
    if then:
        argv += then.wrk_args()
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk exited with {result.returncode}: {result.stderr.strip()}")
    return parse_output(result.stdout, expect=expect)


def _expected_failure(status: int, expect: Sequence[int]) -> bool:
    """A status wrk's script counts as unexpected (outside 2xx/3xx) that the scenario expects."""
    return status in expect and not 200 <= status < 400


def parse_output(stdout: str, expect: Sequence[int] = ()) -> Stats:
    line = next((x for x in stdout.splitlines() if x.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{stdout[-2000:]}")
    data = json.loads(line[len(MARKER) :])
    latency = data["latency_ms"]
    sockets = {name: int(count) for name, count in data["socket_errors"].items()}
    statuses = {status: int(count) for status, count in (data["statuses"] or {}).items()}
    # A run stopped at a status: its rate over the time until the stop, not over
    # the --duration wrk waited out anyway.
    stopped_after_s = data.get("stopped_after_s")
    duration_s = stopped_after_s if stopped_after_s else data["duration_s"]
    return Stats(
        rps=int(data["requests"]) / duration_s if duration_s else data["rps"],
        requests=int(data["requests"]),
        duration_s=duration_s,
        p50_ms=latency["p50"],
        p90_ms=latency["p90"],
        p95_ms=latency["p95"],
        p99_ms=latency["p99"],
        mean_ms=latency["mean"],
        max_ms=latency["max"],
        errors=int(data["non_2xx_3xx"])
        - sum(n for status, n in statuses.items() if _expected_failure(int(status), expect))
        + sum(sockets.values()),
        detail={
            "statuses": statuses,
            "socket_errors": sockets,
            "bytes": int(data["bytes"]),
            "stopped_after_s": stopped_after_s,
            "wrk_duration_s": data["duration_s"],
        },
    )
