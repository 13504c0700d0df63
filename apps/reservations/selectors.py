from uuid import UUID

from django.db.models import Prefetch, QuerySet

from apps.core.exceptions import NotFound
from apps.core.roles import Role

from .models import Reservation, ReservationLine


def _with_lines(queryset: QuerySet[Reservation]) -> QuerySet[Reservation]:
    return queryset.prefetch_related(
        Prefetch(
            "lines", queryset=ReservationLine.objects.select_related("warehouse").order_by("pk")
        )
    )


def reservation_list(*, user, status: str | None = None) -> QuerySet[Reservation]:
    """A customer's own reservations; staff see everyone's."""
    queryset = Reservation.objects.all()
    if not user.has_role(Role.STAFF):
        queryset = queryset.filter(user_id=user.pk)
    if status:
        queryset = queryset.filter(status=status)
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


# The same for plain SQL over `stock_stock s`, with the time as parameter %(now)s.
# A row with nothing reserved has no pending line (the audit's invariant), so
# its lines are not looked up; SUM of bigint is numeric, cast back so that the
# API's integers are not rendered as decimals.
EXPIRED_HOLD_QUANTITY_SQL = """CASE WHEN s.reserved = 0 THEN 0 ELSE COALESCE((
  SELECT SUM(l.quantity) FROM reservations_line l
   WHERE l.stock_id = s.id AND l.pending AND l.expires_at <= %(now)s), 0)::bigint END"""


def expired_hold_quantity(*, now=None):
    """For annotating Stock rows: units still counted in `reserved` by pending holds
    past their expiry, which therefore hold nothing any more (API.md: expiry is
    decided by expires_at, whether or not the sweeper has run). Served by the
    partial index on pending lines by (stock, expires_at)."""
    from django.db.models import Case, IntegerField, OuterRef, Subquery, Sum, Value, When
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    held = (
        ReservationLine.objects.filter(
            stock_id=OuterRef("pk"), pending=True, expires_at__lte=now or timezone.now()
        )
        .order_by()
        .values("stock_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    # As EXPIRED_HOLD_QUANTITY_SQL: a row with nothing reserved has no pending line.
    return Case(
        When(reserved=0, then=Value(0)),
        default=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)),
        output_field=IntegerField(),
    )
