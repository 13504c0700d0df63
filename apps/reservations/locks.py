"""Row locks of the reservations app. Global order: reservation, then stock rows
by primary key (apps/stock/locks.py)."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db.models import Exists, OuterRef

from apps.stock.models import Stock

from .models import Reservation, ReservationLine, ReservationStatus


def reservation_lock(*, reservation_id: UUID) -> Reservation | None:
    return (
        Reservation.objects.order_by("pk")
        .select_for_update(of=("self",))
        .filter(pk=reservation_id)
        .first()
    )


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


def stock_lock_for_reserve(*, stock_ids: Iterable[int], now: datetime) -> list[Stock]:
    """The stock rows a reservation draws from, locked in one statement by primary
    key, each marked `has_expired_holds` when a pending hold on it is past due
    (read in the same round trip; released by the caller before deciding)."""
    return list(
        Stock.objects.order_by("pk")
        .select_for_update(of=("self",))
        .filter(pk__in=list(stock_ids))
        .only("id", "product_id", "warehouse_id", "on_hand", "reserved")
        .annotate(
            has_expired_holds=Exists(
                ReservationLine.objects.filter(
                    stock_id=OuterRef("pk"), pending=True, expires_at__lte=now
                )
            )
        )
    )


def stock_lock_of_pending_lines(*, reservation_ids: list[UUID]) -> list[int]:
    """Lock, by primary key in one statement, the stock rows that these
    reservations' pending lines hold (the caller holds the reservations)."""
    return list(
        Stock.objects.order_by("pk")
        .select_for_update(of=("self",))
        .filter(
            pk__in=ReservationLine.objects.filter(
                reservation_id__in=reservation_ids, pending=True
            ).values("stock_id")
        )
        .values_list("pk", flat=True)
    )
