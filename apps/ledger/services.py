"""Writes to the stock ledger. Called by the services that change stock, inside
their transaction, after the change.

The rule of the after-values, in Python: a movement records its row's counters
once its deltas are applied, so the `stock` passed in already carries them
(the audit checks that they are the running sums of the deltas). Its SQL twin is
in the hold functions, apps/stock/holds/sql/: the row as updated (a take), or
counted back from it by the row's later lines (a release)."""

from collections.abc import Iterable
from datetime import datetime
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
    now: datetime | None = None,
) -> StockMovement:
    """The movement of a change of `stock` (anything with a stock row's pk,
    product_id, warehouse_id and its counters after the change)."""
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
        created_at=now or timezone.now(),
    )
    # Reuse what the caller already loaded, so rendering the movement costs no query.
    warehouse = getattr(stock.__class__, "warehouse", None)  # a model's descriptor
    if warehouse is not None and warehouse.is_cached(stock):
        movement.warehouse = stock.warehouse
    return movement


def movement_record(**kwargs) -> StockMovement:
    movement = movement_build(**kwargs)
    movement.save(force_insert=True)
    return movement


def movements_record_bulk(*, movements: Iterable[StockMovement]) -> list[StockMovement]:
    return StockMovement.objects.bulk_create(list(movements))
