"""SQL ceilings: pgbench running the endpoint's SQL against the bench database.

`pgbench -n -M prepared -c C -j min(C, 2) -T secs`, one script file per variant
(picked at random per transaction), and a per-transaction log (-l) from which
the latency percentiles are computed like wrk's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Stats

PGBENCH = shutil.which("pgbench") or "/usr/bin/pgbench"
MAX_SCRIPTS = 128  # pgbench's own limit on -f


@dataclass(frozen=True)
class Database:
    name: str
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""

    @classmethod
    def from_settings(cls, db: Mapping[str, Any]) -> Database:
        return cls(
            name=db["NAME"],
            host=db.get("HOST") or "127.0.0.1",
            port=int(db.get("PORT") or 5432),
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or "",
        )

    def argv(self) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.user, self.name]

    def env(self) -> dict[str, str]:
        """pgbench's environment: the password, and the session settings the
        service's own connections get (apps/core/db.py), so the ceiling runs the
        same SQL the same way."""
        from apps.core.db import SESSION_SETTINGS

        options = " ".join(f"-c {name}={value}" for name, value in SESSION_SETTINGS)
        env = {**os.environ, "PGOPTIONS": options}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def run_pgbench(
    scripts: Sequence[str], database: Database, *, concurrency: int, duration_s: float
) -> Stats:
    if not 1 <= len(scripts) <= MAX_SCRIPTS:
        raise ValueError(f"pgbench takes 1 to {MAX_SCRIPTS} scripts, not {len(scripts)}")
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as tmp:
        workdir = Path(tmp)
        argv = [
            PGBENCH,
            "--no-vacuum",
            "--protocol=prepared",
            f"--client={concurrency}",
            f"--jobs={min(concurrency, 2)}",
            f"--time={max(1, round(duration_s))}",
            "--log",
            f"--log-prefix={workdir / 'tx'}",
        ]
        for index, script in enumerate(scripts):
            path = workdir / f"script{index}.sql"
            path.write_text(script.strip() + "\n")
            argv += ["--file", f"{path}@1"]
        argv += database.argv()
        result = subprocess.run(
            argv,
            cwd=workdir,
            env=database.env(),
            capture_output=True,
            text=True,
            timeout=duration_s + 120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"pgbench exited with {result.returncode}: {_error(result)}")
        latencies_us = _read_logs(workdir)
    return _stats(result.stdout, latencies_us, duration_s)


def _error(result: subprocess.CompletedProcess[str]) -> str:
    """The first ERROR line of pgbench's output (the rest repeats it per client)."""
    output = result.stderr + result.stdout
    errors = [line for line in output.splitlines() if "ERROR:" in line]
    return (errors[0] if errors else output.strip()[-500:]).removeprefix("pgbench: error: ")


def _read_logs(workdir: Path) -> list[int]:
    # One line per transaction: client_id transaction_no time_us script_no epoch epoch_us
    latencies: list[int] = []
    for log in workdir.glob("tx.*"):
        with log.open() as lines:
            latencies.extend(int(line.split(" ", 3)[2]) for line in lines if line.strip())
    latencies.sort()
    return latencies


def _percentile_ms(sorted_us: Sequence[int], p: float) -> float:
    if not sorted_us:
        return float("nan")
    index = min(len(sorted_us) - 1, max(0, round(p / 100 * len(sorted_us)) - 1))
    return sorted_us[index] / 1000


def _number(pattern: str, text: str, default: float = 0.0) -> float:
    match = re.search(pattern, text)
    return float(match.group(1)) if match else default


def _stats(stdout: str, latencies_us: list[int], duration_s: float) -> Stats:
    tps = _number(r"tps = ([\d.]+) \(without initial connection time\)", stdout)
    processed = int(_number(r"number of transactions actually processed: (\d+)", stdout))
    failed = int(_number(r"number of failed transactions: (\d+)", stdout))
    mean_us = sum(latencies_us) / len(latencies_us) if latencies_us else float("nan")
    return Stats(
        rps=tps,
        requests=processed,
        duration_s=duration_s,
        p50_ms=_percentile_ms(latencies_us, 50),
        p90_ms=_percentile_ms(latencies_us, 90),
        p95_ms=_percentile_ms(latencies_us, 95),
        p99_ms=_percentile_ms(latencies_us, 99),
        mean_ms=mean_us / 1000,
        max_ms=(latencies_us[-1] / 1000) if latencies_us else float("nan"),
        errors=failed,
        detail={"latency_average_ms": _number(r"latency average = ([\d.]+) ms", stdout)},
    )
