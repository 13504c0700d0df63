"""Reads on a streaming replica, decisions on the primary.

With REPLICA_DATABASE_URL set (config/settings/base.py, alias `replica`), the
views that opt in with `ReplicaReads` (the catalog list and product detail,
availability, the reports) read from the replica; everything else, and every
decision (reserve, confirm, claim, spend, pay: anything that locks a row or
checks a balance), reads and writes the primary. The router below only moves
a read when such a view asked for it in this request, so a query outside them
cannot land on the replica by accident.

A read goes to the replica only when all three hold:

- it answers: a replica that failed (refused, timed out, shut down, promoted)
  is left alone for REPLICA_RETRY_SECONDS, and its read reruns on the primary;
- it keeps up: its lag, measured at most every REPLICA_CHECK_SECONDS (1) per
  process, is within REPLICA_MAX_LAG_SECONDS. The lag is 0 while it streams and has replayed all
  it received, else the age of the last transaction it replayed (an idle
  primary makes that an overestimate, which only sends reads to the primary);
- it has the reader's own writes: each write by a signed-in user records the
  primary's WAL position (`ReplicaPinMiddleware`, in Redis for
  REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS + 1 s), and that user reads
  the primary until the replica has replayed past it. Once the record expires,
  a replica still without the write is more than REPLICA_MAX_LAG_SECONDS
  behind (the write is older than that, plus the time the lag may be stale),
  so no one reads it.
  Redis down loses the record: for at most the allowed lag, a user may then
  not see a write of theirs on these reads.

Each such response says where it was read: `X-Read-From: replica` with
`X-Replica-Lag` (seconds), or `X-Read-From: primary`. Without a replica
nothing here runs: no header, no query, the middleware unloaded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import StreamingHttpResponse
from rest_framework.permissions import SAFE_METHODS

from .middleware import authenticated_user_id
from .outages import dependency_down

logger = logging.getLogger("apps.outages")

REPLICA = "replica"
_HOT_STANDBY_CONFLICT = "40001"  # a replayed change cancelled the query on the replica

_reading: ContextVar[str | None] = ContextVar("replica_reading", default=None)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reading_connection():
    """The connection this request reads from: the replica inside a replica
    read, else the primary. Raw SQL of the opted-in reads takes it."""
    return connections[_reading.get() or DEFAULT_DB_ALIAS]


class ReplicaRouter:
    """Reads go where the current replica read says (none: the primary);
    writes and migrations always to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        return _reading.get()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


# --- the replica's state, per process -----------------------------------------------


@dataclass(frozen=True)
class ReplicaState:
    lag: float  # seconds behind the primary
    replayed: int  # WAL position replayed, in bytes
    checked_at: float  # time.monotonic()


_STATE_SQL = """
SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint,
       CASE WHEN pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn()
             AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming')
            THEN 0
            ELSE COALESCE(extract(epoch FROM clock_timestamp()
                                             - pg_last_xact_replay_timestamp()),
                          'Infinity')
       END::float8
"""


class _Replica:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: ReplicaState | None = None
        self._down_until = 0.0

    def state(self) -> ReplicaState | None:
        """The replica's lag and replay position, at most REPLICA_CHECK_SECONDS
        old; None while it is down."""
        now = time.monotonic()
        if now < self._down_until:
            return None
        state = self._state
        if state is not None and now - state.checked_at < settings.REPLICA_CHECK_SECONDS:
            return state
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(_STATE_SQL)
                replayed, lag = cursor.fetchone()
        except DatabaseError as exc:
            self.failed(exc)
            return None
        if replayed is None:  # promoted: not a replica of this primary any more
            self.failed(None)
            return None
        with self._lock:
            if self._down_until:
                self._down_until = 0.0
                logger.info("replica available again: reads on it")
            self._state = ReplicaState(lag=lag, replayed=replayed, checked_at=now)
        return self._state

    def failed(self, exc: BaseException | None) -> None:
        """Leave the replica alone for REPLICA_RETRY_SECONDS."""
        with self._lock:
            first = not self._down_until
            self._down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
            self._state = None
        with suppress(DatabaseError):
            connections[REPLICA].close()
        if first:
            logger.warning("replica unavailable: reads on the primary", exc_info=exc)


