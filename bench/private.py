"""A PostgreSQL cluster and a Redis of their own, on spare ports in a temporary
directory, for runs that stop, kill and restart them (`make chaos`). The shared
services of the machine are never touched; only processes started here are
signalled, by their PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from . import ROOT
from .stack import free_port, kill_group, spawn

PG_BIN = Path(
    os.environ.get("PG_BIN")
    or next(
        (str(path) for path in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)),
        "/usr/lib/postgresql/15/bin",
    )
)
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)


def database_url(port: int) -> str:
    """The harness's database ("chaos") on a local port: a private server's, or
    a pooler's in front of one."""
    return f"postgres://postgres@127.0.0.1:{port}/chaos"


def _as_postgres(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass
class PrivatePostgres:
    home: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.home / "data"

    # What `init` gives the server on top of its port and sockets.
    server_options = "-c fsync=off -c synchronous_commit=off"

    @property
    def url(self) -> str:
        return database_url(self.port)

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def data_argv(self) -> list[str]:
        """The command that makes the data directory: a new cluster."""
        return [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]

    def init(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        subprocess.run(_as_postgres(self.data_argv()), capture_output=True, check=True, timeout=300)
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.home}"
            f" -c max_connections=200 {self.server_options}"
        )
        (self.home / "options").write_text(options)

    def start(self) -> None:
        options = (self.home / "options").read_text()
        self._ctl("-o", options, "-l", str(self.home / "postgres.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def sql(self, *statements: str) -> str:
        """Statements through psql, each its own transaction, in one session;
        what they print, unaligned."""
        done = subprocess.run(
            [
                str(PG_BIN / "psql"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "chaos"),
                "-XAt",
                *(arg for statement in statements for arg in ("-c", statement)),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return done.stdout.strip()

    def create_database(self) -> None:
        subprocess.run(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "chaos",
            ],
            check=True,
            timeout=30,
        )


@contextmanager
def _running(prefix: str, make, **fields) -> Iterator:
    """`make(home, **fields)` (a PrivatePostgres or PrivateReplica) made and
    started in a temporary directory the postgres user owns; stopped, and the
    directory removed, however the block ends."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        cluster = make(Path(directory) / "pg", **fields)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop("immediate")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    with _running("chaos-pg-", PrivatePostgres) as postgres:
        postgres.create_database()
        yield postgres


@dataclass
class PrivateReplica(PrivatePostgres):
    """A hot standby of `primary`, streaming from it: pg_basebackup -R of its
    cluster (initdb's trust lets 127.0.0.1 replicate), on a port of its own."""

    primary: PrivatePostgres | None = None
    server_options = "-c hot_standby=on -c hot_standby_feedback=on"

    def data_argv(self) -> list[str]:
        """The data directory is a copy of the primary's, set to stream from it."""
        return [
            str(PG_BIN / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
            *("-D", str(self.data), "-R", "-X", "stream", "-c", "fast"),
        ]


@contextmanager
def private_replica(primary: PrivatePostgres) -> Iterator[PrivateReplica]:
    """A streaming replica of `primary`, its data made after the primary's (so
    it holds the primary's databases); stopped however the block ends."""
    with _running("replica-pg-", PrivateReplica, primary=primary) as replica:
        yield replica


@dataclass
class PrivateRedis:
    home: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.home),
                "--logfile",
                "redis.log",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            )
            if probe.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("the private Redis did not start")

    def kill(self) -> None:
        """SIGKILL, as a crash: what it held (locks, the cache) is gone."""
        if self.process is not None and self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    with tempfile.TemporaryDirectory(prefix="chaos-redis-") as directory:
        redis = PrivateRedis(Path(directory))
        redis.start()
        try:
            yield redis
        finally:
            redis.kill()


@dataclass
class PrivatePgBouncer:
    """PgBouncer (Debian's, 1.18) in transaction mode in front of a PostgreSQL
    server, on a spare port, with the settings deploy/pgbouncer/pgbouncer.ini
    gives production: `connect_query` sets what apps/core/db.py sets per session
    on each server connection, since a client's SET would stay on whichever
    server connection ran it."""

    home: Path
    upstream_port: int
    upstream_host: str = "127.0.0.1"
    pool_size: int = 40
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The upstream's database, through this pooler."""
        return database_url(self.port)

    def write_config(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "userlist.txt").write_text('"postgres" ""\n')
        template = (ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini").read_text()
        config = string.Template(template).substitute(
            DATABASE_HOST=self.upstream_host,
            DATABASE_PORT=self.upstream_port,
            LISTEN_PORT=self.port,
            POOL_SIZE=self.pool_size,
            LISTEN_ADDR="127.0.0.1",
            AUTH_TYPE="trust",
            AUTH_FILE=self.home / "userlist.txt",
            ADMIN_USER="postgres",
        )
        path = self.home / "pgbouncer.ini"
        path.write_text(config)
        if os.geteuid() == 0:
            for entry in (self.home, *self.home.iterdir()):
                shutil.chown(entry, "postgres", "postgres")
        return path

    def start(self) -> None:
        self.process = spawn(
            _as_postgres([PGBOUNCER, str(self.write_config())]), log=self.home / "pgbouncer.log"
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "PgBouncer exited: " + (self.home / "pgbouncer.log").read_text()[-2000:]
                )
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("PgBouncer did not start")

    def kill(self) -> None:
        """SIGKILL, as a crash: its clients' connections drop mid-transaction."""
        kill_group(self.process)


@contextmanager
def private_pgbouncer(
    upstream_port: int, upstream_host: str = "127.0.0.1", pool_size: int = 40
) -> Iterator[PrivatePgBouncer]:
    if not PGBOUNCER:
        raise RuntimeError("PgBouncer is not installed (Debian's package pgbouncer)")
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as directory:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        bouncer = PrivatePgBouncer(
            Path(directory) / "pgbouncer",
            upstream_port=upstream_port,
            upstream_host=upstream_host,
            pool_size=pool_size,
        )
        bouncer.start()
        try:
            yield bouncer
        finally:
            kill_group(bouncer.process, signal.SIGTERM)
