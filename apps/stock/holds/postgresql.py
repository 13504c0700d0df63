"""The hold store on PostgreSQL (store.py): each step one prepared statement.

Plain SQL because, on the path of every reserve, confirm and cancel, compiling
the ORM's queries cost more than running them; prepared (apps/core/db.py)
because planning these statements anew each time cost PostgreSQL more than
running them too. The writes of a take and of a release are PL/pgSQL functions
(sql/reservations_reserve.sql, sql/reservations_release.sql): each takes its
locks and writes in one round trip, so no lock is held while Python works or a
packet travels.

Lock order (docs/architecture.md): a reservation row, then stock rows by
primary key, each group in one statement.
"""

from contextlib import nullcontext
from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, connection, transaction

from apps.core.db import prepared_cursor, violated_constraint
from apps.products.rules import SaleState
from apps.products.selectors import require_on_sale

from ..models import Reservation
from .rules import HOLD_EXPIRED_SQL
from .store import Ending, LockedStock, ReleasedLine, StockCandidate, Take, Taken

# The products with their stock rows in active warehouses, by reservation
# priority; a product with no such row comes once, with NULLs.
_RESOLVE = """
SELECT p.id, p.status, p.sale_starts_at, p.sale_ends_at,
       s.id, s.warehouse_id, w.priority, w.code, s.on_hand, s.reserved, p.price
  FROM products_product p
  LEFT JOIN (stock_stock s JOIN products_warehouse w ON w.id = s.warehouse_id AND w.is_active)
         ON s.product_id = p.id
 WHERE p.id = ANY(%s) AND p.deleted_at IS NULL
 ORDER BY w.priority, w.id
"""

_LOCK_FOR_RESERVE = f"""
SELECT s.id, s.product_id, s.warehouse_id, s.on_hand, s.reserved,
       EXISTS (SELECT 1 FROM reservations_line l
                WHERE l.stock_id = s.id AND l.pending AND {HOLD_EXPIRED_SQL}(l.expires_at, %s))
  FROM stock_stock s WHERE s.id = ANY(%s) ORDER BY s.id FOR UPDATE OF s
"""

_RESERVATION_COLUMNS = [f.column for f in Reservation._meta.concrete_fields]
_LOCK_RESERVATION = (
    f"SELECT {', '.join(_RESERVATION_COLUMNS)} FROM reservations_reservation "
    "WHERE id = %s FOR UPDATE"
)

_TAKE = (
    "SELECT reservations_reserve("
    "%s, %s, %s, %s, %s, %s::uuid[], %s::bigint[], %s::bigint[], %s::numeric[], %s)"
)

_RELEASE = "SELECT * FROM reservations_release(%s::uuid[], %s, %s, %s, %s, NULL)"

# The reservation as committed, and the release of it when it is the caller's,
# pending and not expired at `now`: reservations_release with the expiry read
# locks it and goes on only if it is still pending with that expiry. Otherwise
# the function gets an expiry no hold has, and does nothing (NULL would mean
# "the caller holds the lock": release unconditionally).
_END_IF_PENDING = f"""
SELECT {", ".join(f"r.{column}" for column in _RESERVATION_COLUMNS)},
       x.reservation_id, x.stock_id, x.product_id, x.warehouse_id, x.code, x.quantity,
       x.unit_price
  FROM reservations_reservation r
  LEFT JOIN LATERAL reservations_release(
         ARRAY[r.id], %(status)s, %(type)s, %(ship)s, %(now)s,
         CASE WHEN r.status = 'pending' AND NOT {HOLD_EXPIRED_SQL}(r.expires_at, %(now)s)
                   AND (r.user_id = %(user)s OR %(any_user)s)
              THEN r.expires_at ELSE '-infinity' END) x ON true
 WHERE r.id = %(id)s
"""

DUPLICATE_ORDER_CONSTRAINT = "reservation_order_per_user"