replica = _Replica()


# --- read your writes -------------------------------------------------------------------


def _written_key(user_id) -> str:
    return f"replica:written:{user_id}"


def remember_write(user_id) -> None:
    """Record the primary's WAL position after a write of `user_id`'s."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")
        (position,) = cursor.fetchone()
    timeout = settings.REPLICA_MAX_LAG_SECONDS + settings.REPLICA_CHECK_SECONDS + 1
    cache.set(_written_key(user_id), int(position), timeout=timeout)


class ReplicaPinMiddleware:
    """After a successful write by a signed-in user, remember where the primary
    was, so that their next reads wait for the replica to get there."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and response.status_code < 400
            and not getattr(request, "replica_read", False)
        ):
            user_id = authenticated_user_id(request)
            if user_id is not None:
                # The primary gone after the write: the view's answer stands.
                with suppress(DatabaseError):
                    remember_write(user_id)
        return response


def replica_for(user) -> ReplicaState | None:
    """The replica's state if `user` may read it now, else None (the primary)."""
    state = replica.state()
    if state is None or state.lag > settings.REPLICA_MAX_LAG_SECONDS:
        return None
    if user is not None and user.is_authenticated:
        written = cache.get(_written_key(user.pk))
        if written is not None and state.replayed < written:
            return None
    return state


# --- views ------------------------------------------------------------------------------


def _reading_on(alias: str, items: Iterable) -> Iterator:
    """`items` consumed with reads on `alias`: a streamed response's rows are
    read after the view has returned."""
    iterator = iter(items)
    while True:
        token = _reading.set(alias)
        try:
            item = next(iterator)
        except StopIteration:
            return
        finally:
            _reading.reset(token)
        yield item


# A DRF view whose `replica_methods` (GET, HEAD; POST for a read sent as one)
# read from the replica when it may (see the module's docstring). A read the
# replica fails (it went down, or a replayed change cancelled it) runs again on
# the primary. (Comments, not a docstring: drf-spectacular would give the
# docstring to every operation of the views that mix this in.)
class ReplicaReads:
    replica_methods = ("GET", "HEAD")

    _replica_state: ReplicaState | None = None
    _replica_token = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions: the primary
        if request.method in self.replica_methods and replica_configured():
            request._request.replica_read = True
            self._replica_state = replica_for(request.user)
            if self._replica_state is not None:
                self._replica_token = _reading.set(REPLICA)

    def handle_exception(self, exc):
        if self._replica_token is not None and self._replica_failed(exc):
            self._stop_reading()
            self._replica_state = None
            handler = getattr(self, self.request.method.lower(), self.http_method_not_allowed)
            try:
                return handler(self.request, *self.args, **self.kwargs)
            except Exception as again:
                exc = again
        return super().handle_exception(exc)

    @staticmethod
    def _replica_failed(exc: BaseException) -> bool:
        if dependency_down(exc) == "database":
            replica.failed(exc)
            return True
        return getattr(exc.__cause__, "sqlstate", None) == _HOT_STANDBY_CONFLICT

    def _stop_reading(self) -> None:
        if self._replica_token is not None:
            _reading.reset(self._replica_token)
            self._replica_token = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request._request, "replica_read", False):
            state = self._replica_state
            if state is None:
                response["X-Read-From"] = "primary"
            else:
                response["X-Read-From"] = "replica"
                response["X-Replica-Lag"] = f"{state.lag:.3f}"
                if isinstance(response, StreamingHttpResponse):
                    response.streaming_content = _reading_on(REPLICA, response.streaming_content)
        self._stop_reading()
        return response
