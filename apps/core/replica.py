"""Reads on a streaming replica, decisions on the primary.

With REPLICA_DATABASE_URL set (config/settings/base.py, alias `replica`: one
server, not a pool of them), the views that opt in with `ReplicaReads` (the
catalog list and product detail, availability, the reports' pages and
summaries) read from the replica; everything else, and every decision
(reserve, confirm, claim, spend, pay: anything that locks a row or checks a
balance), reads and writes the primary. The router only moves a read while
such a view asks for it in this request, never inside a transaction, and the
view's dispatch clears that however the request ends, so a query outside them
cannot land on the replica.

A read goes to the replica only when all three hold:

- it answers: a replica that failed (refused, timed out, shut down, promoted)
  is left alone for REPLICA_RETRY_SECONDS, and its read reruns on the primary;
- it keeps up: at most every REPLICA_CHECK_SECONDS each process notes the
  primary's WAL flush position, then asks the replica how far it has replayed.
  Its lag is the age of the newest note it has replayed past: everything the
  primary had flushed then, the replica has. That bound holds whatever the
  replica says of itself (after a restart, on a stalled link) and whatever the
  clocks of the two hosts say. Over REPLICA_MAX_LAG_SECONDS: the primary.
- it has the reader's own writes: each write by a signed-in user records the
  primary's WAL insert position (`ReplicaPinMiddleware`, in Redis for
  PIN_SECONDS), and that user reads the primary until the replica has replayed
  past it.

Each such response says where it was read: `X-Read-From: replica` with
`X-Replica-Lag` (seconds), or `X-Read-From: primary`. Without a replica
nothing here runs: no header, no query, the middleware unloaded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from rest_framework.permissions import SAFE_METHODS

from .middleware import authenticated_user_id
from .outages import dependency_down

logger = logging.getLogger("apps.outages")

REPLICA = "replica"
# How long a user's last write keeps them on the primary, at most: minutes, so
# that read-your-writes holds by the replay position alone, whatever the lag.
PIN_SECONDS = 300
_HOT_STANDBY_CONFLICTS = ("40001", "40P01")  # replay cancelled the query on the replica

_reading: ContextVar[str | None] = ContextVar("replica_reading", default=None)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reading_connection():
    """The connection this request reads from: the replica inside a replica
    read, else the primary. Raw SQL of the opted-in reads takes it."""
    return connections[ReplicaRouter().db_for_read(None)]


class ReplicaRouter:
    """Reads go where the current replica read says, outside a transaction on
    the primary; everything else, writes and migrations to the primary."""

    def db_for_read(self, model, **hints) -> str:
        alias = _reading.get()
        if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


# --- the replica's state, per process ------------------------------------------------


@dataclass(frozen=True)
class ReplicaState:
    lag: float  # seconds: the replica has everything the primary had flushed this long ago
    replayed: int  # WAL position replayed, in bytes
    checked_at: float  # time.monotonic()


_POSITION_SQL = "SELECT pg_wal_lsn_diff({}, '0/0')::bigint"
_PRIMARY_FLUSHED = _POSITION_SQL.format("pg_current_wal_flush_lsn()")
_PRIMARY_INSERTED = _POSITION_SQL.format("pg_current_wal_insert_lsn()")
_REPLICA_REPLAYED = _POSITION_SQL.format("pg_last_wal_replay_lsn()")  # NULL once promoted


def _position(alias: str, sql: str) -> int | None:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


class _Replica:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: ReplicaState | None = None
        self._down_until = 0.0
        self._failures = 0  # a check that began before a failure does not undo it
        self._notes: deque[tuple[float, int]] = deque()  # (monotonic, primary flushed)

    def state(self) -> ReplicaState | None:
        """The replica's lag and replay position, at most REPLICA_CHECK_SECONDS
        old; None while it is down or the primary cannot say where it is."""
        now = time.monotonic()
        with self._lock:
            if now < self._down_until:
                return None
            state, failures = self._state, self._failures
        if state is not None and now - state.checked_at < settings.REPLICA_CHECK_SECONDS:
            return state
        try:
            flushed = _position(DEFAULT_DB_ALIAS, _PRIMARY_FLUSHED)
        except DatabaseError:
            return None  # the primary's own outage is answered on the primary
        try:
            replayed = _position(REPLICA, _REPLICA_REPLAYED)
        except DatabaseError as exc:
            self.failed(exc)
            return None
        if replayed is None:  # promoted: not a replica of this primary any more
            self.failed(None)
            return None
        with self._lock:
            if failures != self._failures:
                return None
            self._notes.append((now, flushed))
            horizon = now - settings.REPLICA_MAX_LAG_SECONDS - settings.REPLICA_CHECK_SECONDS
            while len(self._notes) > 1 and self._notes[1][0] <= horizon:
                self._notes.popleft()
            noted_at = next((at for at, lsn in reversed(self._notes) if lsn <= replayed), None)
            lag = float("inf") if noted_at is None else now - noted_at
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
            self._failures += 1
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
    """Record the primary's WAL position after a write of `user_id`'s (the
    furthest, if two of theirs end at once)."""
    position = _position(DEFAULT_DB_ALIAS, _PRIMARY_INSERTED)
    key = _written_key(user_id)
    if position > (cache.get(key) or 0):
        cache.set(key, position, timeout=PIN_SECONDS)


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


# A DRF view whose `replica_methods` (GET, HEAD; POST for a read sent as one)
# read from the replica when it may (see the module's docstring) and
# `reads_replica` agrees. A read the replica fails (it went down, or a replayed
# change cancelled it) runs again on the primary. (Comments, not a docstring:
# drf-spectacular would give the docstring to every operation of the views
# that mix this in.)
class ReplicaReads:
    replica_methods = ("GET", "HEAD")

    _replica_state: ReplicaState | None = None
    _replica_token = None

    def reads_replica(self, request) -> bool:
        """Whether this read may go to the replica at all (a view narrows it)."""
        return True

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            self._stop_reading()  # also when an exception escapes DRF's handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # negotiation, auth, permissions: primary
        if replica_configured() and request.method in self.replica_methods:
            request._request.replica_read = True
            if self.reads_replica(request):
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
        if dependency_down(exc) == "database" and connections[REPLICA].errors_occurred:
            replica.failed(exc)
            return True
        return getattr(exc.__cause__, "sqlstate", None) in _HOT_STANDBY_CONFLICTS

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
        self._stop_reading()
        return response
