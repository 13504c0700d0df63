"""How every points write gets onto a wallet: optimistic updates on `version`,
with the row lock as the fallback.

Every write on a wallet goes through `write_wallet`:

1. read the wallet (balances, `version`), then its live lots;
2. decide on what was read: the ledger entries to write and the lots they
   change (a "plan"). A refusal (409 `insufficient_points`, ...) ends here;
3. ``UPDATE points_wallet SET free_balance = .., paid_balance = ..,
   version = version + 1 WHERE id = .. AND version = <read>``. One row: nobody
   changed the wallet between 1 and 3 (every change bumps the version, and lots
   change only with it), so the plan still holds. The row lock that UPDATE
   takes keeps it so until commit; entries, lots and allocations are written
   under it. Zero rows: another write committed first, so go back to 1 after a
   jittered backoff (a random sleep of up to POINTS_RETRY_BACKOFF_MS x 2^(n-1)
   ms before retry n, "full jitter", so that losers do not collide again);
4. after POINTS_OPTIMISTIC_RETRIES lost rounds, ``SELECT .. FOR UPDATE`` the
   wallet and do 1-3 under that lock, where step 3 cannot lose.

So a contended write never fails for contention alone (the lock is the
backstop, and it queues writers fairly), and a conflict is never answered as a
success: a write either commits its entry or raises. Why optimistic first: the
common case is one writer per wallet (a customer's checkout, a staff earn), and
then the wallet's row lock is held only from the UPDATE to the commit, not
while the wallet and its lots are read and the plan is made. Under contention on
one wallet the losers pay extra reads, which is what the bounded retries cap;
PostgreSQL makes a loser's UPDATE wait for the winner's commit before it sees
the new version, so losing is detected, never guessed. Each entry records how
its write got through (`write_retries`, `write_locked`); the benchmark reports
both (bench/scenarios/points.py).
"""

import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone

from ..locks import wallet_lock
from ..models import PointAllocation, PointEntry, PointEntryType, PointKind, PointLot, PointWallet
from ..owner import Owner
from ..selectors import balance_cache_forget

# --- What a write reads, decides and writes ----------------------------------------


@dataclass(frozen=True)
class Wallet:
    id: int
    owner: Owner
    version: int
    free: int
    paid: int


