"""Idempotency-Key for mutating POSTs (API.md, Conventions).

Same key and same body: the stored response is replayed with
`Idempotent-Replayed: true` and nothing happens twice. Same key, different body:
422 `idempotency_key_mismatch`. Same key while the first request still runs: 409
`idempotency_key_in_use`.

How, in one durable transaction per request:

1. a non-blocking advisory lock on (caller, route, key) answers a concurrent
   duplicate with 409 at once (PostgreSQL; SQLite's IMMEDIATE transactions
   already run writers one at a time);
2. a stored record is replayed (or refused with 422 if the body differs);
3. otherwise the business work runs inside a savepoint. Its domain failures
   (409, 404, ...) roll the savepoint back and are stored like successes, so a
   retry sees the same answer. Input that fails validation (400) is not stored,
   since no business code ran;
4. the record is inserted and commits together with the business change. The
   unique constraint on (caller, route, key) is the last guard: should two
   requests ever get this far, the second rolls back whole.
"""

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .api_errors import envelope
from .exceptions import DomainError, IdempotencyKeyInUse, IdempotencyKeyMismatch
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_VALID_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")


def _fingerprint(request: Request, kwargs: dict) -> str:
    canonical = json.dumps(
        {"body": request.data, "path": kwargs},
        sort_keys=True,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


def _try_lock(scope: str) -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [scope])
        return bool(cursor.fetchone()[0])


def idempotent_execute(
    *, user_id: int, route: str, key: str, fingerprint: str, handler: Callable[[], Response]
) -> Response:
    try:
        with transaction.atomic(durable=True):
            if not _try_lock(f"idem:{user_id}:{route}:{key}"):
                raise IdempotencyKeyInUse()
            record = IdempotencyRecord.objects.filter(user_id=user_id, route=route, key=key).first()
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise IdempotencyKeyMismatch()
                return _replay(record)
            try:
                with transaction.atomic():
                    response = handler()
            except DomainError as exc:
                response = Response(
                    envelope(exc.code, exc.message, exc.details), status=exc.status_code
                )
            if response.status_code < 500:
                IdempotencyRecord.objects.create(
                    user_id=user_id,
                    route=route,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=response.status_code,
                    response_body=response.data,
                )
            return response
    except IntegrityError as exc:
        # Another request with this key committed first; nothing of ours was kept.
        if IdempotencyRecord.objects.filter(user_id=user_id, route=route, key=key).exists():
            raise IdempotencyKeyInUse() from exc
        raise


def idempotent(view_method: Callable) -> Callable:
    """Decorate an APIView's `post`: honour the Idempotency-Key header if present."""

    @functools.wraps(view_method)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        if not _VALID_KEY.match(key):
            raise ValidationError({HEADER: ["Must be 1-255 printable ASCII characters."]})
        match = request.resolver_match
        route = f"{request.method} {match.route if match else request.path}"
        return idempotent_execute(
            user_id=request.user.pk,
            route=route,
            key=key,
            fingerprint=_fingerprint(request, kwargs),
            handler=lambda: view_method(view, request, *args, **kwargs),
        )

    return wrapper


def idempotency_records_purge(*, older_than: timedelta | None = None) -> int:
    """Delete records past their time to live. Returns how many went."""
    ttl = older_than or timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - ttl).delete()
    return deleted
