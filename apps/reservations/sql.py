"""The reservation path on PostgreSQL: each step one prepared statement.

Same functions, same results as apps/reservations/orm.py (the portable version,
which the embedded default runs and which the tests also run on PostgreSQL).
Plain SQL because, on the path of every reserve, confirm and cancel, compiling
the ORM's queries cost more than running them; prepared (apps/core/db.py)
because planning these CTEs anew each time cost PostgreSQL more than running
them too.

Lock order (DESIGN.md): a reservation row, then stock rows by primary key, each
group in one statement (for a release, the first part of the release's statement).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from django.db import IntegrityError

from apps.core.db import prepared_cursor
from apps.products.selectors import require_on_sale
from apps.stock.selectors import StockCandidate

from .errors import DuplicateOrderId
from .models import Reservation

# The products with their stock rows in active warehouses, by reservation
# priority; a product with no such row comes once, with NULLs.
_RESOLVE = """
SELECT p.id, p.status, p.sale_starts_at, p.sale_ends_at, s.id, s.warehouse_id, w.priority, w.code
  FROM products_product p
  LEFT JOIN (stock_stock s JOIN products_warehouse w ON w.id = s.warehouse_id AND w.is_active)
         ON s.product_id = p.id
 WHERE p.id = ANY(%s) AND p.deleted_at IS NULL
 ORDER BY w.priority, w.id
"""


class _SaleState(NamedTuple):
    """What require_on_sale reads of a product."""

    pk: UUID
    status: str
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None


def resolve(*, product_ids: set[UUID], now: datetime) -> list[StockCandidate]:
    """One round trip for products_for_sale + stock_candidates (404 / 409 alike)."""
    with prepared_cursor() as cursor:
        cursor.execute(_RESOLVE, [list(product_ids)])
        rows = cursor.fetchall()
    products = {row[0]: _SaleState(*row[:4]) for row in rows}
    require_on_sale(products.values(), product_ids=product_ids, now=now)
    return [
        StockCandidate(stock_id, product_id, warehouse_id, priority, code)
        for product_id, _, _, _, stock_id, warehouse_id, priority, code in rows
        if stock_id is not None
    ]


_RESERVATION_COLUMNS = [f.column for f in Reservation._meta.concrete_fields]
_LOCK_RESERVATION = (
    f"SELECT {', '.join(_RESERVATION_COLUMNS)} FROM reservations_reservation "
    "WHERE id = %s FOR UPDATE"
)


def reservation_lock(*, reservation_id: UUID) -> Reservation | None:
    with prepared_cursor() as cursor:
        cursor.execute(_LOCK_RESERVATION, [reservation_id])
        row = cursor.fetchone()
    return Reservation.from_db("default", _RESERVATION_COLUMNS, row) if row else None


_LOCK_FOR_RESERVE = """
SELECT s.id, s.product_id, s.warehouse_id, s.on_hand, s.reserved,
       EXISTS (SELECT 1 FROM reservations_line l
                WHERE l.stock_id = s.id AND l.pending AND l.expires_at <= %s)
  FROM stock_stock s WHERE s.id = ANY(%s) ORDER BY s.id FOR UPDATE OF s
"""


@dataclass(slots=True)
class LockedStock:
    """A locked stock row as a reserve reads it: what Stock would hold, without
    a model instance's cost (this is built for every candidate row)."""

    pk: int
    product_id: UUID
    warehouse_id: int
    on_hand: int
    reserved: int
    has_expired_holds: bool
    updated_at: datetime | None = None


def stock_lock_for_reserve(*, stock_ids: list[int], now: datetime) -> list[LockedStock]:
    """The stock rows a reservation draws from, locked in one statement by primary
    key, each marked `has_expired_holds` when a pending hold on it is past due
    (read in the same round trip; released by the caller before deciding)."""
    with prepared_cursor() as cursor:
        cursor.execute(_LOCK_FOR_RESERVE, [now, stock_ids])
        return [LockedStock(*row) for row in cursor.fetchall()]


# The writes of a reserve, in one statement, on stock rows the caller holds
# locked: the reservation, the counters, the lines and the `reserve` movements.
# The products are read again here, in a snapshot taken after the locks were
# granted, so a product deleted or taken off sale while this request waited is
# refused: then no stock is touched and the statement answers 0 (the caller
# rolls the reservation row back). The reservation row is the last lock taken:
# a duplicate order_id waits here for the first one's commit and fails, never
# holding a lock that the first one needs.
_RESERVE = """
WITH on_sale AS (
    SELECT count(*) AS n FROM products_product
     WHERE id = ANY(%(products)s) AND deleted_at IS NULL AND status = 'active'
       AND (sale_starts_at IS NULL OR sale_starts_at <= %(now)s)
       AND (sale_ends_at IS NULL OR sale_ends_at > %(now)s)
), reservation AS (
    INSERT INTO reservations_reservation
        (id, user_id, order_id, status, expires_at, created_at, updated_at)
    VALUES (%(reservation)s, %(user)s, %(order_id)s, 'pending', %(expires_at)s, %(now)s, %(now)s)
), taken AS (
    SELECT t.stock_id, t.quantity
      FROM unnest(%(stock_ids)s::bigint[], %(quantities)s::bigint[]) AS t(stock_id, quantity)
     WHERE (SELECT n FROM on_sale) = %(product_count)s
), stock AS (
    UPDATE stock_stock s SET reserved = s.reserved + t.quantity, updated_at = %(now)s
      FROM taken t
     WHERE s.id = t.stock_id
    RETURNING s.id, s.product_id, s.warehouse_id, s.on_hand, s.reserved, t.quantity
), lines AS (
    INSERT INTO reservations_line
        (reservation_id, stock_id, product_id, warehouse_id, quantity, pending, expires_at)
    SELECT %(reservation)s, id, product_id, warehouse_id, quantity, true, %(expires_at)s
      FROM stock ORDER BY id
), movements AS (
    INSERT INTO stock_movement
        (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta,
         on_hand_after, reserved_after, reservation_id, actor_id, reason, reference, created_at)
    SELECT 'reserve', id, product_id, warehouse_id, 0, quantity, on_hand, reserved,
           %(reservation)s, %(user)s, '', '', %(now)s
      FROM stock ORDER BY id
)
SELECT count(*) FROM stock
"""
DUPLICATE_ORDER_CONSTRAINT = "reservation_order_per_user"


