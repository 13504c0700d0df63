"""The serving setup of production: gunicorn's sync workers behind the nginx
proxy of deploy/nginx/ (both started here on spare ports, stopped by PID).
Slow clients cannot take the service down, limits are answered in the API's
envelope, and a dead application is a 503, not a bare 502."""

import json
import os
import re
import socket
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from apps.core.testing import gunicorn_on_test_database
from bench.stack import NGINX, SlowClients, proxy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module", autouse=True)
def _nginx_installed():
    if not os.path.exists(NGINX):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{NGINX} missing (apt-get install nginx-light)")
        pytest.skip(f"{NGINX} missing (apt-get install nginx-light)")


@pytest.fixture
def app():
    """gunicorn with two sync workers on the test database."""
    with gunicorn_on_test_database(workers=2) as server:
        yield server


def _port(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def _answers(url: str, tries: int, timeout: float = 2.0) -> list[int | str]:
    answers = []
    for _ in range(tries):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                answers.append(response.status)
        except urllib.error.HTTPError as exc:
            answers.append(exc.code)
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            answers.append(type(exc).__name__)
        time.sleep(0.2)
    return answers


def test_fifty_slow_clients_pin_bare_gunicorn_but_not_the_proxy(app):
    # without the proxy, two sync workers are held by the first two slow clients
    slow = SlowClients(_port(app))
    try:
        bare = _answers(f"{app.base_url}/healthz/", tries=2)
    finally:
        slow.close()
    assert 200 not in bare, bare

    with proxy(app) as front:
        slow = SlowClients(_port(front))
        try:
            health = _answers(f"{front.base_url}/healthz/", tries=6)
            real = _answers(f"{front.base_url}/api/v1/products/?page_size=5", tries=3)
        finally:
            slow.close()
    assert health == [200] * 6 and real == [200] * 3, (health, real)


def _raw(port: int, request: bytes) -> tuple[int, dict]:
    """The status and JSON body of a request sent as bytes (the answer is read
    by its Content-Length: nginx may hold the connection open after a refusal)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head, re.IGNORECASE).group(1))
        while len(body) < length:
            body += sock.recv(65536)
    return int(head.split(b" ")[1]), json.loads(body)


def test_limits_are_answered_in_the_envelope_by_the_proxy(app):
    with proxy(app) as front:
        port = _port(front)
        headers_status, headers_body = _raw(
            port,
            b"GET /api/v1/products/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"X-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        )
        body_status, body_body = _raw(
            port,
            b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n",
        )

    assert (headers_status, headers_body["error"]["code"]) == (431, "headers_too_large")
    assert (body_status, body_body["error"]["code"]) == (413, "request_too_large")
    assert body_body["error"]["details"] == {"limit_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}


def test_with_the_application_down_the_proxy_answers_503_with_retry_after(app):
    with proxy(app) as front:
        os.killpg(app.pid, 9)  # gunicorn, master and workers: started by this test
        time.sleep(0.5)
        try:
            urllib.request.urlopen(f"{front.base_url}/api/v1/products/", timeout=5)
        except urllib.error.HTTPError as exc:
            answer = exc
    assert answer.code == 503 and answer.headers["Retry-After"] == "5"
    assert json.loads(answer.read())["error"]["code"] == "service_unavailable"
