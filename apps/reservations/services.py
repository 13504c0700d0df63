"""Reservations: all-or-nothing holds on stock, with expiry.

Concurrency protocol (DESIGN.md): everything that can be resolved is resolved
before the transaction; inside it, a confirm, cancel or extend locks the
reservation row first, then its stock rows in one statement ordered by primary
key; a reserve locks its stock rows so and writes the reservation last.
Decisions are taken on locked rows only; counters, lines and ledger movements
are written together. Expiry is decided by `expires_at`, whether or not the
sweeper has run.

The statements themselves come from a store: apps/reservations/sql.py on
PostgreSQL, apps/reservations/orm.py elsewhere (the embedded default).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.exceptions import InvalidState, NotFound, ValidationFailed
from apps.core.idempotency import idempotent_service
from apps.products.models import Warehouse
from apps.products.selectors import ProductNotOnSale, products_for_sale, warehouses_by_code
from apps.stock.locks import stock_try_lock_many
from apps.stock.models import Stock
from apps.transactions.models import MovementType

from . import orm, sql
from .errors import DuplicateOrderId, InsufficientStock, ReservationExpired
from .locks import reservations_lock_due, reservations_try_lock_expired
from .models import Reservation, ReservationLine, ReservationStatus
from .selectors import reservation_get_any

__all__ = [
    "DuplicateOrderId",
    "InsufficientStock",
    "LineRequest",
    "ReservationExpired",
    "holds_release_expired",
    "reservation_cancel",
    "reservation_confirm",
    "reservation_create",
    "reservation_expire_due",
    "reservation_extend",
]

MAX_LINES = 100


def store():
    """The statements of this path for the database in use (module docstring)."""
    return sql if connection.vendor == "postgresql" else orm


@dataclass(frozen=True)
class LineRequest:
    product_id: UUID
    quantity: int
    warehouse_code: str | None = None


def _ttl(ttl_seconds: int | None) -> timedelta:
    low, high = settings.RESERVATION_MIN_TTL_SECONDS, settings.RESERVATION_MAX_TTL_SECONDS
    seconds = settings.RESERVATION_DEFAULT_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    if not low <= seconds <= high:
        raise ValidationFailed(details={"ttl_seconds": [f"Must be between {low} and {high}."]})
    return timedelta(seconds=seconds)


def _demand(lines: list[LineRequest]) -> dict[tuple[UUID, str | None], int]:
    """Quantity wanted per (product, named warehouse or None); repeated lines add up."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise ValidationFailed(details={"lines": [f"Give 1 to {MAX_LINES} lines."]})
    demand: dict[tuple[UUID, str | None], int] = defaultdict(int)
    for line in lines:
        code = line.warehouse_code.strip().upper() if line.warehouse_code else None
        demand[(line.product_id, code)] += line.quantity
    return dict(demand)


def _allocate(
    demand: dict[tuple[UUID, str | None], int], rows: list, priority: dict[int, tuple]
) -> tuple[list[tuple], set[UUID]]:
    """Take units from `rows` (anything with a stock row's pk, product_id,
    warehouse_id, on_hand and reserved): a named warehouse from its row, the rest
    across the product's rows by warehouse priority. Answers the rows taken from,
    with their quantities, by primary key; and the products that are short (all
    or nothing: the caller takes nothing then)."""
    free = {row.pk: row.on_hand - row.reserved for row in rows}
    by_product: dict[UUID, list] = defaultdict(list)
    for row in sorted(rows, key=lambda r: priority[r.warehouse_id]):
        by_product[row.product_id].append(row)
    taken: dict[int, int] = defaultdict(int)
    short: set[UUID] = set()
    # Named warehouses first, so an unnamed line cannot take units a named one needs.
    for (product_id, code), quantity in sorted(demand.items(), key=lambda kv: kv[0][1] is None):
        candidates = [
            row
            for row in by_product[product_id]
            if code is None or priority[row.warehouse_id][2] == code
        ]
        remaining = quantity
        for row in candidates:
            take = min(remaining, free[row.pk])
            if take > 0:
                free[row.pk] -= take
                taken[row.pk] += take
                remaining -= take
            if remaining == 0:
                break
        if remaining:
            short.add(product_id)
    rows_by_pk = {row.pk: row for row in rows}
    return [(rows_by_pk[pk], quantity) for pk, quantity in sorted(taken.items())], short


