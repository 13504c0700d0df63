"""Stock for tests, made through the services so the ledger always matches."""

from apps.stock.models import Stock
from apps.stock.services import stock_inbound
from apps.transactions.models import MovementType
from apps.transactions.services import movement_record


def stock_of(product, warehouse, on_hand: int) -> Stock:
    return stock_inbound(
        product_id=product.pk, warehouse_code=warehouse.code, quantity=on_hand, actor_id=None
    ).stock


def hold(stock: Stock, quantity: int) -> Stock:
    """Reserve units the way a reservation does (counter and ledger together), for
    tests of stock behaviour under holds."""
    Stock.objects.filter(pk=stock.pk).update(reserved=stock.reserved + quantity)
    stock.refresh_from_db()
    movement_record(stock=stock, type=MovementType.RESERVE, reserved_delta=quantity)
    return stock
