import contextlib
import socket
import threading

import pytest
from django.test import override_settings

from config.celery_app import app as celery_app

DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_returns_ok_without_touching_dependencies(client, settings):
    # given no database access allowed (no django_db mark: a query would raise)
    # and a cache that does not exist
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": DEAD_REDIS}}
    # when
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_returns_200_when_every_dependency_answers(client):
    response = client.get("/readyz/")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


@pytest.mark.django_db
def test_readyz_returns_503_naming_a_dead_cache(client, settings):
    # given a cache pointed at a port where nothing listens
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": DEAD_REDIS,
        }
    }
    # when
    response = client.get("/readyz/")
    # then
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["database"] == "ok"
    assert error["details"]["broker"] == "ok"
    assert error["details"]["cache"].startswith("error:")
    assert "cache" in error["message"]


@pytest.mark.django_db
def test_readyz_returns_503_naming_a_dead_broker(client, monkeypatch):
    # given the Celery app configured with a broker that does not answer
    monkeypatch.setattr(celery_app.conf, "broker_url", DEAD_REDIS)
    # when
    response = client.get("/readyz/")
    # then
    assert response.status_code == 503
    details = response.json()["error"]["details"]
    assert details["broker"].startswith("error:")
    assert details["database"] == "ok" and details["cache"] == "ok"


def test_readyz_rejects_post_with_405(client):
    with override_settings():
        response = client.post("/readyz/")
    assert response.status_code == 405


def test_request_id_is_generated_and_returned(client):
    response = client.get("/healthz/")
    assert len(response["X-Request-ID"]) == 32


def test_request_id_from_the_caller_is_kept(client):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="edge-42.abc")
    assert response["X-Request-ID"] == "edge-42.abc"


@pytest.mark.parametrize("bad", ["has space", "x" * 200, "semi;colon", "<script>"])
def test_unsafe_request_id_is_replaced(client, bad):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32


class _SilentServer:
    """A TCP port that accepts connections, counts them and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                self.accepted.append(self.sock.accept()[0])

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.mark.django_db
def test_readyz_tries_a_silent_broker_once_without_backing_off(client, monkeypatch):
    # given a broker that accepts connections and never answers (before, the
    # check retried after a 2 s back-off: readyz took 2.5 s a call with Redis down)
    silent = _SilentServer()
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{silent.port}/0")
    try:
        response = client.get("/readyz/")
    finally:
        silent.close()
    # then one connection, given up after the check's own timeout
    assert response.status_code == 503
    assert response.json()["error"]["details"]["broker"].startswith("error:")
    assert len(silent.accepted) == 1
