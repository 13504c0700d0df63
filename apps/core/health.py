"""Liveness and readiness probes."""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .api_errors import envelope

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    # The Redis cache ignores connection errors (a dead cache reads as a miss), so
    # the only reliable probe is a write that must read back.
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise ConnectionError("the cache did not return a value just written")
    cache.delete(key)


def check_broker() -> None:
    from config.celery_app import app

    # One try within a second: an answer now, not retries with back-off (2.5 s
    # a probe with Redis down) nor a wait without end on a broker that accepts
    # and never answers.
    timeouts = {"socket_timeout": 1, "socket_connect_timeout": 1}
    with app.connection_for_write(transport_options=timeouts) as conn:
        conn.ensure_connection(max_retries=0, timeout=1)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up. Touches no dependency."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database, cache and broker all answer; 503 naming those that do not."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure of a dependency is a "not ready"
            logger.warning("readiness check failed", extra={"dependency": name, "error": str(exc)})
            results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
        else:
            results[name] = "ok"
    failed = sorted(name for name, outcome in results.items() if outcome != "ok")
    if failed:
        return JsonResponse(
            envelope("not_ready", f"Unavailable: {', '.join(failed)}.", results), status=503
        )
    return JsonResponse({"status": "ready", "checks": results})
