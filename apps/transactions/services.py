"""Writes to the stock ledger. Called by the services that change stock, inside
their transaction, after the change: the stock instance passed in carries the
after-values."""

from collections.abc import Iterable
from uuid import UUID

from django.utils import timezone

from .models import MovementType, StockMovement


def movement_build(
    *,
    stock,
    type: MovementType,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    actor_id: int | None = None,
    reason: str = "",
    reference: str = "",
    reservation_id: UUID | None = None,
) -> StockMovement:
    movement = StockMovement(
        type=type,
        stock_id=stock.pk,
        product_id=stock.product_id,
        warehouse_id=stock.warehouse_id,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_after=stock.on_hand,
        reserved_after=stock.reserved,
        actor_id=actor_id,
        reason=reason,
        reference=reference,
        reservation_id=reservation_id,
        created_at=timezone.now(),
    )
    # Reuse what the caller already loaded, so rendering the movement costs no query.
    if stock.__class__.warehouse.is_cached(stock):
        movement.warehouse = stock.warehouse
    return movement


def movement_record(**kwargs) -> StockMovement:
    movement = movement_build(**kwargs)
    movement.save(force_insert=True)
    return movement


def movements_record_bulk(movements: Iterable[StockMovement]) -> list[StockMovement]:
    return StockMovement.objects.bulk_create(list(movements))
