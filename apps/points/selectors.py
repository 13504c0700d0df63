"""Reads of the points app: the balance (cached) and the history.

The balance is cached in Redis per user, written on a read miss and dropped in
`transaction.on_commit` after every change (services.py). The cache only
answers reads: every decision to spend is taken on the wallet row in the
database. A read racing a change may put back the value from just before it;
the time to live (POINTS_BALANCE_CACHE_SECONDS, shorter when free points are
about to expire) bounds that. With Redis down, reads go to the database.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from .models import PointEntry


@dataclass(frozen=True)
class PointBalance:
    free: int
    paid: int

    @property
    def total(self) -> int:
        return self.free + self.paid


def balance_cache_key(*, user_id: int) -> str:
    return f"points:balance:{user_id}"


def balance_cache_forget(*, user_id: int) -> None:
    cache.delete(balance_cache_key(user_id=user_id))


# Free points past their date count for nothing, whether or not the sweeper has
# expired them yet; the next expiry date bounds how long the answer holds.
_BALANCE_SQL = """
SELECT w.free_balance, w.paid_balance,
       COALESCE((SELECT SUM(l.remaining) FROM points_lot l
                  WHERE l.user_id = w.user_id AND l.remaining > 0
                    AND l.expires_at <= %(now)s), 0),
       (SELECT MIN(l.expires_at) FROM points_lot l
         WHERE l.user_id = w.user_id AND l.remaining > 0 AND l.expires_at > %(now)s)
FROM points_wallet w WHERE w.user_id = %(user_id)s
"""


def points_balance_get(*, user_id: int) -> PointBalance:
    key = balance_cache_key(user_id=user_id)
    cached = cache.get(key)
    if cached is not None:
        return PointBalance(*cached)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_BALANCE_SQL, {"now": now, "user_id": user_id})
        row = cursor.fetchone()
    if row is None:
        balance, next_expiry = PointBalance(0, 0), None
    else:
        free, paid, due, next_expiry = row
        balance = PointBalance(free - due, paid)
    ttl = settings.POINTS_BALANCE_CACHE_SECONDS
    if next_expiry is not None:
        ttl = min(ttl, int((next_expiry - now).total_seconds()))
    if ttl > 0:
        cache.set(key, (balance.free, balance.paid), ttl)
    return balance


def points_history(
    *,
    user_id: int,
    type: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[PointEntry]:
    """A user's ledger, filtered. Ordered by the caller (newest first)."""
    queryset = PointEntry.objects.filter(user_id=user_id).select_related("lot")
    if type:
        queryset = queryset.filter(type=type)
    if created_after is not None:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before is not None:
        queryset = queryset.filter(created_at__lt=created_before)
    return queryset
