"""Reserve: hold every line of an order or none.

Demand is summed per (product, named warehouse); a named warehouse is taken
from its own row, the rest across the product's active warehouses by priority
(a line may split). A shortage answers 409 `insufficient_stock` naming every
short product.

Everything that can be resolved is resolved before any lock: the products (404
/ 409 `product_not_on_sale`), named warehouses (404) and the stock rows with
their counters as read now. Where the hold store has a one-step take
(PostgreSQL), the allocation from that read is written by one statement that
locks just those rows and goes on only if each still has its units free and no
expired hold: a hot row's lock is then held only while PostgreSQL works.
Otherwise, or when that check fails, the reserve is decided in a transaction
under the locks of every candidate row, where holds that expired on them are
released first. Either way the reservation row is written last of the locks.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.core.idempotency import idempotent_service
from apps.products.errors import ProductNotOnSale
from apps.products.models import Warehouse
from apps.products.selectors import products_for_sale, warehouses_by_code
from apps.stock.holds.services import holds_release_expired, holds_store
from apps.stock.holds.store import (
    HoldStore,
    LockedStock,
    OneStepHoldStore,
    StockCandidate,
    Take,
    Taken,
)
from apps.stock.models import Reservation, ReservationLine, ReservationStatus

from ..errors import DuplicateOrderId, InsufficientStock
from ..selectors import reservation_get_any

MAX_LINES = 100

# Per product and named warehouse (None: any, by priority), the units wanted.
Demand = dict[tuple[UUID, str | None], int]
# Per warehouse id, its (priority, id, code): the order rows are drawn in.
Priority = dict[int, tuple[int, int, str]]
# A product's unit price as the reserve read it: what its lines keep.
Prices = dict[UUID, Decimal]


@dataclass(frozen=True)
class LineRequest:
    product_id: UUID
    quantity: int
    warehouse_code: str | None = None


def ttl_checked(ttl_seconds: int | None) -> timedelta:
    """The hold's length: the default when None, else within the bounds (400)."""
    low, high = settings.RESERVATION_MIN_TTL_SECONDS, settings.RESERVATION_MAX_TTL_SECONDS
    seconds = settings.RESERVATION_DEFAULT_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    if not low <= seconds <= high:
        raise ValidationFailed(details={"ttl_seconds": [f"Must be between {low} and {high}."]})
    return timedelta(seconds=seconds)


def _demand(lines: list[LineRequest]) -> Demand:
    """Quantity wanted per (product, named warehouse or None); repeated lines add up."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise ValidationFailed(details={"lines": [f"Give 1 to {MAX_LINES} lines."]})
    high = settings.MAX_STOCK_QUANTITY
    if any(
        isinstance(line.quantity, bool)
        or not isinstance(line.quantity, int)
        or not 1 <= line.quantity <= high
        for line in lines
    ):
        raise ValidationFailed(details={"lines": [f"Each quantity is from 1 to {high}."]})
    demand: dict[tuple[UUID, str | None], int] = defaultdict(int)
    for line in lines:
        code = line.warehouse_code.strip().upper() if line.warehouse_code else None
        demand[(line.product_id, code)] += line.quantity
    return dict(demand)


def _allocate(
    demand: Demand,
    rows: list[StockCandidate] | list[LockedStock],
    priority: Priority,
    prices: Prices,
) -> tuple[list[Take], set[UUID]]:
    """Take units from `rows`: a named warehouse from its row, the rest across
    the product's rows by warehouse priority. Answers what to take of each row,
    by primary key; and the products that are short (all or nothing: the caller
    takes nothing then)."""
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
    takes = [
        Take(row, quantity, prices[row.product_id])
        for row, quantity in ((rows_by_pk[pk], q) for pk, q in sorted(taken.items()))
    ]
    return takes, short


def _insufficient(demand: Demand, rows: list[LockedStock], short: set[UUID]) -> InsufficientStock:
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


def _reservation_made(reservation_id: str) -> Reservation:
    """The reservation an earlier request with the same Idempotency-Key made."""
    return reservation_get_any(reservation_id=UUID(reservation_id))


@idempotent_service(replayed=_reservation_made, atomic=False)
def reservation_create(
    *, user_id: int, order_id: str, lines: list[LineRequest], ttl_seconds: int | None = None
) -> Reservation:
    """Hold every line or nothing (module docstring). Without an Idempotency-Key
    no transaction block is opened on PostgreSQL: each step commits alone."""
    ttl = ttl_checked(ttl_seconds)
    demand = _demand(lines)
    product_ids = {product_id for product_id, _ in demand}
    store = holds_store()
    now = timezone.now()
    candidates = store.resolve(product_ids=product_ids, now=now)
    warehouses_by_code(codes={code for _, code in demand if code})
    priority = {row.warehouse_id: (row.priority, row.warehouse_id, row.code) for row in candidates}
    prices = {row.product_id: row.unit_price for row in candidates}
    hold = Reservation(
        user_id=user_id,
        order_id=order_id,
        status=ReservationStatus.PENDING,
        expires_at=now + ttl,
        created_at=now,
        updated_at=now,
    )
    outcome = Taken.CHANGED
    if isinstance(store, OneStepHoldStore):
        takes, short = _allocate(demand, candidates, priority, prices)
        if not short:
            outcome = store.take_if_unchanged(
                hold=hold, takes=takes, product_ids=product_ids, now=now
            )
    if outcome is Taken.CHANGED:
        takes, outcome = _reserve_locked(store, hold, demand, candidates, priority, prices, ttl)
    if outcome is Taken.DUPLICATE_ORDER:
        # The caller's own hold with this reference: a client that lost the
        # answer to its first request finds what it made.
        existing = Reservation.objects.filter(user_id=user_id, order_id=order_id).first()
        raise DuplicateOrderId(
            details={
                "order_id": order_id,
                "reservation_id": str(existing.pk) if existing else None,
            }
        )
    if outcome is Taken.NOT_ON_SALE:
        # Taken off sale or deleted while we waited: say which and why.
        products_for_sale(product_ids=product_ids, now=hold.created_at)
        raise ProductNotOnSale()
    hold.line_list = [
        ReservationLine(
            reservation=hold,
            stock_id=take.stock.pk,
            product_id=take.stock.product_id,
            warehouse=Warehouse(
                pk=take.stock.warehouse_id, code=priority[take.stock.warehouse_id][2]
            ),
            quantity=take.quantity,
            unit_price=take.unit_price,
            expires_at=hold.expires_at,
        )
        for take in takes
    ]
    return hold


def _reserve_locked(
    store: HoldStore,
    hold: Reservation,
    demand: Demand,
    candidates: list[StockCandidate],
    priority: Priority,
    prices: Prices,
    ttl: timedelta,
) -> tuple[list[Take], Taken]:
    """The reserve decided under the locks: every candidate row locked in one
    statement, holds that expired on them released, the allocation made from the
    locked counters (a 409 naming every short product), then the writes."""
    product_ids = {product_id for product_id, _ in demand}
    with transaction.atomic():
        now = timezone.now()
        rows = {
            row.pk: row
            for row in store.lock_for_reserve(stock_ids=[c.pk for c in candidates], now=now)
        }
        if any(row.has_expired_holds for row in rows.values()):
            holds_release_expired(rows=rows, now=now)
        locked = [rows[c.pk] for c in candidates]
        takes, short = _allocate(demand, locked, priority, prices)
        if short:
            raise _insufficient(demand, locked, short)
        hold.expires_at, hold.created_at, hold.updated_at = now + ttl, now, now
        outcome = store.take(hold=hold, takes=takes, product_ids=product_ids, now=now)
    return takes, outcome
