"""`make run`'s server starts quietly: the banner last, with the URLs and the
demo users, the development server explained in one line, and no beat chatter."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from django.conf import settings

from apps.core.testing import run_on_embedded_default


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_prints_the_banner_last_and_quietly(tmp_path):
    assert run_on_embedded_default(tmp_path, "manage.py", "migrate", "-v", "0").returncode == 0
    port = _free_port()
    prefixes = ("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EMBEDDED_", "TEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        LOG_DIR=str(tmp_path),
        LOG_FILE_ENABLED="false",
    )
    out = tmp_path / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, out.read_text()
                time.sleep(0.3)
        time.sleep(6)  # beat's five-second sweep has run at least once more
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    text = out.read_text()
    lines = text.splitlines()
    banner = lines.index("Inventory reservation API")
    server_line = next(
        i for i, line in enumerate(lines) if "development server, for a first" in line
    )
    assert banner < server_line
    assert f"http://127.0.0.1:{port}/api/docs/" in text and "customer@example.com" in text
    # nothing of Django's usual start-up chatter, and no line per beat task run
    assert "WARNING: This is a development server" not in text
    assert "Performing system checks" not in text
    assert "celery.app.trace" not in text
    # what comes after the banner is the server's own (the request logged)
    assert all(
        '"logger": "apps.request"' in line or not line.startswith("{")
        for line in lines[server_line + 1 :]
    ), text
