"""The sweeper (Celery beat every EXPIRY_SWEEP_INTERVAL_SECONDS, or the embedded
beat thread of `make run`). Expiry itself is decided by `expires_at`, whether or
not this has run: availability stops counting a due hold at once, and writers
of its stock rows end it inline; this catches the rest."""

from django.db import transaction
from django.utils import timezone

from apps.stock.holds.services import holds_expire_due


def reservation_expire_due(*, batch_size: int = 1000, max_batches: int | None = None) -> int:
    """Release pending holds past their expiry, in bounded batches, each its own
    transaction. Due holds locked elsewhere are skipped (SKIP LOCKED) and picked
    up next time. Returns how many were expired."""
    expired = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            swept = holds_expire_due(now=timezone.now(), limit=batch_size)
        if not swept:
            break
        expired += swept
        batches += 1
    return expired
