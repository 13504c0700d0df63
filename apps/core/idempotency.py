"""Idempotency-Key for mutating POSTs (docs/architecture.md, "Idempotency").

Same key and same body: the stored answer is replayed with
`Idempotent-Replayed: true` and nothing happens twice. Same key, different body:
422 `idempotency_key_mismatch`. Same key while the first request still runs: 409
`idempotency_key_in_use`.

The key is claimed by the service, in the service's own transaction, not around
the view: the view builds an `Idempotency` from the request (the key, the
caller, the route and a fingerprint of the body) and passes it on; the service
claims it first thing and records its outcome before it commits (most services
simply wear `@idempotent_service`); the view renders the answer after the
commit and stores it with the key (`idempotent_response`). So no row lock
is held while a response is rendered, and a service that commits twice around
an external call (a payment) can claim the key in its first transaction and
complete it in its second (`idempotency_begin` / `idempotency_complete`).

1. A non-blocking advisory lock on (caller, route, key), taken before any row
   lock, answers a concurrent duplicate with 409 at once (PostgreSQL; SQLite's
   IMMEDIATE transactions already run writers one at a time).
2. A stored record is replayed: a refusal is raised again as it was stored; a
   success hands the service the id of what it made, which it returns as it
   returns a fresh result; the view then answers the stored body (or, if the
   process died between the commit and storing it, renders it now).
3. Otherwise the business work runs inside a savepoint. Its domain failures
   (409, 404, ...) roll the savepoint back and are stored like successes, so a
   retry sees the same answer. Input that fails the view's validation (400) is
   not stored, since no service ran.
4. The unique constraint on (caller, route, key) is the last guard: should two
   requests ever get this far, the second rolls back whole.
"""

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from operator import attrgetter
from typing import Any, TypeVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .api_errors import envelope
from .db import advisory_xact_lock
from .errors import (
    DomainError,
    IdempotencyKeyInUse,
    IdempotencyKeyMismatch,
    IdempotentReplay,
)
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = IdempotentReplay.REPLAYED_HEADER
_VALID_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
T = TypeVar("T")


@dataclass(slots=True)
class Idempotency:
    """One request's Idempotency-Key, as the view hands it to the service.

    `record` is set by the claim: the earlier request's record when this one is a
    replay, else the record this request wrote. `replayed` tells the view which."""

    user_id: int
    route: str
    key: str
    fingerprint: str
    record: IdempotencyRecord | None = None
    replayed: bool = False

    @classmethod
    def from_request(cls, request: Request, **path: Any) -> "Idempotency | None":
        """The request's key, or None without the header; 400 for a malformed key
        or, since the body is fingerprinted, a body that does not parse."""
        key = request.headers.get(HEADER)
        if key is None:
            return None
        if not _VALID_KEY.match(key):
            raise ValidationError({HEADER: ["Must be 1-255 printable ASCII characters."]})
        match = request.resolver_match
        canonical = json.dumps(
            {"body": request.data, "path": path},
            sort_keys=True,
            separators=(",", ":"),
            cls=DjangoJSONEncoder,
        )
        return cls(
            user_id=request.user.pk,
            route=f"{request.method} {match.route if match else request.path}",
            key=key,
            fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
        )

    def _scope(self) -> str:
        return f"idem:{self.user_id}:{self.route}:{self.key}"


class Claim:
    """What a service sees of its claimed key: `result_id` of an earlier request
    with this key (a replay: return that result, do nothing), or None (do the
    work, then call `succeeded` with the id of what was made)."""

    __slots__ = ("_idempotency", "done", "result_id")

    def __init__(self, idempotency: Idempotency | None, result_id: str | None = None) -> None:
        self._idempotency = idempotency
        self.result_id = result_id
        self.done = idempotency is None or result_id is not None

    def succeeded(self, result_id: Any) -> None:
        if self._idempotency is not None:
            _insert(self._idempotency, result_id=str(result_id), completed=True)
        self.done = True

    def started(self, result_id: Any) -> None:
        """For a service that commits twice around an external call: what its
        first transaction made, recorded as still in flight (a retry meanwhile
        is 409 `idempotency_key_in_use`); `idempotency_complete`, in its second
        transaction, ends it."""
        if self._idempotency is not None:
            _insert(self._idempotency, result_id=str(result_id), completed=False)
        self.done = True


def _find(idempotency: Idempotency) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        user_id=idempotency.user_id, route=idempotency.route, key=idempotency.key
    ).first()


def _insert(
    idempotency: Idempotency,
    *,
    result_id: str = "",
    completed: bool,
    refusal: DomainError | None = None,
) -> None:
    idempotency.record = IdempotencyRecord.objects.create(
        user_id=idempotency.user_id,
        route=idempotency.route,
        key=idempotency.key,
        fingerprint=idempotency.fingerprint,
        result_id=result_id,
        status_code=refusal.status_code if refusal else None,
        response_body=envelope(refusal.code, refusal.message, refusal.details) if refusal else None,
        completed_at=timezone.now() if completed else None,
    )


def _claim(idempotency: Idempotency, *, resume: bool = False) -> str | None:
    """Inside the service's transaction: lock the key, then the id of an earlier
    request's result (a replay), or None (first time). An earlier refusal is
    raised again; a request still between its two transactions is 409, unless
    the service `resume`s it (then its result id is answered)."""
    if not advisory_xact_lock(idempotency._scope(), wait=False):
        raise IdempotencyKeyInUse()
    record = _find(idempotency)
    if record is None:
        return None
    if record.fingerprint != idempotency.fingerprint:
        raise IdempotencyKeyMismatch()
    if record.completed_at is None and not resume:
        raise IdempotencyKeyInUse()
    idempotency.record, idempotency.replayed = record, True
    if record.status_code is not None and record.status_code >= 400:
        raise IdempotentReplay(record.status_code, record.response_body)
    return record.result_id


