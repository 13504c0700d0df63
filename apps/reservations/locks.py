"""Row-lock querysets of the reservations app (portable ORM). Global order:
reservation, then stock rows by primary key (apps/stock/locks.py). On
PostgreSQL the locks on the path of every reserve, confirm and cancel are plain
SQL statements of the store, apps/reservations/sql.py; the ORM store (orm.py)
uses the ones here."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db.models import Exists, OuterRef

from apps.stock.models import Stock

from .models import Reservation, ReservationLine, ReservationStatus


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


def reservation_lock(*, reservation_id: UUID) -> Reservation | None:
    """The reservation, locked (first in the global order)."""
    return Reservation.objects.select_for_update().filter(pk=reservation_id).first()


def stock_lock_for_reserve(*, stock_ids: list[int], now: datetime) -> list[Stock]:
    """A reservation's candidate stock rows, locked by primary key, each marked
    `has_expired_holds` when a pending hold on it is past due."""
    due = ReservationLine.objects.filter(stock_id=OuterRef("pk"), pending=True, expires_at__lte=now)
    return list(
        Stock.objects.filter(pk__in=stock_ids)
        .annotate(has_expired_holds=Exists(due))
        .order_by("pk")
        .select_for_update(of=("self",))
        .only("product_id", "warehouse_id", "on_hand", "reserved")
    )


def stock_lock_of_pending_lines(*, reservation_ids: list[UUID]) -> list[int]:
    """The stock rows these (locked) reservations' pending lines hold, locked by
    primary key."""
    held = ReservationLine.objects.filter(reservation_id__in=reservation_ids, pending=True)
    return list(
        Stock.objects.filter(pk__in=held.values("stock_id"))
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )
