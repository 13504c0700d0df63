"""Stock for tests, made through the services so the ledger always matches."""

from apps.stock.models import Stock
from apps.stock.services import stock_inbound


def stock_of(product, warehouse, on_hand: int) -> Stock:
    return stock_inbound(
        product_id=product.pk, warehouse_code=warehouse.code, quantity=on_hand, actor_id=None
    ).stock


def hold(stock: Stock, quantity: int) -> Stock:
    """Hold units of this stock row with a real reservation (counter, lines and
    ledger together), for tests of stock behaviour under holds."""
    from apps.reservations.tests.helpers import reserve

    reserve(stock.product, quantity, warehouse=stock.warehouse)
    stock.refresh_from_db()
    return stock


def counters(stock: Stock) -> tuple[int, int]:
    """(on_hand, reserved) of this stock row as stored now."""
    return tuple(Stock.objects.filter(pk=stock.pk).values_list("on_hand", "reserved").get())


INBOUND, ADJUST, STOCK, MOVEMENTS, BULK = (
    "/api/v1/stock/inbound/",
    "/api/v1/stock/adjust/",
    "/api/v1/stock/",
    "/api/v1/stock/movements/",
    "/api/v1/stock/availability/",
)
