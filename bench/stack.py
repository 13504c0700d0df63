"""gunicorn serving config.wsgi under config.settings.bench, and the nginx
proxy production puts in front of it (deploy/nginx/), always stopped.

Default: 5 sync workers (BENCH_WORKERS, BENCH_WORKER_CLASS, BENCH_THREADS
override; `python -m bench --tune-workers` measures the choices again). See
bench/README.md for the figures behind the default.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from . import RESULTS_DIR, ROOT, SETTINGS_MODULE

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LOG_FILE = RESULTS_DIR / "gunicorn.log.tmp"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class GunicornConfig:
    workers: int = 5
    worker_class: str = "sync"
    threads: int = 1

    @classmethod
    def from_env(cls) -> GunicornConfig:
        default = cls()
        return cls(
            workers=int(os.environ.get("BENCH_WORKERS", default.workers)),
            worker_class=os.environ.get("BENCH_WORKER_CLASS", default.worker_class),
            threads=int(os.environ.get("BENCH_THREADS", default.threads)),
        )

    @property
    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"{self.workers} gthread x {self.threads} threads"
        return f"{self.workers} {self.worker_class}"

    def argv(self, bind: str) -> list[str]:
        return [
            str(GUNICORN),
            "config.wsgi:application",
            f"--bind={bind}",
            f"--workers={self.workers}",
            f"--worker-class={self.worker_class}",
            f"--threads={self.threads}",
            "--log-level=warning",
            f"--error-logfile={LOG_FILE}",
        ]


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    config: GunicornConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(
    argv: list[str], *, env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """A process of the stack in its own session (a Ctrl-C reaches the harness,
    which stops it itself; `kill_group` stops it and its children, nothing
    else), from the repository root, its output appended to `log` or dropped."""
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        if log is not None:
            output.close()


def celery(*args: str, env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    """`celery -A config *args` (a worker, beat) with `env` added to the environment."""
    celery_bin = str(ROOT / ".venv" / "bin" / "celery")
    return spawn([celery_bin, "-A", "config", *args], env={**os.environ, **env}, log=log)


def kill_group(process: subprocess.Popen | None, sig: signal.Signals = signal.SIGKILL) -> None:
    """`sig` to a spawned process and its children, then wait for it."""
    if process is not None and process.poll() is None:
        _signal_group(process.pid, sig)
        process.wait(timeout=30)


@contextmanager
def gunicorn(
    config: GunicornConfig, port: int | None = None, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start gunicorn, wait for /healthz/, yield; stop it however the block ends.
    `env` adds to the environment (another settings module, say)."""
    port = port or int(os.environ.get("BENCH_PORT", 0)) or free_port()
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    LOG_FILE.write_text("")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    process = spawn(config.argv(f"127.0.0.1:{port}"), env=env)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(process, base_url)
        yield Server(base_url, process.pid, config)
    finally:
        _stop(process)


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "default.conf.template"


@contextmanager
def proxy(upstream: Server, port: int | None = None) -> Iterator[Server]:
    """nginx with deploy/nginx/default.conf.template in front of `upstream`, in
    a temporary directory of its own; stopped (by its PID) however the block ends."""
    port = port or free_port()
    body_limit = os.environ.get("REQUEST_BODY_MAX_BYTES", "2621440")
    server_conf = string.Template(NGINX_TEMPLATE.read_text()).safe_substitute(
        NGINX_PORT=f"127.0.0.1:{port}",
        NGINX_UPSTREAM=upstream.base_url.removeprefix("http://"),
        REQUEST_BODY_MAX_BYTES=body_limit,
    )
    with tempfile.TemporaryDirectory(prefix="proxy-") as directory:
        home = Path(directory)
        (home / "server.conf").write_text(server_conf)
        (home / "nginx.conf").write_text(
            f"pid {home}/nginx.pid;\nerror_log {home}/error.log warn;\n"
            "worker_processes 1;\nevents { worker_connections 1024; }\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {home}/body;\n"
            f"  proxy_temp_path {home}/proxy;\n  fastcgi_temp_path {home}/fastcgi;\n"
            f"  uwsgi_temp_path {home}/uwsgi;\n  scgi_temp_path {home}/scgi;\n"
            f"  include {home}/server.conf;\n}}\n"
        )
        process = spawn(
            [NGINX, "-p", str(home), "-c", str(home / "nginx.conf"), "-g", "daemon off;"]
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_healthy(process, base_url, log=home / "error.log")
            yield Server(base_url, process.pid, upstream.config)
        finally:
            _stop(process)


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path = LOG_FILE) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[0]} exited with {process.returncode}:\n{log_tail(path=log)}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/healthz/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{process.args[0]} not healthy after {START_TIMEOUT_S:.0f} s:\n{log_tail(path=log)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to gunicorn's process group (master and workers), SIGKILL if it lingers."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
    # Workers orphaned by a master that died first still belong to its group.
    _signal_group(process.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def log_tail(lines: int = 30, path: Path = LOG_FILE) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no gunicorn log)"


class SlowClients:
    """`count` clients that send the start of a request's headers, then a
    header line a second, and never finish (until `close`)."""

    def __init__(self, port: int, count: int = 50):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /healthz/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stop.wait(1):
            for sock in self.sockets:
                with suppress(OSError):  # dropped: what a proxy's timeout does
                    sock.sendall(b"X-Slow: 1\r\n")

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()