@contextmanager
def idempotent_transaction(
    idempotency: Idempotency | None, *, atomic: bool = True
) -> Iterator[Claim]:
    """A service's transaction with its key claimed (module docstring).

    Without a key: a plain `transaction.atomic()` (or nothing, when `atomic` is
    false: a service whose steps each commit alone). With one: a durable
    transaction; the work runs in a savepoint, and a DomainError it raises is
    stored, committed and raised again. A replay yields the earlier result's id
    (`claim.result_id`)."""
    if idempotency is None:
        with transaction.atomic() if atomic else nullcontext():
            yield Claim(None)
        return
    refusal: DomainError | None = None
    try:
        with transaction.atomic(durable=True):
            result_id = _claim(idempotency)
            if result_id is not None:
                yield Claim(idempotency, result_id)
                return
            claim = Claim(idempotency)
            try:
                with transaction.atomic():
                    yield claim
            except IdempotentReplay:
                raise
            except DomainError as exc:
                refusal = exc
                _insert(idempotency, completed=True, refusal=exc)
            else:
                if not claim.done:
                    raise RuntimeError("an idempotent service ended without recording its result")
    except IntegrityError as exc:
        # Another request with this key committed first; nothing of ours was kept.
        if _find(idempotency) is not None:
            raise IdempotencyKeyInUse() from exc
        raise
    if refusal is not None:
        raise refusal


def idempotent_call(
    idempotency: Idempotency | None,
    work: Callable[[], T],
    *,
    replayed: Callable[[str], T],
    result_id: Callable[[T], Any] = attrgetter("pk"),
    atomic: bool = True,
) -> T:
    """The usual shape of an idempotent service: `work()` in
    `idempotent_transaction`, recorded by `result_id(result)`; a replay answers
    `replayed(result_id)`, what the earlier request made."""
    with idempotent_transaction(idempotency, atomic=atomic) as claim:
        if claim.result_id is not None:
            return replayed(claim.result_id)
        result = work()
        claim.succeeded(result_id(result))
    return result


def idempotent_service(
    *,
    replayed: Callable[[str], T],
    result_id: Callable[[T], Any] = attrgetter("pk"),
    atomic: bool = True,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate a write service: it takes a keyword-only `idempotency` (None by
    default) and runs as `idempotent_call` (its transaction, the key claimed
    first, what it made recorded)."""

    def decorate(service: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(service)
        def run(*args: Any, idempotency: Idempotency | None = None, **kwargs: Any) -> T:
            return idempotent_call(
                idempotency,
                lambda: service(*args, **kwargs),
                replayed=replayed,
                result_id=result_id,
                atomic=atomic,
            )

        return run

    return decorate


def idempotency_begin(idempotency: Idempotency, *, result_id: Any) -> str | None:
    """For a service that commits twice around an external call, in its first
    transaction: claim the key and record it as in flight with `result_id` (what
    the first transaction made). Answers the result id of an earlier request
    with the key instead (a replay, or one still in flight: the service resumes
    it), or None when this request is the first."""
    earlier = _claim(idempotency, resume=True)
    if earlier is None:
        _insert(idempotency, result_id=str(result_id), completed=False)
    return earlier


def idempotency_seen(idempotency: Idempotency) -> bool:
    """Whether a request with this key has been claimed (a retry: the key, not
    a lock of the service's, answers it)."""
    return _find(idempotency) is not None


def idempotency_complete(idempotency: Idempotency, *, refusal: DomainError | None = None) -> None:
    """In the second transaction: the request is done (with the refusal to
    replay, if it ended in one)."""
    changes: dict[str, Any] = {"completed_at": timezone.now()}
    if refusal is not None:
        changes["status_code"] = refusal.status_code
        changes["response_body"] = envelope(refusal.code, refusal.message, refusal.details)
    IdempotencyRecord.objects.filter(
        user_id=idempotency.user_id, route=idempotency.route, key=idempotency.key
    ).update(**changes)


def idempotency_complete_result(*, result_id: Any) -> int:
    """End every request still in flight whose first transaction made
    `result_id` (for a reconciler that finished what a crashed request began:
    a retry with its key then replays instead of waiting forever)."""
    return IdempotencyRecord.objects.filter(
        result_id=str(result_id), completed_at__isnull=True
    ).update(completed_at=timezone.now())


def idempotent_response(
    idempotency: Idempotency | None, render: Callable[[], Any], *, status: int
) -> Response:
    """The view's answer to a service call made with `idempotency`: a replay
    answers the stored body; otherwise `render()` (after the service committed)
    is answered and stored with the key for later replays."""
    record = idempotency.record if idempotency is not None else None
    if record is not None and record.response_body is not None:
        response = Response(record.response_body, status=record.status_code)
    else:
        response = Response(render(), status=status)
        if record is not None:
            # Outside any transaction: a lost update here only costs a later
            # replay a render.
            IdempotencyRecord.objects.filter(pk=record.pk, response_body__isnull=True).update(
                status_code=status,
                response_body=response.data,
            )
    if idempotency is not None and idempotency.replayed:
        response[REPLAYED_HEADER] = "true"
    return response


def idempotency_records_purge(*, older_than: timedelta | None = None) -> int:
    """Delete records past their time to live. Returns how many went."""
    ttl = older_than or timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - ttl).delete()
    return deleted