def _insufficient(
    demand: dict[tuple[UUID, str | None], int], rows: list, short: set[UUID]
) -> InsufficientStock:
    """The 409 naming, per short product, everything asked for it and everything
    free of it."""
    requested: dict[UUID, int] = defaultdict(int)
    for (product_id, _), quantity in demand.items():
        requested[product_id] += quantity
    available: dict[UUID, int] = defaultdict(int)
    for row in rows:
        available[row.product_id] += row.on_hand - row.reserved
    return InsufficientStock(
        details=[
            {
                "product_id": str(product_id),
                "requested": requested[product_id],
                "available": available[product_id],
            }
            for product_id in sorted(short, key=str)
        ]
    )


def _release(
    reservations: list[Reservation],
    *,
    status: ReservationStatus,
    movement_type: MovementType,
    now: datetime,
    stock_rows: dict[int, Stock] | None = None,
    on_hand_leaves: bool = False,
) -> None:
    """End pending reservations the caller holds locked: lock their stock rows,
    give back (or, for a confirm, ship) their units, close their lines, write the
    movements. `stock_rows`, when given, are kept in step with the database."""
    released = store().release(
        reservation_ids=[r.pk for r in reservations],
        status=status.value,
        movement_type=movement_type.value,
        now=now,
        ship=on_hand_leaves,
    )
    _record_release(
        reservations,
        released,
        status=status,
        now=now,
        stock_rows=stock_rows,
        on_hand_leaves=on_hand_leaves,
    )


def _record_release(
    reservations: list[Reservation],
    released: list[tuple],
    *,
    status: ReservationStatus,
    now: datetime,
    stock_rows: dict[int, Stock] | None = None,
    on_hand_leaves: bool = False,
) -> None:
    """What a release wrote (its lines, as the store answers them), on the
    reservations and stock rows in memory."""
    by_reservation: dict[UUID, list[ReservationLine]] = defaultdict(list)
    for reservation_id, stock_id, product_id, warehouse_id, code, quantity in released:
        by_reservation[reservation_id].append(
            ReservationLine(
                reservation_id=reservation_id,
                stock_id=stock_id,
                product_id=product_id,
                warehouse=Warehouse(pk=warehouse_id, code=code),
                quantity=quantity,
                pending=False,
            )
        )
        row = stock_rows.get(stock_id) if stock_rows is not None else None
        if row is not None:
            row.reserved -= quantity
            if on_hand_leaves:
                row.on_hand -= quantity
            row.updated_at = now
    stamp = f"{status.value}_at"  # confirmed_at, cancelled_at, expired_at
    for reservation in reservations:
        reservation.line_list = by_reservation[reservation.pk]
        for line in reservation.line_list:
            line.expires_at = reservation.expires_at
        reservation.status, reservation.updated_at = status, now
        setattr(reservation, stamp, now)


def holds_release_expired(rows: dict[int, Stock], now: datetime) -> None:
    """Inline expiry, for any writer holding these stock rows locked (a reserve, a
    cycle count, a product delete): pending holds past expires_at on them stop
    holding stock before anything is decided, with their `expire` movements;
    `rows` are kept in step. A hold whose other rows are busy is left to the
    sweeper (never waited on: no deadlock)."""
    expired_ids = set(
        ReservationLine.objects.filter(
            stock_id__in=list(rows), pending=True, expires_at__lte=now
        ).values_list("reservation_id", flat=True)
    )
    for reservation in reservations_try_lock_expired(reservation_ids=expired_ids, now=now):
        needed = set(
            ReservationLine.objects.filter(reservation=reservation, pending=True).values_list(
                "stock_id", flat=True
            )
        )
        missing = needed - set(rows)
        if missing:
            extra = stock_try_lock_many(stock_ids=missing)
            if len(extra) != len(missing):
                continue
            rows.update({row.pk: row for row in extra})
        _release(
            [reservation],
            status=ReservationStatus.EXPIRED,
            movement_type=MovementType.EXPIRE,
            now=now,
            stock_rows=rows,
        )


def _reservation_made(reservation_id: str) -> Reservation:
    """The reservation an earlier request with the same Idempotency-Key made."""
    return reservation_get_any(reservation_id=UUID(reservation_id))