class PostgresHoldStore:
    """HoldStore and OneStepHoldStore (store.py) on PostgreSQL."""

    def resolve(self, *, product_ids: set[UUID], now: datetime) -> list[StockCandidate]:
        with prepared_cursor() as cursor:
            cursor.execute(_RESOLVE, [list(product_ids)])
            rows = cursor.fetchall()
        products = {row[0]: SaleState(*row[:4]) for row in rows}
        require_on_sale(found=products.values(), product_ids=product_ids, now=now)
        # A product with no stock row comes once, with NULLs from s.id on.
        return [StockCandidate(*row[4:5], row[0], *row[5:]) for row in rows if row[4] is not None]

    def lock_for_reserve(self, *, stock_ids: list[int], now: datetime) -> list[LockedStock]:
        with prepared_cursor() as cursor:
            cursor.execute(_LOCK_FOR_RESERVE, [now, stock_ids])
            return [LockedStock(*row) for row in cursor.fetchall()]

    def take(
        self, *, hold: Reservation, takes: list[Take], product_ids: set[UUID], now: datetime
    ) -> Taken:
        return self._take(hold, takes, product_ids, now, checked=False)

    def take_if_unchanged(
        self, *, hold: Reservation, takes: list[Take], product_ids: set[UUID], now: datetime
    ) -> Taken:
        return self._take(hold, takes, product_ids, now, checked=True)

    def _take(
        self,
        hold: Reservation,
        takes: list[Take],
        product_ids: set[UUID],
        now: datetime,
        *,
        checked: bool,
    ) -> Taken:
        # Inside a caller's transaction (an idempotency claim, the locked path,
        # a test), a savepoint, so that a duplicate fails this statement only.
        savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
        params = [
            hold.pk,
            hold.user_id,
            hold.order_id,
            hold.expires_at,
            now,
            list(product_ids),
            [take.stock.pk for take in takes],
            [take.quantity for take in takes],
            [take.unit_price for take in takes],
            checked,
        ]
        try:
            with savepoint, prepared_cursor() as cursor:
                cursor.execute(_TAKE, params)
                (written,) = cursor.fetchone()
        except IntegrityError as exc:
            if violated_constraint(exc) == DUPLICATE_ORDER_CONSTRAINT:
                return Taken.DUPLICATE_ORDER
            raise
        return {0: Taken.NOT_ON_SALE, -1: Taken.CHANGED}.get(written, Taken.HELD)

    def lock_reservation(self, *, reservation_id: UUID) -> Reservation | None:
        with prepared_cursor() as cursor:
            cursor.execute(_LOCK_RESERVATION, [reservation_id])
            row = cursor.fetchone()
        return Reservation.from_db("default", _RESERVATION_COLUMNS, row) if row else None

    def release(
        self, *, reservation_ids: list[UUID], ending: Ending, now: datetime
    ) -> list[ReleasedLine]:
        params = [reservation_ids, ending.status.value, ending.movement_type.value, ending.ships]
        with prepared_cursor() as cursor:
            cursor.execute(_RELEASE, [*params, now])
            return [ReleasedLine(*row) for row in cursor.fetchall()]

    def end_if_pending(
        self, *, reservation_id: UUID, user_id: int, any_user: bool, ending: Ending, now: datetime
    ) -> tuple[Reservation | None, list[ReleasedLine]]:
        with prepared_cursor() as cursor:
            cursor.execute(
                _END_IF_PENDING,
                {
                    "id": reservation_id,
                    "user": user_id,
                    "any_user": any_user,
                    "status": ending.status.value,
                    "type": ending.movement_type.value,
                    "ship": ending.ships,
                    "now": now,
                },
            )
            rows = cursor.fetchall()
        if not rows:
            return None, []
        width = len(_RESERVATION_COLUMNS)
        seen = Reservation.from_db("default", _RESERVATION_COLUMNS, rows[0][:width])
        return seen, [ReleasedLine(*row[width:]) for row in rows if row[width] is not None]


STORE = PostgresHoldStore()
