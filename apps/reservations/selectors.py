from uuid import UUID

from django.db.models import Prefetch, QuerySet

from apps.core.errors import NotFound
from apps.core.roles import Role
from apps.stock.models import Reservation, ReservationLine


def _with_lines(queryset: QuerySet[Reservation]) -> QuerySet[Reservation]:
    return queryset.prefetch_related(
        Prefetch(
            "lines", queryset=ReservationLine.objects.select_related("warehouse").order_by("pk")
        )
    )


def reservation_list(*, user) -> QuerySet[Reservation]:
    """A customer's own reservations; staff see everyone's. Filtered
    (apps/reservations/filters.py), ordered and paginated by the caller."""
    queryset = Reservation.objects.all()
    if not user.has_role(Role.STAFF):
        queryset = queryset.filter(user_id=user.pk)
    return _with_lines(queryset)


def reservation_get(*, reservation_id: UUID, user) -> Reservation:
    """404 for another user's reservation, exactly as for one that does not exist."""
    reservation = reservation_list(user=user).filter(pk=reservation_id).first()
    if reservation is None:
        raise NotFound("Reservation not found.")
    return reservation


def reservation_get_any(*, reservation_id: UUID) -> Reservation:
    """Whoever's it is (the caller has decided it may be seen)."""
    return _with_lines(Reservation.objects.filter(pk=reservation_id)).get()