def reserve(
    *,
    reservation: Reservation,
    allocation: list[tuple[LockedStock, int]],
    product_ids: set[UUID],
    now: datetime,
) -> bool:
    """Write the reservation and its holds; False (nothing held) when a product
    is no longer on sale; 409 `duplicate_order_id` when the user has this order_id."""
    try:
        with prepared_cursor() as cursor:
            cursor.execute(
                _RESERVE,
                {
                    "products": list(product_ids),
                    "product_count": len(product_ids),
                    "reservation": reservation.pk,
                    "user": reservation.user_id,
                    "order_id": reservation.order_id,
                    "expires_at": reservation.expires_at,
                    "stock_ids": [row.pk for row, _ in allocation],
                    "quantities": [quantity for _, quantity in allocation],
                    "now": now,
                },
            )
            (written,) = cursor.fetchone()
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) == DUPLICATE_ORDER_CONSTRAINT:
            raise DuplicateOrderId(details={"order_id": reservation.order_id}) from exc
        raise
    return written == len(allocation)


# Ending pending holds, set-based, in one statement: lock their stock rows (by
# primary key: `locked` yields rows in id order and locks each as it yields it,
# and a row is updated only once it came out of `locked`), close their lines,
# give the units back (or ship them), stamp the reservations and write one
# movement per line whose after-values are the row's running values (the row's
# final value plus what later lines of the batch give back). The caller holds
# the reservations locked.
_RELEASE = """
WITH locked AS MATERIALIZED (
    SELECT id FROM stock_stock
     WHERE id IN (SELECT stock_id FROM reservations_line
                   WHERE reservation_id = ANY(%(ids)s) AND pending)
     ORDER BY id FOR UPDATE
), released AS (
    UPDATE reservations_line SET pending = false
     WHERE reservation_id = ANY(%(ids)s) AND pending
    RETURNING id, reservation_id, stock_id, product_id, warehouse_id, quantity
), per_row AS (
    SELECT stock_id, SUM(quantity) AS quantity FROM released GROUP BY stock_id
), stock AS (
    UPDATE stock_stock s
       SET reserved = s.reserved - r.quantity,
           on_hand = s.on_hand - CASE WHEN %(ship)s THEN r.quantity ELSE 0 END,
           updated_at = %(now)s
      FROM per_row r JOIN locked k ON k.id = r.stock_id
     WHERE s.id = r.stock_id
    RETURNING s.id, s.on_hand, s.reserved
), ended AS (
    UPDATE reservations_reservation
       SET status = %(status)s, updated_at = %(now)s, {stamp} = %(now)s
     WHERE id = ANY(%(ids)s)
), movements AS (
    INSERT INTO stock_movement
        (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta,
         on_hand_after, reserved_after, reservation_id, reason, reference, created_at)
    SELECT %(type)s, l.stock_id, l.product_id, l.warehouse_id,
           CASE WHEN %(ship)s THEN -l.quantity ELSE 0 END, -l.quantity,
           s.on_hand + CASE WHEN %(ship)s THEN l.later ELSE 0 END, s.reserved + l.later,
           l.reservation_id, '', '', %(now)s
      FROM (SELECT released.*,
                   COALESCE(SUM(quantity) OVER (PARTITION BY stock_id ORDER BY id
                            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS later
              FROM released) l
      JOIN stock s ON s.id = l.stock_id
     ORDER BY l.stock_id, l.id
)
SELECT l.reservation_id, l.stock_id, l.product_id, l.warehouse_id, w.code, l.quantity
  FROM released l JOIN products_warehouse w ON w.id = l.warehouse_id
 ORDER BY l.id
"""


def release(
    *,
    reservation_ids: list[UUID],
    status: str,
    stamp: str,
    movement_type: str,
    now: datetime,
    ship: bool,
) -> list[tuple]:
    """End these pending reservations (locked by the caller): (reservation_id,
    stock_id, product_id, warehouse_id, warehouse code, quantity) per line
    released, in line order."""
    with prepared_cursor() as cursor:
        cursor.execute(
            _RELEASE.format(stamp=stamp),
            {
                "ids": reservation_ids,
                "ship": ship,
                "now": now,
                "status": status,
                "type": movement_type,
            },
        )
        return cursor.fetchall()
