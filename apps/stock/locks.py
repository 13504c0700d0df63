"""Row locks of the stock app. Lock order (README): reservation, then stock rows
by primary key, in one statement."""

from collections.abc import Iterable

from .models import Stock


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
