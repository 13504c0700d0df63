"""Locks of the payments app.

A payment row is locked only under its reservation's lock (docs/architecture.md,
"Lock order"): every change of a reservation's payments takes the reservation
first, so payments never join a cycle. The per-reservation Redis lock is a
courtesy, not a guard: it answers a second concurrent checkout at once instead
of letting it queue on the reservation's row; with Redis down it is skipped,
and the partial unique index of payments still holds the promise.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from django.conf import settings
from django.core.cache import cache

from .models import Payment


def payment_lock(*, payment_id: UUID) -> Payment | None:
    return Payment.objects.select_for_update(of=("self",)).filter(pk=payment_id).first()


@contextmanager
def checkout_lock(*, reservation_id: UUID) -> Iterator[bool]:
    """True while this process holds the reservation's checkout lock (or Redis
    cannot say: then the database decides alone); False when another holds it."""
    key = f"payments:checkout:{reservation_id}"
    token = secrets.token_hex(8)
    taken = cache.add(key, token, timeout=settings.PAYMENT_CHECKOUT_LOCK_SECONDS)
    if taken is False:
        yield False
        return
    try:
        yield True
    finally:
        # A lock past its time may already be another's; the index guards then.
        if taken and cache.get(key) == token:
            cache.delete(key)
