"""A dependency that is down (PostgreSQL, a required Redis) answers 503, not 500.

`dependency_down(exc)` names the dependency an exception says is unreachable:
the database when the connection failed, was closed, or the server is shutting
down or starting (SQLSTATE classes 08 and 57P01-57P03); Redis on a connection
error or timeout. Any other database error (a deadlock, a constraint) is not an
outage and stays what it was.

An outage is logged once, at ERROR with the first exception, then at most once a
minute while it lasts with the count of requests refused meanwhile, and once
more (INFO) when a new database connection succeeds again. Each process keeps
its own record, so N web processes write N first lines.
"""

import logging
import threading
import time

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError
from django.db.backends.signals import connection_created
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("apps.outages")

RETRY_AFTER_SECONDS = 5  # about a database reconnect (DATABASE_CONNECT_TIMEOUT's default)
REMIND_EVERY_SECONDS = 60

# Connection exceptions, and the server shutting down (admin, crash) or not yet
# accepting connections.
_OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def dependency_down(exc: BaseException) -> str | None:
    if isinstance(exc, InterfaceError):  # the connection was already closed
        return "database"
    if isinstance(exc, OperationalError):
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        # No SQLSTATE: the client could not reach the server, or lost it
        # mid-query (refused, reset, timed out); SQLite's "database is locked".
        if sqlstate is None or sqlstate.startswith(_OUTAGE_SQLSTATES):
            return "database"
        return None
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return "redis"
    return None


class _Outages:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, dict] = {}  # dependency -> since, logged_at, refused

    def refused(self, dependency: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            outage = self._open.get(dependency)
            if outage is None:
                self._open[dependency] = {"since": now, "logged_at": now, "refused": 1}
                first, remind = True, False
            else:
                outage["refused"] += 1
                first = False
                remind = now - outage["logged_at"] >= REMIND_EVERY_SECONDS
                if remind:
                    outage["logged_at"] = now
            refused, since = self._open[dependency]["refused"], self._open[dependency]["since"]
        if first:
            logger.error(
                "%s unavailable: answering 503",
                dependency,
                exc_info=exc,
                extra={"dependency": dependency},
            )
        elif remind:
            logger.error(
                "%s still unavailable after %.0fs: %d requests answered 503",
                dependency,
                now - since,
                refused,
                extra={"dependency": dependency, "refused": refused},
            )

    def back(self, dependency: str) -> None:
        if dependency not in self._open:  # the common case: no lock taken
            return
        with self._lock:
            outage = self._open.pop(dependency, None)
        if outage is not None:
            logger.info(
                "%s back after %.1fs: %d requests were answered 503",
                dependency,
                time.monotonic() - outage["since"],
                outage["refused"],
                extra={"dependency": dependency, "refused": outage["refused"]},
            )

    def __contains__(self, dependency: str) -> bool:
        return dependency in self._open


outages = _Outages()


def _database_connected(connection, **kwargs) -> None:
    if connection.alias == DEFAULT_DB_ALIAS:  # a replica coming back is not the database
        outages.back("database")


connection_created.connect(_database_connected, dispatch_uid="apps.core.outages.database_back")
