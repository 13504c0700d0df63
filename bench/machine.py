"""The facts a figure depends on: the machine, the software, the server's shape."""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

from . import ROOT
from .pgbench import PGBENCH
from .stack import GunicornConfig
from .wrk import WRK


def _first_match(path: str, pattern: str) -> str | None:
    try:
        match = re.search(pattern, Path(path).read_text(), re.MULTILINE)
    except OSError:
        return None
    return match.group(1).strip() if match else None


def _command_output(*argv: str) -> str | None:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    output = (result.stdout or result.stderr).strip()
    return output.splitlines()[0] if output else None


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields), idle


def cpu_busy_percent(seconds: float = 2.0) -> float | None:
    """How busy the CPUs are before the run: other work skews every figure."""
    try:
        total_before, idle_before = _cpu_times()
        time.sleep(seconds)
        total_after, idle_after = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return round(100 * (1 - (idle_after - idle_before) / total), 1) if total else None


def _stat(path: Path) -> tuple[str, list[str]]:
    """A /proc/<pid>/stat: the command name, and the fields after it (state first)."""
    head, tail = path.read_text().rsplit(")", 1)
    return head.split("(", 1)[1], tail.split()


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by one process."""
    _, fields = _stat(Path(f"/proc/{pid}/stat"))
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ticks(pgid: int, names: frozenset[str]) -> tuple[int, int]:
    """CPU ticks used so far by the processes of group `pgid`, and by those named
    in `names`, with their reaped children (a backend that exits lands in its
    postmaster's)."""
    group = named = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = _stat(stat)
        except (OSError, ValueError):
            continue  # exited meanwhile
        if int(fields[2]) == pgid:
            group += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        elif name in names:
            named += sum(int(x) for x in fields[11:15])
    return group, named


def _children_ticks() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK"))


class OtherCpu:
    """Where the CPU went during the block: the process group `pgid` (gunicorn:
    `app_s`), processes named in `names` (e.g. "postgres", whoever they work for:
    `db_s`), this process's children (wrk, pgbench: `load_s`), in CPU seconds;
    and `percent`, the share of all CPUs used by anything else."""

    def __init__(self, pgid: int, names: tuple[str, ...] = ()) -> None:
        self.pgid = pgid
        self.names = frozenset(names)
        self.percent = 0.0
        self.app_s = self.db_s = self.load_s = 0.0

    def _snapshot(self) -> tuple[int, int, int, int, int]:
        total, idle = _cpu_times()
        return (total, idle, *_ticks(self.pgid, self.names), _children_ticks())

    def __enter__(self) -> OtherCpu:
        self._start = self._snapshot()
        return self

    def __exit__(self, *exc_info: object) -> None:
        end = self._snapshot()
        total, idle, app, db, load = (
            after - before for after, before in zip(end, self._start, strict=True)
        )
        tick_s = 1 / os.sysconf("SC_CLK_TCK")
        self.app_s, self.db_s, self.load_s = app * tick_s, db * tick_s, load * tick_s
        ours = app + db + load
        self.percent = max(0.0, 100 * (total - idle - ours) / total) if total else 0.0


def _memory_gib() -> float | None:
    kib = _first_match("/proc/meminfo", r"^MemTotal:\s+(\d+) kB")
    return round(int(kib) / 1024**2, 1) if kib else None


def _database_facts() -> dict[str, Any]:
    from django.db import connection

    facts: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            facts["postgresql"] = cursor.fetchone()[0]
            for setting in ("shared_buffers", "max_connections", "work_mem"):
                cursor.execute(f"SHOW {setting}")
                facts[f"postgresql_{setting}"] = cursor.fetchone()[0]
            cursor.execute(
                "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r' "
                "AND relname = ANY(%s)",
                [["products_product", "products_warehouse", "stock_stock", "stock_movement"]],
            )
            facts["rows_estimate"] = dict(cursor.fetchall())
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            facts["database_size"] = cursor.fetchone()[0]
    except Exception as exc:  # the report says what it could not learn
        facts["postgresql_error"] = str(exc)
    return facts


def redis_version() -> str | None:
    import redis
    from django.conf import settings

    try:
        info = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).info("server")
    except Exception as exc:  # reported, not fatal
        return f"unreachable: {exc}"
    return str(info.get("redis_version"))


def _git_revision() -> str | None:
    revision = _command_output("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    dirty = _command_output("git", "-C", str(ROOT), "status", "--porcelain")
    return f"{revision}{' (uncommitted changes)' if dirty else ''}" if revision else None


def machine_facts(gunicorn: GunicornConfig) -> dict[str, Any]:
    import django
    import gunicorn as gunicorn_package
    from django.conf import settings

    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gib": _memory_gib(),
        "cpu_model": _first_match("/proc/cpuinfo", r"^model name\s*:\s*(.+)$"),
        "kernel": platform.release(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "os": _first_match("/etc/os-release", r'^PRETTY_NAME="?([^"\n]+)'),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn_package.__version__,
        "gunicorn_workers": gunicorn.workers,
        "gunicorn_worker_class": gunicorn.worker_class,
        "gunicorn_threads": gunicorn.threads,
        "redis": redis_version(),
        "wrk": _command_output(WRK, "--version"),
        "pgbench": _command_output(PGBENCH, "--version"),
        "database": settings.DATABASES["default"]["NAME"],
        "git": _git_revision(),
        **_database_facts(),
    }
