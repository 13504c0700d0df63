"""Points: earn, use, cancel and expire on a wallet that never overdraws, never
loses an update, and explains every change in its ledger.

Concurrency: optimistic updates on `version`, with the row lock as fallback
---------------------------------------------------------------------------
Every write on a wallet goes through `_write`:

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

Lots: what an earn still has
----------------------------
Each earn opens a lot (PointLot) with `remaining`. A use takes from free lots
first, soonest expiry first (lots without an expiry last, oldest first among
equals), then from paid lots, oldest first, and records what it took from each
lot (PointAllocation). Cancelling a use puts exactly that back into the same
lots, so restored free points keep the expiry date they had; if that date has
passed, they expire at once, in the same transaction (an `expire` entry follows
the `cancel`). Cancelling an earn needs its lot untouched (remaining == amount),
else 409 `insufficient_points`. Expiry is decided by `expires_at`: every write
first expires the wallet's due lots (an `expire` entry), uses never spend them,
balance reads do not count them, and the beat sweep (`points_expire_due`)
catches wallets nobody writes to.
"""

import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, F, Min, Value, When
from django.utils import timezone

from apps.core.exceptions import Conflict, InvalidState, NotFound, ValidationFailed
from apps.core.roles import Role

from .locks import wallet_lock
from .models import PointAllocation, PointEntry, PointEntryType, PointKind, PointLot, PointWallet
from .selectors import balance_cache_forget

DESCRIPTION_MAX = 255
ORDER_ID_MAX = 100


class InsufficientPoints(Conflict):
    code = "insufficient_points"
    default_message = "Not enough points; nothing was changed."


class AlreadyCancelled(Conflict):
    code = "already_cancelled"
    default_message = "This entry has already been cancelled."


# --- What a write reads, decides and writes ----------------------------------------


@dataclass(frozen=True)
class _Wallet:
    id: int
    user_id: int
    version: int
    free: int
    paid: int


