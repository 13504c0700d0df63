"""Stock writes: inbound, cycle-count adjustments, alert levels, returns.

Every change to on_hand or reserved writes its StockMovement in the same
transaction. Inputs are resolved before any row is touched; inside, only
read-decide-write.
"""

from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.errors import InvalidState, ValidationFailed
from apps.core.idempotency import idempotent_service
from apps.ledger.models import MovementType, StockMovement
from apps.ledger.services import movement_build, movement_record, movements_record_bulk
from apps.products.selectors import product_get, warehouse_get_by_code
from apps.products.services import product_hide

from .errors import BelowReserved, ProductInUse
from .holds.services import holds_release_expired
from .locks import stock_lock_for_product, stock_lock_many, stock_lock_one
from .models import Reservation, ReservationLine, ReservationStatus, Stock


@dataclass(frozen=True)
class StockChange:
    stock: Stock
    movement: StockMovement


def _change_made(movement_id: str) -> StockChange:
    """The change an earlier request with the same Idempotency-Key made, as it
    answered it: the row with the counters its movement left."""
    movement = StockMovement.objects.select_related("stock__warehouse").get(pk=int(movement_id))
    stock = movement.stock
    stock.on_hand, stock.reserved = movement.on_hand_after, movement.reserved_after
    movement.warehouse = stock.warehouse
    return StockChange(stock=stock, movement=movement)


# One statement creates the row on its first inbound or adds to it, atomically:
# concurrent first inbounds cannot both insert, and no read-modify-write race
# exists. The row stays locked from here until commit, one INSERT later.
_UPSERT_ADD_ON_HAND = """
INSERT INTO stock_stock
    (product_id, warehouse_id, on_hand, reserved, min_stock_level, reorder_point,
     created_at, updated_at)
VALUES (%s, %s, %s, 0, 0, 0, %s, %s)
ON CONFLICT (product_id, warehouse_id) DO UPDATE
    SET on_hand = stock_stock.on_hand + excluded.on_hand, updated_at = excluded.updated_at
RETURNING id, on_hand, reserved, min_stock_level, reorder_point, created_at
"""

_ENSURE_ROW = """
INSERT INTO stock_stock
    (product_id, warehouse_id, on_hand, reserved, min_stock_level, reorder_point,
     created_at, updated_at)
VALUES (%s, %s, 0, 0, 0, 0, %s, %s)
ON CONFLICT (product_id, warehouse_id) DO NOTHING
"""


def _product_param(product_id: UUID):
    return Stock._meta.get_field("product").get_db_prep_value(product_id, connection)


def _check_quantity(name: str, value: int, *, minimum: int) -> None:
    if not minimum <= value <= settings.MAX_STOCK_QUANTITY:
        raise ValidationFailed(
            details={name: [f"Must be between {minimum} and {settings.MAX_STOCK_QUANTITY}."]}
        )


def _movement_id(change: StockChange) -> int:
    return change.movement.pk


def _recorded(
    stock: Stock, type: MovementType, on_hand_delta: int, actor_id, reason: str, reference: str
) -> StockChange:
    """The change of `stock` (its counters already the new ones), in the ledger."""
    movement = movement_record(
        stock=stock,
        type=type,
        on_hand_delta=on_hand_delta,
        actor_id=actor_id,
        reason=reason,
        reference=reference,
    )
    return StockChange(stock=stock, movement=movement)


@idempotent_service(replayed=_change_made, result_id=_movement_id)
def stock_inbound(
    *,
    product_id: UUID,
    warehouse_code: str,
    quantity: int,
    actor_id: int | None,
    reason: str = "",
    reference: str = "",
) -> StockChange:
    """Receive units: on_hand grows, the row is created on its first inbound."""
    _check_quantity("quantity", quantity, minimum=1)
    product = product_get(product_id=product_id)
    warehouse = warehouse_get_by_code(code=warehouse_code)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT_ADD_ON_HAND, [_product_param(product.pk), warehouse.pk, quantity, now, now]
        )
        stock_id, on_hand, reserved, min_level, reorder_point, created_at = cursor.fetchone()
    stock = Stock(
        id=stock_id,
        product=product,
        warehouse=warehouse,
        on_hand=on_hand,
        reserved=reserved,
        min_stock_level=min_level,
        reorder_point=reorder_point,
        created_at=created_at,
        updated_at=now,
    )
    return _recorded(stock, MovementType.INBOUND, quantity, actor_id, reason, reference)