@dataclass
class Lot:
    id: int
    kind: str
    remaining: int
    expires_at: datetime | None

    def due(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass
class Step:
    """One ledger entry to write."""

    type: PointEntryType
    free_delta: int = 0
    paid_delta: int = 0
    description: str = ""
    order_id: str = ""
    cancels_id: int | None = None
    for_order: bool = False
    paid_amount: Decimal | None = None
    takes: list[tuple[int, int]] = field(default_factory=list)  # (lot id, points)
    opens_lot: tuple[str, datetime | None] | None = None  # (kind, expires_at)

    @property
    def amount(self) -> int:
        return abs(self.free_delta + self.paid_delta)


@dataclass
class Plan:
    """What a write does, decided on one version of the wallet and its lots."""

    lots: dict[int, Lot]
    now: datetime
    steps: list[Step] = field(default_factory=list)
    lot_changes: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def take(self, lot: Lot, points: int) -> None:
        lot.remaining -= points
        self.lot_changes[lot.id] -= points

    def expire_due(self) -> None:
        """Expire every free point past its date, oldest first, in one entry."""
        due = sorted(
            (lot for lot in self.lots.values() if lot.remaining > 0 and lot.due(self.now)),
            key=lambda lot: (lot.expires_at, lot.id),
        )
        if not due:
            return
        step = Step(PointEntryType.EXPIRE, description="Free points past their expiry date.")
        for lot in due:
            step.takes.append((lot.id, lot.remaining))
            step.free_delta -= lot.remaining
            self.take(lot, lot.remaining)
        self.steps.append(step)

    def spendable(self) -> list[Lot]:
        """Free lots by expiry (none last), then paid lots, oldest first."""
        live = [lot for lot in self.lots.values() if lot.remaining > 0 and not lot.due(self.now)]
        free = sorted(
            (lot for lot in live if lot.kind == PointKind.FREE),
            key=lambda lot: (lot.expires_at is None, lot.expires_at or self.now, lot.id),
        )
        paid = sorted((lot for lot in live if lot.kind == PointKind.PAID), key=lambda lot: lot.id)
        return free + paid


Planner = Callable[[Plan], None]


# --- The write protocol -------------------------------------------------------------


def _wallet_read(owner: Owner) -> Wallet | None:
    row = (
        PointWallet.objects.filter(**owner.fields)
        .values_list("id", "version", "free_balance", "paid_balance")
        .first()
    )
    return Wallet(row[0], owner, row[1], row[2], row[3]) if row else None


def _wallet_locked(owner: Owner) -> Wallet:
    wallet = wallet_lock(owner=owner)
    return Wallet(wallet.pk, owner, wallet.version, wallet.free_balance, wallet.paid_balance)


def wallet_ensure(owner: Owner) -> None:
    """Create the wallet if it is missing; safe against a concurrent creation
    (INSERT .. ON CONFLICT DO NOTHING: the loser of the unique index waits for
    the winner's commit, then does nothing)."""
    PointWallet.objects.bulk_create([PointWallet(**owner.fields)], ignore_conflicts=True)


def _lots_read(owner: Owner) -> dict[int, Lot]:
    rows = PointLot.objects.filter(**owner.fields, remaining__gt=0).values_list(
        "id", "kind", "remaining", "expires_at"
    )
    return {row[0]: Lot(*row) for row in rows}


def _bump(wallet: Wallet, plan: Plan) -> bool:
    """The optimistic write: the new balances, if the wallet is still at the
    version the plan was made on. Holds the wallet's row lock from here on."""
    updated = PointWallet.objects.filter(pk=wallet.id, version=wallet.version).update(
        free_balance=wallet.free + sum(step.free_delta for step in plan.steps),
        paid_balance=wallet.paid + sum(step.paid_delta for step in plan.steps),
        version=F("version") + 1,
        updated_at=plan.now,
    )
    return updated == 1


def _backoff(retry: int) -> None:
    ceiling_ms = settings.POINTS_RETRY_BACKOFF_MS * 2 ** (retry - 1)
    time.sleep(random.uniform(0, ceiling_ms) / 1000)


def write_wallet(
    *, owner: Owner, planner: Planner, actor_id: int | None, create: bool = False
) -> list[PointEntry]:
    """Run `planner` on the wallet and write what it decides (module docstring).
    Returns the entries written, in ledger order. Call inside a transaction."""
    retries = settings.POINTS_OPTIMISTIC_RETRIES
    for attempt in range(retries + 1):
        if attempt:
            _backoff(attempt)
        wallet = _wallet_read(owner)
        if wallet is None:
            if not create:
                planner(Plan(lots={}, now=timezone.now()))  # refuses, or has nothing to do
                return []
            wallet_ensure(owner)
            wallet = _wallet_read(owner)
        plan = Plan(lots=_lots_read(owner), now=timezone.now())
        planner(plan)
        if not plan.steps:
            return []
        if _bump(wallet, plan):
            return _record(wallet, plan, actor_id=actor_id, retries=attempt, locked=False)
    # Retries spent: queue on the row lock, where the update cannot lose.
    wallet = _wallet_locked(owner)
    plan = Plan(lots=_lots_read(owner), now=timezone.now())
    planner(plan)
    if not plan.steps:
        return []
    if not _bump(wallet, plan):  # cannot happen under the lock
        raise RuntimeError(f"wallet of {owner} changed under its row lock")
    return _record(wallet, plan, actor_id=actor_id, retries=retries, locked=True)


def _record(
    wallet: Wallet, plan: Plan, *, actor_id: int | None, retries: int, locked: bool
) -> list[PointEntry]:
    """Write the plan's entries, lots and allocations (the wallet holds its new
    balances and is locked by this transaction)."""
    free, paid = wallet.free, wallet.paid
    entries = []
    for step in plan.steps:
        free += step.free_delta
        paid += step.paid_delta
        entries.append(
            PointEntry(
                **wallet.owner.fields,
                type=step.type,
                amount=step.amount,
                free_delta=step.free_delta,
                paid_delta=step.paid_delta,
                free_after=free,
                paid_after=paid,
                description=step.description,
                order_id=step.order_id,
                cancels_id=step.cancels_id,
                for_order=step.for_order,
                paid_amount=step.paid_amount,
                actor_id=actor_id,
                write_retries=retries,
                write_locked=locked,
                created_at=plan.now,
            )
        )
    PointEntry.objects.bulk_create(entries)
    lots = PointLot.objects.bulk_create(
        [
            PointLot(
                **wallet.owner.fields,
                entry=entry,
                kind=step.opens_lot[0],
                amount=entry.amount,
                remaining=entry.amount,
                expires_at=step.opens_lot[1],
            )
            for step, entry in zip(plan.steps, entries, strict=True)
            if step.opens_lot
        ]
    )
    opened = {lot.entry_id: lot for lot in lots}
    for entry in entries:  # `entry.expires_at` then needs no query
        PointEntry.lot.related.set_cached_value(entry, opened.get(entry.pk))
    allocations = [
        PointAllocation(entry=entry, lot_id=lot_id, amount=points)
        for step, entry in zip(plan.steps, entries, strict=True)
        for lot_id, points in step.takes
    ]
    if allocations:
        PointAllocation.objects.bulk_create(allocations)
    changes = {lot_id: d for lot_id, d in sorted(plan.lot_changes.items()) if d}
    if changes:  # one UPDATE, relative to what the rows hold
        PointLot.objects.filter(pk__in=list(changes)).update(
            remaining=F("remaining")
            + Case(
                *(When(pk=lot_id, then=Value(d)) for lot_id, d in changes.items()),
                output_field=BigIntegerField(),
            )
        )
    owner = wallet.owner
    transaction.on_commit(lambda: balance_cache_forget(owner))
    return entries
