"""Row locks of the reservations app. Global order: reservation, then stock rows
by primary key (apps/stock/locks.py)."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db import connection

from apps.stock.models import Stock

from .models import Reservation, ReservationStatus

# The locks on the path of every reserve, confirm and cancel are plain SQL:
# compiling these ORM queries cost more than running them.

_RESERVATION_COLUMNS = [f.column for f in Reservation._meta.concrete_fields]
_LOCK_RESERVATION = (
    f"SELECT {', '.join(_RESERVATION_COLUMNS)} FROM reservations_reservation "
    "WHERE id = %s FOR UPDATE"
)


def reservation_lock(*, reservation_id: UUID) -> Reservation | None:
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_RESERVATION, [reservation_id])
        row = cursor.fetchone()
    return Reservation.from_db("default", _RESERVATION_COLUMNS, row) if row else None


def reservations_lock_due(*, now: datetime, limit: int) -> list[Reservation]:
    """The sweeper's batch: due pending holds no one else is working on."""
    return list(
        Reservation.objects.filter(status=ReservationStatus.PENDING, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .select_for_update(skip_locked=True, of=("self",))[:limit]
    )


def reservations_try_lock_expired(*, reservation_ids: Iterable[UUID], now: datetime):
    """Expired pending holds among these ids, locked without waiting: whichever
    are busy (being confirmed, or swept) are skipped, never waited on, so taking
    these after stock rows cannot deadlock."""
    return list(
        Reservation.objects.filter(
            pk__in=list(reservation_ids), status=ReservationStatus.PENDING, expires_at__lte=now
        )
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
    )


def stock_lock_for_reserve(*, stock_ids: list[int], now: datetime) -> list[Stock]:
    """The stock rows a reservation draws from, locked in one statement by primary
    key, each marked `has_expired_holds` when a pending hold on it is past due
    (read in the same round trip; released by the caller before deciding)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.id, s.product_id, s.warehouse_id, s.on_hand, s.reserved,
                   EXISTS (SELECT 1 FROM reservations_line l
                            WHERE l.stock_id = s.id AND l.pending AND l.expires_at <= %s)
              FROM stock_stock s WHERE s.id = ANY(%s) ORDER BY s.id FOR UPDATE OF s
            """,
            [now, stock_ids],
        )
        rows = cursor.fetchall()
    locked = []
    for stock_id, product_id, warehouse_id, on_hand, reserved, has_expired_holds in rows:
        stock = Stock(
            id=stock_id,
            product_id=product_id,
            warehouse_id=warehouse_id,
            on_hand=on_hand,
            reserved=reserved,
        )
        stock.has_expired_holds = has_expired_holds
        locked.append(stock)
    return locked


def stock_lock_of_pending_lines(*, reservation_ids: list[UUID]) -> list[int]:
    """Lock, by primary key in one statement, the stock rows that these
    reservations' pending lines hold (the caller holds the reservations)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM stock_stock WHERE id IN (SELECT stock_id FROM reservations_line "
            "WHERE reservation_id = ANY(%s) AND pending) ORDER BY id FOR UPDATE",
            [reservation_ids],
        )
        return [stock_id for (stock_id,) in cursor.fetchall()]
