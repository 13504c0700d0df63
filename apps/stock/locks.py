"""Row locks of the stock app, holds included. Global order
(docs/architecture.md): reservation, then stock rows by primary key, each
group in one statement. On PostgreSQL the locks on the path of every reserve,
confirm and cancel are statements of the hold store (holds/postgresql.py); the
portable store and everything else take them here."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db.models import Exists, OuterRef

from .holds.rules import expired_holds_q
from .models import Reservation, ReservationLine, ReservationStatus, Stock


def stock_lock_one(*, product_id, warehouse_id) -> Stock | None:
    return (
        Stock.objects.order_by("pk")
        .select_for_update(of=("self",))
        .filter(product_id=product_id, warehouse_id=warehouse_id)
        .first()
    )


def stock_lock_for_product(*, product_id) -> list[Stock]:
    return list(
        Stock.objects.order_by("pk").select_for_update(of=("self",)).filter(product_id=product_id)
    )


def stock_lock_many(*, stock_ids: Iterable[int]) -> list[Stock]:
    return list(
        Stock.objects.order_by("pk").select_for_update(of=("self",)).filter(pk__in=list(stock_ids))
    )


def stock_try_lock_many(*, stock_ids: Iterable[int]) -> list[Stock]:
    """Lock what is free now, skip what is busy: never waits, so it may be taken
    after other locks without risking a deadlock."""
    return list(
        Stock.objects.order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=list(stock_ids))
    )


def reservations_lock_due(*, now: datetime, limit: int) -> list[Reservation]:
    """The sweeper's batch: due pending holds no one else is working on."""
    return list(
        Reservation.objects.filter(expired_holds_q(now), status=ReservationStatus.PENDING)
        .order_by("expires_at", "pk")
        .select_for_update(skip_locked=True, of=("self",))[:limit]
    )


def reservations_try_lock_expired(
    *, reservation_ids: Iterable[UUID], now: datetime
) -> list[Reservation]:
    """Expired pending holds among these ids, locked without waiting: whichever
    are busy (being confirmed, or swept) are skipped, never waited on, so taking
    these after stock rows cannot deadlock."""
    return list(
        Reservation.objects.filter(
            expired_holds_q(now), pk__in=list(reservation_ids), status=ReservationStatus.PENDING
        )
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
    )


def reservation_lock(*, reservation_id: UUID) -> Reservation | None:
    """The reservation, locked (first in the global order)."""
    return Reservation.objects.select_for_update().filter(pk=reservation_id).first()


def stock_lock_for_reserve(*, stock_ids: list[int], now: datetime) -> list[Stock]:
    """A reservation's candidate stock rows, locked by primary key, each marked
    `has_expired_holds` when a pending hold on it has expired."""
    due = ReservationLine.objects.filter(
        expired_holds_q(now), stock_id=OuterRef("pk"), pending=True
    )
    return list(
        Stock.objects.filter(pk__in=stock_ids)
        .annotate(has_expired_holds=Exists(due))
        .order_by("pk")
        .select_for_update(of=("self",))
        .only("product_id", "warehouse_id", "on_hand", "reserved")
    )


def stock_lock_of_pending_lines(*, reservation_ids: list[UUID]) -> dict[int, Stock]:
    """The stock rows these (locked) reservations' pending lines hold, locked by
    primary key."""
    held = ReservationLine.objects.filter(reservation_id__in=reservation_ids, pending=True)
    return {
        row.pk: row
        for row in Stock.objects.filter(pk__in=held.values("stock_id"))
        .order_by("pk")
        .select_for_update(of=("self",))
    }
