"""Many holds at once for the sweeper's benchmark and its test, written in bulk but
exactly as the service would leave them: stock counter, lines and ledger agree."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.ledger.models import MovementType, StockMovement
from apps.stock.models import Reservation, ReservationLine, Stock
from apps.stock.services import stock_inbound


@transaction.atomic
def due_holds(
    product,
    warehouse,
    *,
    count: int,
    user,
    overdue: timedelta = timedelta(seconds=1),
    order_prefix: str = "bulk",
):
    """`count` more pending 1-unit holds of `user` on one stock row, after an
    inbound of `count` units, all due."""
    stock = stock_inbound(
        product_id=product.pk, warehouse_code=warehouse.code, quantity=count, actor_id=None
    ).stock
    held_before = stock.reserved
    now = timezone.now()
    due = now - overdue
    reservations = Reservation.objects.bulk_create(
        [
            Reservation(user=user, order_id=f"{order_prefix}-{i}", expires_at=due, created_at=now)
            for i in range(count)
        ],
        batch_size=2000,
    )
    ReservationLine.objects.bulk_create(
        [
            ReservationLine(
                reservation=r,
                stock_id=stock.pk,
                product_id=product.pk,
                warehouse_id=warehouse.pk,
                quantity=1,
                unit_price=product.price,
                expires_at=due,
            )
            for r in reservations
        ],
        batch_size=2000,
    )
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                type=MovementType.RESERVE,
                stock_id=stock.pk,
                product_id=product.pk,
                warehouse_id=warehouse.pk,
                on_hand_delta=0,
                reserved_delta=1,
                on_hand_after=stock.on_hand,
                reserved_after=held_before + i + 1,
                reservation_id=r.pk,
                created_at=now,
            )
            for i, r in enumerate(reservations)
        ],
        batch_size=2000,
    )
    Stock.objects.filter(pk=stock.pk).update(reserved=held_before + count)
    stock.refresh_from_db()
    return stock