@idempotent_service(replayed=_reservation_made, atomic=False)
def reservation_create(
    *, user_id: int, order_id: str, lines: list[LineRequest], ttl_seconds: int | None = None
) -> Reservation:
    """Hold every line or nothing (409 `insufficient_stock` naming each short
    product). Without an Idempotency-Key no transaction block is opened: each
    step commits alone (module docstring)."""
    ttl = _ttl(ttl_seconds)
    demand = _demand(lines)
    product_ids = {product_id for product_id, _ in demand}
    db = store()
    now = timezone.now()
    # Before any lock: unknown or not-for-sale products (404 / 409), unknown
    # named warehouses (404), and the stock rows with their counters as read now.
    candidates = db.resolve(product_ids=product_ids, now=now)
    warehouses_by_code(codes={code for _, code in demand if code})
    priority = {row.warehouse_id: (row.priority, row.warehouse_id, row.code) for row in candidates}
    reservation = Reservation(
        user_id=user_id,
        order_id=order_id,
        status=ReservationStatus.PENDING,
        expires_at=now + ttl,
        created_at=now,
        updated_at=now,
    )
    # First, from that read: the rows to take from, then one step that locks just
    # those and writes if each still has its units and no expired hold (the usual
    # case, on a hot row too). Otherwise the decision is taken under the locks of
    # every candidate row.
    allocation, short = _allocate(demand, candidates, priority)
    written = -1
    if not short:
        written = db.reserve(
            reservation=reservation,
            allocation=allocation,
            product_ids=product_ids,
            now=now,
            checked=True,
        )
    if written < 0:
        allocation, written = _reserve_locked(db, reservation, demand, candidates, priority, ttl)
    if written == 0:
        # Taken off sale or deleted while we waited: say which and why.
        products_for_sale(product_ids=product_ids, now=reservation.created_at)
        raise ProductNotOnSale()
    reservation.line_list = [
        ReservationLine(
            reservation=reservation,
            stock_id=row.pk,
            product_id=row.product_id,
            warehouse=Warehouse(pk=row.warehouse_id, code=priority[row.warehouse_id][2]),
            quantity=quantity,
            expires_at=reservation.expires_at,
        )
        for row, quantity in allocation
    ]
    return reservation


def _reserve_locked(
    db,
    reservation: Reservation,
    demand: dict[tuple[UUID, str | None], int],
    candidates: list,
    priority: dict[int, tuple],
    ttl: timedelta,
) -> tuple[list[tuple], int]:
    """The reserve decided under the locks: every candidate row locked in one
    statement, holds that expired on them released, the allocation made from the
    locked counters (a 409 naming every short product), then the writes."""
    product_ids = {product_id for product_id, _ in demand}
    with transaction.atomic():
        now = timezone.now()
        rows = {
            row.pk: row
            for row in db.stock_lock_for_reserve(
                stock_ids=[c.stock_id for c in candidates], now=now
            )
        }
        if any(row.has_expired_holds for row in rows.values()):
            holds_release_expired(rows, now)
        locked = [rows[c.stock_id] for c in candidates]
        allocation, short = _allocate(demand, locked, priority)
        if short:
            raise _insufficient(demand, locked, short)
        reservation.expires_at, reservation.created_at = now + ttl, now
        reservation.updated_at = now
        written = db.reserve(
            reservation=reservation, allocation=allocation, product_ids=product_ids, now=now
        )
    return allocation, written


def _visible_to(reservation: Reservation, user) -> bool:
    from apps.core.roles import Role

    return reservation.user_id == user.pk or user.has_role(Role.STAFF)


def _locked_own(reservation_id: UUID, user) -> Reservation:
    reservation = store().reservation_lock(reservation_id=reservation_id)
    if reservation is None or not _visible_to(reservation, user):
        raise NotFound("Reservation not found.")
    return reservation


@dataclass(frozen=True)
class _Ending:
    """How a pending hold ends: its new status, the movement, whether the units ship."""

    status: ReservationStatus
    movement_type: MovementType
    on_hand_leaves: bool = False

    def apply(self, reservation: Reservation, now: datetime) -> None:
        _release(
            [reservation],
            status=self.status,
            movement_type=self.movement_type,
            now=now,
            on_hand_leaves=self.on_hand_leaves,
        )


_CONFIRMED = _Ending(ReservationStatus.CONFIRMED, MovementType.CONFIRM, on_hand_leaves=True)
_CANCELLED = _Ending(ReservationStatus.CANCELLED, MovementType.RELEASE)
_EXPIRED = _Ending(ReservationStatus.EXPIRED, MovementType.EXPIRE)