@idempotent_service(replayed=_change_made, result_id=_movement_id)
def stock_adjust(
    *,
    product_id: UUID,
    warehouse_code: str,
    on_hand: int,
    actor_id: int | None,
    reason: str,
    reference: str = "",
) -> StockChange:
    """Set on_hand to a counted absolute value (a cycle count). Refused with 409
    `below_reserved` when the count is less than what pending holds need. A count
    that matches is still recorded: the ledger shows the stock was verified."""
    _check_quantity("on_hand", on_hand, minimum=0)
    product = product_get(product_id=product_id)
    warehouse = warehouse_get_by_code(code=warehouse_code)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_ENSURE_ROW, [_product_param(product.pk), warehouse.pk, now, now])
    stock = stock_lock_one(product_id=product.pk, warehouse_id=warehouse.pk)
    if on_hand < stock.reserved:
        # Holds past their expiry hold nothing, swept or not: end them before
        # refusing.
        holds_release_expired(rows={stock.pk: stock}, now=now)
    if on_hand < stock.reserved:
        raise BelowReserved(
            details={"on_hand": on_hand, "reserved": stock.reserved, "stock_id": stock.pk}
        )
    delta = on_hand - stock.on_hand
    Stock.objects.filter(pk=stock.pk).update(on_hand=on_hand, updated_at=now)
    stock.on_hand, stock.updated_at = on_hand, now
    stock.product, stock.warehouse = product, warehouse
    return _recorded(stock, MovementType.ADJUST, delta, actor_id, reason, reference)


@transaction.atomic
def product_delete(*, product_id: UUID) -> None:
    """Delete a product from the catalog (products' `product_hide`), refused with
    409 `product_in_use` while any of its units are held. Its stock rows stay
    locked until the delete commits, so no reservation can take units
    meanwhile; holds past their expiry are ended first: they hold nothing."""
    product = product_get(product_id=product_id)
    rows = {row.pk: row for row in stock_lock_for_product(product_id=product.pk)}
    now = timezone.now()
    if any(row.reserved for row in rows.values()):
        holds_release_expired(rows=rows, now=now)
    reserved = sum(row.reserved for row in rows.values())
    if reserved > 0:
        raise ProductInUse(details={"reserved": reserved})
    product_hide(product_id=product.pk, now=now)


@transaction.atomic
def stock_levels_update(
    *, stock: Stock, min_stock_level: int | None = None, reorder_point: int | None = None
) -> Stock:
    """Alert levels only; counts never change here. A single-row UPDATE needs no
    explicit lock: it changes neither on_hand nor reserved."""
    changes = {}
    if min_stock_level is not None:
        changes["min_stock_level"] = min_stock_level
    if reorder_point is not None:
        changes["reorder_point"] = reorder_point
    if changes:
        changes["updated_at"] = timezone.now()
        Stock.objects.filter(pk=stock.pk).update(**changes)
        for field, value in changes.items():
            setattr(stock, field, value)
    return stock


def stock_return_reservation(*, reservation: Reservation, now, reference: str = "") -> None:
    """The units a confirmed reservation shipped come back (a refund): on_hand
    grows by each line's quantity, with one `return` movement per line. The
    caller holds the reservation locked and returns it once (its payment's
    state, under that lock, says whether it has)."""
    if reservation.status != ReservationStatus.CONFIRMED:
        raise InvalidState(
            "Only a confirmed reservation's units can come back.",
            details={"status": reservation.status},
        )
    lines = list(ReservationLine.objects.filter(reservation=reservation).order_by("pk"))
    rows = {row.pk: row for row in stock_lock_many(stock_ids={line.stock_id for line in lines})}
    movements = []
    for line in sorted(lines, key=lambda line: (line.stock_id, line.pk)):
        row = rows[line.stock_id]
        row.on_hand += line.quantity
        movements.append(
            movement_build(
                stock=row,
                type=MovementType.RETURN,
                on_hand_delta=line.quantity,
                reservation_id=reservation.pk,
                reference=reference,
                now=now,
            )
        )
    for row in rows.values():
        Stock.objects.filter(pk=row.pk).update(on_hand=row.on_hand, updated_at=now)
    movements_record_bulk(movements=movements)
