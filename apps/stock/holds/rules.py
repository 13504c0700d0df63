"""The rule of a hold's expiry, once per language that needs it.

A pending hold whose `expires_at` is at or before `now` has expired: it holds
nothing any more, whether or not the sweeper has run (docs/architecture.md,
"Expiry"). Python asks `hold_expired`, ORM filters use `expired_holds_q`, and
SQL calls `reservations_hold_expired(expires_at, now)` (sql/reservations_hold_expired.sql),
a one-line SQL function PostgreSQL inlines, so the partial index of pending
lines by (stock, expires_at) still serves it. apps/stock/tests/test_rules.py
holds the three equal, case by case.
"""

from datetime import datetime

from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from ..models import ReservationStatus

HOLD_EXPIRED_SQL = "reservations_hold_expired"


def hold_expired(expires_at: datetime, now: datetime) -> bool:
    return expires_at <= now


def expired_holds_q(now: datetime, *, field: str = "expires_at") -> Q:
    """Rows (reservations or their lines) whose hold has expired at `now`."""
    return Q(**{f"{field}__lte": now})


# What a reservation's status reads as at `now`: a pending hold past its expiry
# is expired the moment it is due, in every read, before the sweeper records it
# (the sweeper only tidies up: it gives the units back in the counters and
# writes the ledger's `expire` movement).
PENDING, EXPIRED = ReservationStatus.PENDING, ReservationStatus.EXPIRED


def hold_status(status: str, expires_at: datetime, now: datetime) -> str:
    return EXPIRED if status == PENDING and hold_expired(expires_at, now) else status


def hold_status_q(status: str, now: datetime) -> Q:
    """Reservations whose status reads as `status` at `now` (hold_status in a query)."""
    if status == PENDING:
        return Q(status=PENDING) & ~expired_holds_q(now)
    if status == EXPIRED:
        return Q(status=EXPIRED) | (Q(status=PENDING) & expired_holds_q(now))
    return Q(status=status)


# The units of a stock row `s` still counted in its `reserved` by pending lines
# past their expiry, in SQL with the time as %(now)s. A row with nothing
# reserved has no pending line (the audit's invariant), so its lines are not
# looked up; SUM of bigint is numeric, cast back so that the API's integers are
# not rendered as decimals.
EXPIRED_HOLD_QUANTITY_SQL = f"""CASE WHEN s.reserved = 0 THEN 0 ELSE COALESCE((
  SELECT SUM(l.quantity) FROM reservations_line l
   WHERE l.stock_id = s.id AND l.pending AND {HOLD_EXPIRED_SQL}(l.expires_at, %(now)s)), 0)::bigint
  END"""


def expired_hold_quantity(*, now: datetime):
    """EXPIRED_HOLD_QUANTITY_SQL as an annotation of Stock rows."""
    from ..models import ReservationLine

    held = (
        ReservationLine.objects.filter(expired_holds_q(now), stock_id=OuterRef("pk"), pending=True)
        .order_by()
        .values("stock_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Case(
        When(reserved=0, then=Value(0)),
        default=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)),
        output_field=IntegerField(),
    )