def _end(reservation_id: UUID, user, decide, in_time: _Ending) -> Reservation:
    """Confirm and cancel: `decide(reservation, now)` answers the _Ending of a
    pending hold, None to answer the reservation as it is, or raises a refusal;
    `in_time` is what it answers for a pending hold within its time.

    One round trip reads the reservation without a lock and, if the caller may
    end it (theirs, or the caller is staff: as _visible_to), it is pending and
    within its time at `now`, ends it `in_time`'s way, locking it and going on
    only if it is still pending with the expiry read. (A request made within a
    hold's time is so decided by that time, even if it waited for the lock past
    it; the hold it ends was not extended, expired or ended meanwhile.) A
    reservation that has ended never changes again, so it is answered (or
    refused) from that read. Anything else (past its expiry, or changed
    meanwhile) is decided again under the reservation's lock."""
    from apps.core.roles import Role

    db = store()
    now = timezone.now()
    seen, released = db.end_pending(
        reservation_id=reservation_id,
        user_id=user.pk,
        any_user=user.has_role(Role.STAFF),
        status=in_time.status.value,
        movement_type=in_time.movement_type.value,
        now=now,
        ship=in_time.on_hand_leaves,
    )
    if seen is None or not _visible_to(seen, user):
        raise NotFound("Reservation not found.")
    if released:
        _record_release([seen], released, status=in_time.status, now=now)
        return seen
    if seen.status != ReservationStatus.PENDING:
        decide(seen, now)
        return seen
    with transaction.atomic():
        reservation = _locked_own(reservation_id, user)
        now = timezone.now()
        ending = decide(reservation, now)
        if ending is not None:
            ending.apply(reservation, now)
    return reservation


def _confirming(reservation: Reservation, now: datetime) -> _Ending | None:
    if reservation.status == ReservationStatus.CONFIRMED:
        return None
    if reservation.status == ReservationStatus.EXPIRED:
        raise ReservationExpired()
    if reservation.status != ReservationStatus.PENDING:
        raise InvalidState(details={"status": reservation.status})
    if reservation.expires_at <= now:
        raise ReservationExpired(details={"expires_at": reservation.expires_at.isoformat()})
    return _CONFIRMED


def _cancelling(reservation: Reservation, now: datetime) -> _Ending | None:
    if reservation.status in (ReservationStatus.CANCELLED, ReservationStatus.EXPIRED):
        return None
    if reservation.status == ReservationStatus.CONFIRMED:
        raise InvalidState(
            "A confirmed reservation cannot be cancelled.", details={"status": reservation.status}
        )
    if reservation.expires_at <= now:
        return _EXPIRED
    return _CANCELLED


def reservation_confirm(*, reservation_id: UUID, user) -> Reservation:
    """pending -> confirmed: the units leave on_hand (shipped). Confirming again is
    a no-op; an expired hold cannot be confirmed."""
    return _end(reservation_id, user, _confirming, _CONFIRMED)


def reservation_cancel(*, reservation_id: UUID, user) -> Reservation:
    """pending -> cancelled: units go back. Cancelling a hold that no longer holds
    anything (cancelled, expired) answers it unchanged; a confirmed one is a 409."""
    return _end(reservation_id, user, _cancelling, _CANCELLED)


@transaction.atomic
def reservation_extend(*, reservation_id: UUID, user, ttl_seconds: int) -> Reservation:
    """Hold until `ttl_seconds` from now, never past created_at + the max TTL and
    never earlier than the hold already runs."""
    ttl = _ttl(ttl_seconds)
    reservation = _locked_own(reservation_id, user)
    now = timezone.now()
    if reservation.status == ReservationStatus.EXPIRED or (
        reservation.status == ReservationStatus.PENDING and reservation.expires_at <= now
    ):
        raise ReservationExpired()
    if reservation.status != ReservationStatus.PENDING:
        raise InvalidState(details={"status": reservation.status})
    latest = reservation.created_at + timedelta(seconds=settings.RESERVATION_MAX_TTL_SECONDS)
    # Never earlier than it already was: an extension asking for less time than
    # remains leaves the hold as it is.
    reservation.expires_at = max(reservation.expires_at, min(now + ttl, latest))
    reservation.updated_at = now
    reservation.save(update_fields=["expires_at", "updated_at"])
    ReservationLine.objects.filter(reservation=reservation, pending=True).update(
        expires_at=reservation.expires_at
    )
    return reservation


def reservation_expire_due(*, batch_size: int = 1000, max_batches: int | None = None) -> int:
    """The sweeper: release pending holds past expires_at, in bounded batches, each
    its own transaction. Due rows locked elsewhere are skipped (SKIP LOCKED) and
    picked up next time. Returns how many were expired."""
    expired = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            now = timezone.now()
            due = reservations_lock_due(now=now, limit=batch_size)
            if not due:
                break
            _release(
                due,
                status=ReservationStatus.EXPIRED,
                movement_type=MovementType.EXPIRE,
                now=now,
            )
        expired += len(due)
        batches += 1
    return expired
