"""Row locks of the sweeper and of inline expiry (portable ORM). Global order:
reservation, then stock rows by primary key (apps/stock/locks.py). The locks on
the path of every reserve, confirm and cancel are in the stores (sql.py, orm.py)."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from .models import Reservation, ReservationStatus


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
