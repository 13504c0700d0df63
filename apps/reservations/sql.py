"""The reservation path on PostgreSQL: each step one prepared statement.

Same functions, same results as apps/reservations/orm.py (the portable version,
which the embedded default runs and which the tests also run on PostgreSQL).
Plain SQL because, on the path of every reserve, confirm and cancel, compiling
the ORM's queries cost more than running them; prepared (apps/core/db.py)
because planning these statements anew each time cost PostgreSQL more than
running them too. The writes of a reserve and of a release are PL/pgSQL
functions (migration 0002 of this app): each takes its locks and writes in one
round trip, so no lock is held while Python works or a packet travels.

Lock order (DESIGN.md): a reservation row, then stock rows by primary key, each
group in one statement.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from django.db import IntegrityError, connection, transaction

from apps.core.db import prepared_cursor
from apps.products.selectors import require_on_sale
from apps.stock.selectors import StockCandidate

from .errors import DuplicateOrderId
from .models import Reservation

# The products with their stock rows in active warehouses, by reservation
# priority; a product with no such row comes once, with NULLs.
_RESOLVE = """
SELECT p.id, p.status, p.sale_starts_at, p.sale_ends_at,
       s.id, s.warehouse_id, w.priority, w.code, s.on_hand, s.reserved
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
        StockCandidate(stock_id, product_id, warehouse_id, priority, code, on_hand, reserved)
        for product_id, _, _, _, stock_id, warehouse_id, priority, code, on_hand, reserved in rows
        if stock_id is not None
    ]


_RESERVATION_COLUMNS = [f.column for f in Reservation._meta.concrete_fields]
_READ_RESERVATION = (
    f"SELECT {', '.join(_RESERVATION_COLUMNS)} FROM reservations_reservation WHERE id = %s"
)


def _reservation(statement: str, reservation_id: UUID) -> Reservation | None:
    with prepared_cursor() as cursor:
        cursor.execute(statement, [reservation_id])
        row = cursor.fetchone()
    return Reservation.from_db("default", _RESERVATION_COLUMNS, row) if row else None


def reservation_lock(*, reservation_id: UUID) -> Reservation | None:
    return _reservation(_READ_RESERVATION + " FOR UPDATE", reservation_id)


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


DUPLICATE_ORDER_CONSTRAINT = "reservation_order_per_user"


def reserve(
    *,
    reservation: Reservation,
    allocation: list[tuple[LockedStock | StockCandidate, int]],
    product_ids: set[UUID],
    now: datetime,
    checked: bool = False,
) -> int:
    """Write the reservation and its holds (reservations_reserve, migration 0002):
    the rows written; 0 (nothing held) when a product is no longer on sale; -1
    (nothing held) when `checked` and a row no longer has its units free or holds
    an expired hold; 409 `duplicate_order_id` when the user has this order_id.
    The allocated rows are locked here, or already by the caller."""
    # Inside a caller's transaction (an idempotency claim, a test), a savepoint,
    # so that a duplicate fails this statement only.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with savepoint, prepared_cursor() as cursor:
            cursor.execute(
                "SELECT reservations_reserve(%s, %s, %s, %s, %s, %s::uuid[], %s::bigint[], "
                "%s::bigint[], %s)",
                [
                    reservation.pk,
                    reservation.user_id,
                    reservation.order_id,
                    reservation.expires_at,
                    now,
                    list(product_ids),
                    [row.pk for row, _ in allocation],
                    [quantity for _, quantity in allocation],
                    checked,
                ],
            )
            (written,) = cursor.fetchone()
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) == DUPLICATE_ORDER_CONSTRAINT:
            raise DuplicateOrderId(details={"order_id": reservation.order_id}) from exc
        raise
    return written


def release(
    *, reservation_ids: list[UUID], status: str, movement_type: str, now: datetime, ship: bool
) -> list[tuple]:
    """End these pending reservations, which the caller holds locked
    (reservations_release, migration 0002): (reservation_id, stock_id,
    product_id, warehouse_id, warehouse code, quantity) per line released, in
    line order."""
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT * FROM reservations_release(%s::uuid[], %s, %s, %s, %s, NULL)",
            [reservation_ids, status, movement_type, ship, now],
        )
        return cursor.fetchall()


# The reservation as committed, and the release of it when it is the caller's,
# pending and not yet past `now`: reservations_release with the expiry read
# locks it and goes on only if it is still pending with that expiry. Otherwise
# the function gets an expiry no hold has, and does nothing (NULL would mean
# "the caller holds the lock": release unconditionally).
_END_PENDING = f"""
SELECT {", ".join(f"r.{column}" for column in _RESERVATION_COLUMNS)},
       x.reservation_id, x.stock_id, x.product_id, x.warehouse_id, x.code, x.quantity
  FROM reservations_reservation r
  LEFT JOIN LATERAL reservations_release(
         ARRAY[r.id], %(status)s, %(type)s, %(ship)s, %(now)s,
         CASE WHEN r.status = 'pending' AND r.expires_at > %(now)s
                   AND (r.user_id = %(user)s OR %(any_user)s)
              THEN r.expires_at ELSE '-infinity' END) x ON true
 WHERE r.id = %(id)s
"""


def end_pending(
    *,
    reservation_id: UUID,
    user_id: int,
    any_user: bool,
    status: str,
    movement_type: str,
    now: datetime,
    ship: bool,
) -> tuple[Reservation | None, list[tuple]]:
    """The reservation as committed (None if there is none) and, when it is
    `user_id`'s (or `any_user`), pending and not yet past `now`, its ending to
    `status`, in one round trip: the lines released as `release` answers them.
    No line: nothing was done (it was not one to end, or it changed after the
    read), and the reservation is as read."""
    with prepared_cursor() as cursor:
        cursor.execute(
            _END_PENDING,
            {
                "id": reservation_id,
                "user": user_id,
                "any_user": any_user,
                "status": status,
                "type": movement_type,
                "ship": ship,
                "now": now,
            },
        )
        rows = cursor.fetchall()
    if not rows:
        return None, []
    width = len(_RESERVATION_COLUMNS)
    seen = Reservation.from_db("default", _RESERVATION_COLUMNS, rows[0][:width])
    return seen, [row[width:] for row in rows if row[width] is not None]