@dataclass
class _Lot:
    id: int
    kind: str
    remaining: int
    expires_at: datetime | None

    def due(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass
class _Step:
    """One ledger entry to write."""

    type: PointEntryType
    free_delta: int = 0
    paid_delta: int = 0
    description: str = ""
    order_id: str = ""
    cancels_id: int | None = None
    takes: list[tuple[int, int]] = field(default_factory=list)  # (lot id, points)
    opens_lot: tuple[str, datetime | None] | None = None  # (kind, expires_at)

    @property
    def amount(self) -> int:
        return abs(self.free_delta + self.paid_delta)


@dataclass
class _Plan:
    """What a write does, decided on one version of the wallet and its lots."""

    lots: dict[int, _Lot]
    now: datetime
    steps: list[_Step] = field(default_factory=list)
    lot_changes: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def take(self, lot: _Lot, points: int) -> None:
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
        step = _Step(PointEntryType.EXPIRE, description="Free points past their expiry date.")
        for lot in due:
            step.takes.append((lot.id, lot.remaining))
            step.free_delta -= lot.remaining
            self.take(lot, lot.remaining)
        self.steps.append(step)

    def spendable(self) -> list[_Lot]:
        """Free lots by expiry (none last), then paid lots, oldest first."""
        live = [lot for lot in self.lots.values() if lot.remaining > 0 and not lot.due(self.now)]
        free = sorted(
            (lot for lot in live if lot.kind == PointKind.FREE),
            key=lambda lot: (lot.expires_at is None, lot.expires_at or self.now, lot.id),
        )
        paid = sorted((lot for lot in live if lot.kind == PointKind.PAID), key=lambda lot: lot.id)
        return free + paid


Planner = Callable[[_Plan], None]


# --- The write protocol -------------------------------------------------------------


def _wallet_read(user_id: int) -> _Wallet | None:
    row = (
        PointWallet.objects.filter(user_id=user_id)
        .values_list("id", "version", "free_balance", "paid_balance")
        .first()
    )
    return _Wallet(row[0], user_id, row[1], row[2], row[3]) if row else None


def _wallet_locked(user_id: int) -> _Wallet:
    wallet = wallet_lock(user_id=user_id)
    return _Wallet(wallet.pk, user_id, wallet.version, wallet.free_balance, wallet.paid_balance)


def _wallet_ensure(user_id: int) -> None:
    """Create the wallet if it is missing; safe against a concurrent creation
    (INSERT .. ON CONFLICT DO NOTHING: the loser of the unique index waits for
    the winner's commit, then does nothing)."""
    PointWallet.objects.bulk_create([PointWallet(user_id=user_id)], ignore_conflicts=True)


def _lots_read(user_id: int) -> dict[int, _Lot]:
    rows = PointLot.objects.filter(user_id=user_id, remaining__gt=0).values_list(
        "id", "kind", "remaining", "expires_at"
    )
    return {row[0]: _Lot(*row) for row in rows}


def _bump(wallet: _Wallet, plan: _Plan) -> bool:
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


def _write(
    *, user_id: int, planner: Planner, actor_id: int | None, create: bool = False
) -> list[PointEntry]:
    """Run `planner` on the wallet and write what it decides (module docstring).
    Returns the entries written, in ledger order. Call inside a transaction."""
    retries = settings.POINTS_OPTIMISTIC_RETRIES
    for attempt in range(retries + 1):
        if attempt:
            _backoff(attempt)
        wallet = _wallet_read(user_id)
        if wallet is None:
            if not create:
                planner(_Plan(lots={}, now=timezone.now()))  # refuses, or has nothing to do
                return []
            _wallet_ensure(user_id)
            wallet = _wallet_read(user_id)
        plan = _Plan(lots=_lots_read(user_id), now=timezone.now())
        planner(plan)
        if not plan.steps:
            return []
        if _bump(wallet, plan):
            return _record(wallet, plan, actor_id=actor_id, retries=attempt, locked=False)
    # Retries spent: queue on the row lock, where the update cannot lose.
    wallet = _wallet_locked(user_id)
    plan = _Plan(lots=_lots_read(user_id), now=timezone.now())
    planner(plan)
    if not plan.steps:
        return []
    if not _bump(wallet, plan):  # cannot happen under the lock
        raise RuntimeError(f"wallet of user {user_id} changed under its row lock")
    return _record(wallet, plan, actor_id=actor_id, retries=retries, locked=True)


def _record(
    wallet: _Wallet, plan: _Plan, *, actor_id: int | None, retries: int, locked: bool
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
                user_id=wallet.user_id,
                type=step.type,
                amount=step.amount,
                free_delta=step.free_delta,
                paid_delta=step.paid_delta,
                free_after=free,
                paid_after=paid,
                description=step.description,
                order_id=step.order_id,
                cancels_id=step.cancels_id,
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
                user_id=wallet.user_id,
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
    user_id = wallet.user_id
    transaction.on_commit(lambda: balance_cache_forget(user_id=user_id))
    return entries


# --- Input checks (the API's serializers check the same; services stand alone) ------


def _check_amount(amount) -> None:
    high = settings.POINTS_MAX_AMOUNT
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= high:
        raise ValidationFailed(details={"amount": [f"Must be an integer from 1 to {high}."]})


def _check_text(name: str, value: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise ValidationFailed(details={name: [f"At most {limit} characters."]})
    return value


def _user_exists(user_id: int) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).exists()


# --- Services ---------------------------------------------------------------------


@transaction.atomic
def points_earn(
    *,
    user_id: int,
    amount: int,
    kind: str,
    description: str = "",
    expires_at: datetime | None = None,
    order_id: str = "",
    actor_id: int | None = None,
) -> PointEntry:
    """Credit free (rewarded) or paid (bought) points. Only free points may carry
    an expiry, which must lie in the future. Unknown user: 404."""
    _check_amount(amount)
    _check_text("description", description, DESCRIPTION_MAX)
    _check_text("order_id", order_id, ORDER_ID_MAX)
    if kind not in PointKind.values:
        raise ValidationFailed(details={"kind": [f"Must be one of {', '.join(PointKind.values)}."]})
    if expires_at is not None:
        if kind != PointKind.FREE:
            raise ValidationFailed(details={"expires_at": ["Only free points expire."]})
        if expires_at.tzinfo is None or expires_at <= timezone.now():
            raise ValidationFailed(details={"expires_at": ["Must be in the future."]})
    if not _user_exists(user_id):
        raise NotFound("User not found.")

    def plan_earn(plan: _Plan) -> None:
        plan.expire_due()
        plan.steps.append(
            _Step(
                PointEntryType.EARN,
                free_delta=amount if kind == PointKind.FREE else 0,
                paid_delta=amount if kind == PointKind.PAID else 0,
                description=description,
                order_id=order_id,
                opens_lot=(kind, expires_at),
            )
        )

    return _write(user_id=user_id, planner=plan_earn, actor_id=actor_id, create=True)[-1]


@transaction.atomic
def points_use(
    *,
    user_id: int,
    amount: int,
    description: str = "",
    order_id: str = "",
    actor_id: int | None = None,
) -> PointEntry:
    """Spend points: free before paid (free lots soonest-expiring first). 409
    `insufficient_points` when the wallet holds fewer spendable points."""
    _check_amount(amount)
    _check_text("description", description, DESCRIPTION_MAX)
    _check_text("order_id", order_id, ORDER_ID_MAX)

    def plan_use(plan: _Plan) -> None:
        plan.expire_due()
        lots = plan.spendable()
        available = sum(lot.remaining for lot in lots)
        if amount > available:
            raise InsufficientPoints(details={"requested": amount, "available": available})
        step = _Step(PointEntryType.USE, description=description, order_id=order_id)
        left = amount
        for lot in lots:
            points = min(left, lot.remaining)
            step.takes.append((lot.id, points))
            if lot.kind == PointKind.FREE:
                step.free_delta -= points
            else:
                step.paid_delta -= points
            plan.take(lot, points)
            left -= points
            if not left:
                break
        plan.steps.append(step)

    return _write(
        user_id=user_id, planner=plan_use, actor_id=actor_id if actor_id is not None else user_id
    )[-1]


def _entry_for_cancel(entry_id: int, user) -> PointEntry:
    entry = (
        PointEntry.objects.select_related("lot")
        .prefetch_related("allocations__lot")
        .filter(pk=entry_id)
        .first()
    )
    # Another customer's entry is a 404, exactly like one that does not exist.
    if entry is None or not (entry.user_id == user.pk or user.has_role(Role.STAFF)):
        raise NotFound("Point entry not found.")
    return entry


def points_cancel(*, entry_id: int, user) -> PointEntry:
    """Write the compensating entry of an earn or a use (owner or staff), which
    moves exactly the free and paid points the original moved, the other way.
    409 `already_cancelled` the second time; 409 `insufficient_points` for an
    earn whose points were already spent or expired."""
    try:
        with transaction.atomic():
            return _cancel(entry_id=entry_id, user=user)
    except IntegrityError as exc:
        # The unique `cancels` is the last guard; the version check comes first.
        if "cancels_id" in str(exc):
            raise AlreadyCancelled() from exc
        raise


def _cancel(*, entry_id: int, user) -> PointEntry:
    entry = _entry_for_cancel(entry_id, user)
    if entry.type not in (PointEntryType.EARN, PointEntryType.USE):
        raise InvalidState(
            "Only earn and use entries can be cancelled.", details={"type": entry.type}
        )
    allocations = list(entry.allocations.all())

    def plan_cancel(plan: _Plan) -> None:
        # Read after the wallet: a cancel committed since then bumped the version.
        if PointEntry.objects.filter(cancels_id=entry.pk).exists():
            raise AlreadyCancelled()
        step = _Step(
            PointEntryType.CANCEL,
            free_delta=-entry.free_delta,
            paid_delta=-entry.paid_delta,
            description=f"Cancels {entry.type} #{entry.pk}.",
            order_id=entry.order_id,
            cancels_id=entry.pk,
        )
        if entry.type == PointEntryType.EARN:
            plan.expire_due()
            lot = plan.lots.get(entry.lot.pk)
            remaining = lot.remaining if lot else 0
            if remaining != entry.amount:
                raise InsufficientPoints(
                    "Points of this earn were already spent or expired; it cannot be cancelled.",
                    details={"amount": entry.amount, "remaining": remaining},
                )
            plan.take(lot, remaining)
            plan.steps.append(step)
        else:
            for allocation in allocations:
                lot = plan.lots.setdefault(
                    allocation.lot_id,
                    _Lot(allocation.lot_id, allocation.lot.kind, 0, allocation.lot.expires_at),
                )
                plan.take(lot, -allocation.amount)
            plan.steps.append(step)
            plan.expire_due()  # restored points whose date has passed

    entries = _write(user_id=entry.user_id, planner=plan_cancel, actor_id=user.pk)
    return next(e for e in entries if e.type == PointEntryType.CANCEL)


def points_expire_due(*, batch_size: int = 500) -> int:
    """The sweeper: expire free points past their date, wallets with the oldest
    due points first, one transaction per wallet through the same protocol as
    every write (so it neither loses to nor overrides a concurrent use). Points
    due when the sweep starts are all expired when it ends; later ones wait for
    the next sweep (and meanwhile count for nothing: see the module docstring).
    Returns how many points expired."""
    started = timezone.now()
    expired = 0
    while True:
        user_ids = list(
            PointLot.objects.filter(remaining__gt=0, expires_at__lte=started)
            .values("user_id")
            .annotate(oldest=Min("expires_at"))
            .order_by("oldest", "user_id")
            .values_list("user_id", flat=True)[:batch_size]
        )
        progress = 0
        for user_id in user_ids:
            with transaction.atomic():
                entries = _write(user_id=user_id, planner=_Plan.expire_due, actor_id=None)
            progress += sum(entry.amount for entry in entries)
        expired += progress
        if not progress:  # nothing left (or only what a concurrent write just expired)
            return expired
