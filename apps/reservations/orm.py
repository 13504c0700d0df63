"""The reservation path through the ORM: the same functions and results as
apps/reservations/sql.py, on any database Django supports.

The embedded default of `make run` (SQLite) runs this one; there the row locks of
locks.py are no-ops and the IMMEDIATE transactions of the SQLite settings serialize
writers instead. The test suite runs the reservation tests through both, on
PostgreSQL, so the two cannot drift apart.
"""

from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, transaction

from apps.products.models import Product
from apps.products.selectors import on_sale_q, products_for_sale
from apps.stock.models import Stock
from apps.stock.selectors import StockCandidate, stock_candidates
from apps.transactions.models import StockMovement

from .errors import DuplicateOrderId
from .locks import (  # the store's lock functions: the names sql.py also has
    reservation_lock,
    stock_lock_for_reserve,
    stock_lock_of_pending_lines,
)
from .models import Reservation, ReservationLine, ReservationStatus

__all__ = [
    "end_pending",
    "release",
    "reservation_lock",
    "reserve",
    "resolve",
    "stock_lock_for_reserve",
    "stock_lock_of_pending_lines",
]


def resolve(*, product_ids: set[UUID], now: datetime) -> list[StockCandidate]:
    products_for_sale(product_ids=product_ids, now=now)
    return stock_candidates(product_ids=product_ids)


def _reservation_read(*, reservation_id: UUID) -> Reservation | None:
    return Reservation.objects.filter(pk=reservation_id).first()


def reserve(
    *,
    reservation: Reservation,
    allocation: list[tuple[StockCandidate | Stock, int]],
    product_ids: set[UUID],
    now: datetime,
    checked: bool = False,
) -> int:
    with transaction.atomic():
        locked = {
            row.pk: row
            for row in stock_lock_for_reserve(stock_ids=[row.pk for row, _ in allocation], now=now)
        }
        # Re-read under the stock locks: a product taken off sale meanwhile is refused.
        on_sale = Product.objects.filter(on_sale_q(now), pk__in=product_ids).count()
        if on_sale != len(product_ids):
            return 0
        if checked and any(
            locked[row.pk].has_expired_holds
            or locked[row.pk].on_hand - locked[row.pk].reserved < quantity
            for row, quantity in allocation
        ):
            return -1
        try:
            with transaction.atomic():  # a savepoint: the duplicate is the caller's 409
                reservation.save(force_insert=True)
        except IntegrityError as exc:
            raise DuplicateOrderId(details={"order_id": reservation.order_id}) from exc
        lines, movements = [], []
        for pk, quantity in sorted((row.pk, quantity) for row, quantity in allocation):
            row = locked[pk]
            reserved = row.reserved + quantity
            Stock.objects.filter(pk=pk).update(reserved=reserved, updated_at=now)
            lines.append(
                ReservationLine(
                    reservation_id=reservation.pk,
                    stock_id=pk,
                    product_id=row.product_id,
                    warehouse_id=row.warehouse_id,
                    quantity=quantity,
                    pending=True,
                    expires_at=reservation.expires_at,
                )
            )
            movements.append(
                StockMovement(
                    type="reserve",
                    stock_id=pk,
                    product_id=row.product_id,
                    warehouse_id=row.warehouse_id,
                    on_hand_delta=0,
                    reserved_delta=quantity,
                    on_hand_after=row.on_hand,
                    reserved_after=reserved,
                    reservation_id=reservation.pk,
                    actor_id=reservation.user_id,
                    created_at=now,
                )
            )
        ReservationLine.objects.bulk_create(lines)
        StockMovement.objects.bulk_create(movements)
    return len(allocation)


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
    seen = _reservation_read(reservation_id=reservation_id)
    if (
        seen is None
        or not (any_user or seen.user_id == user_id)
        or seen.status != ReservationStatus.PENDING
        or seen.expires_at <= now
    ):
        return seen, []
    with transaction.atomic():
        locked = reservation_lock(reservation_id=reservation_id)
        if not (
            locked
            and locked.status == ReservationStatus.PENDING
            and locked.expires_at == seen.expires_at
        ):
            return seen, []
        return seen, release(
            reservation_ids=[reservation_id],
            status=status,
            movement_type=movement_type,
            now=now,
            ship=ship,
        )


@transaction.atomic
def release(
    *, reservation_ids: list[UUID], status: str, movement_type: str, now: datetime, ship: bool
) -> list[tuple]:
    stock_lock_of_pending_lines(reservation_ids=reservation_ids)
    lines = list(
        ReservationLine.objects.filter(reservation_id__in=reservation_ids, pending=True)
        .select_related("warehouse")
        .order_by("pk")
    )
    ReservationLine.objects.filter(pk__in=[line.pk for line in lines]).update(pending=False)
    rows = Stock.objects.in_bulk({line.stock_id for line in lines})
    movements = []
    for line in sorted(lines, key=lambda line: (line.stock_id, line.pk)):
        row = rows[line.stock_id]
        row.reserved -= line.quantity
        if ship:
            row.on_hand -= line.quantity
        movements.append(
            StockMovement(
                type=movement_type,
                stock_id=row.pk,
                product_id=line.product_id,
                warehouse_id=line.warehouse_id,
                on_hand_delta=-line.quantity if ship else 0,
                reserved_delta=-line.quantity,
                on_hand_after=row.on_hand,
                reserved_after=row.reserved,
                reservation_id=line.reservation_id,
                created_at=now,
            )
        )
    for row in rows.values():
        Stock.objects.filter(pk=row.pk).update(
            reserved=row.reserved, on_hand=row.on_hand, updated_at=now
        )
    Reservation.objects.filter(pk__in=reservation_ids).update(
        status=status,
        updated_at=now,
        **{f"{status}_at": now},  # confirmed_at, ...
    )
    StockMovement.objects.bulk_create(movements)
    return [
        (
            line.reservation_id,
            line.stock_id,
            line.product_id,
            line.warehouse_id,
            line.warehouse.code,
            line.quantity,
        )
        for line in lines
    ]
