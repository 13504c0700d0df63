"""Reads of the points app: the balance (cached) and the history, of a user's
wallet (`user_id`) or a company's (`company_id`): one of the two.

The balance is cached in Redis per wallet, written on a read miss and dropped in
`transaction.on_commit` after every change (services/protocol.py). The cache only
answers reads: every decision to spend is taken on the wallet row in the
database. A read racing a change may put back the value from just before it;
the time to live (POINTS_BALANCE_CACHE_SECONDS, shorter when free points are
about to expire) bounds that. With Redis down, reads go to the database.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min, Q, QuerySet, Sum
from django.utils import timezone

from .models import PointEntry, PointLot, PointWallet
from .owner import Owner


@dataclass(frozen=True)
class PointBalance:
    free: int
    paid: int

    @property
    def total(self) -> int:
        return self.free + self.paid


def balance_cache_key(*, user_id: int | None = None, company_id: int | None = None) -> str:
    if company_id is not None:
        return f"points:balance:company:{company_id}"
    return f"points:balance:{user_id}"


def balance_cache_forget(owner: Owner) -> None:
    cache.delete(balance_cache_key(**owner.fields))


def points_balance_get(
    *, user_id: int | None = None, company_id: int | None = None
) -> PointBalance:
    owner = Owner(user_id, company_id)
    key = balance_cache_key(**owner.fields)
    cached = cache.get(key)
    if cached is not None:
        return PointBalance(*cached)
    now = timezone.now()
    wallet = (
        PointWallet.objects.filter(**owner.fields)
        .values_list("free_balance", "paid_balance")
        .first()
    )
    free, paid = wallet or (0, 0)
    # Free points past their date count for nothing, whether or not the sweeper
    # has expired them yet; the next expiry date bounds how long the answer holds.
    dated = PointLot.objects.filter(**owner.fields, remaining__gt=0, expires_at__isnull=False)
    lots = (
        dated.aggregate(
            due=Sum("remaining", filter=Q(expires_at__lte=now), default=0),
            next_expiry=Min("expires_at", filter=Q(expires_at__gt=now)),
        )
        if wallet
        else {"due": 0, "next_expiry": None}
    )
    balance = PointBalance(free - lots["due"], paid)
    ttl = settings.POINTS_BALANCE_CACHE_SECONDS
    if lots["next_expiry"] is not None:
        ttl = min(ttl, int((lots["next_expiry"] - now).total_seconds()))
    if ttl > 0:
        cache.set(key, (balance.free, balance.paid), ttl)
    return balance


def points_history(
    *, user_id: int | None = None, company_id: int | None = None
) -> QuerySet[PointEntry]:
    """A wallet's ledger. Filtered (apps/points/filters.py) and ordered (newest
    first) by the caller."""
    return PointEntry.objects.filter(**Owner(user_id, company_id).fields).select_related("lot")
