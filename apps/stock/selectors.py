from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.errors import NotFound
from apps.products.selectors import product_queryset

from .holds.rules import expired_hold_quantity
from .holds.store import StockCandidate
from .models import Stock


@dataclass
class WarehouseAvailability:
    code: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass
class ProductAvailability:
    product_id: UUID
    warehouses: list[WarehouseAvailability] = field(default_factory=list)

    @property
    def on_hand(self) -> int:
        return sum(w.on_hand for w in self.warehouses)

    @property
    def reserved(self) -> int:
        return sum(w.reserved for w in self.warehouses)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def _availability_rows(product_ids: list[UUID]) -> dict[UUID, ProductAvailability]:
    """One query: the stock of active warehouses, in reservation priority order.
    `reserved` leaves out holds already past their expiry, swept or not."""
    result = {pid: ProductAvailability(product_id=pid) for pid in product_ids}
    rows = (
        Stock.objects.filter(product_id__in=product_ids, warehouse__is_active=True)
        .annotate(expired=expired_hold_quantity(now=timezone.now()))
        .order_by("warehouse__priority", "warehouse_id")
        .values_list("product_id", "warehouse__code", "on_hand", "reserved", "expired")
    )
    for product_id, code, on_hand, reserved, expired in rows:
        result[product_id].warehouses.append(
            WarehouseAvailability(code=code, on_hand=on_hand, reserved=reserved - expired)
        )
    return result


def _availability(product_ids: list[UUID]) -> dict[UUID, ProductAvailability]:
    """The availability of those of `product_ids` that are in the catalog. (The
    API renders it in one step on PostgreSQL: apps/stock/availability.py.)"""
    known = product_queryset().filter(pk__in=product_ids).values_list("pk", flat=True)
    return _availability_rows(list(known))


def availability_get(*, product_id: UUID) -> ProductAvailability:
    """What can be sold of one product: totals and per active warehouse. 404 if
    the product is not in the catalog."""
    found = _availability([product_id])
    if product_id not in found:
        raise NotFound("Product not found.", details={"product_id": str(product_id)})
    return found[product_id]


def availability_bulk(
    *, product_ids: Iterable[UUID]
) -> tuple[list[ProductAvailability], list[UUID]]:
    """Availability of many products, in the order asked; also the ids that are
    not in the catalog."""
    wanted = list(dict.fromkeys(product_ids))
    found = _availability(wanted)
    return [found[pid] for pid in wanted if pid in found], [
        pid for pid in wanted if pid not in found
    ]


def stock_list() -> QuerySet[Stock]:
    """Every stock row, with its warehouse; filtered (apps/stock/filters.py),
    ordered and paginated by the caller."""
    return Stock.objects.select_related("warehouse")


def stock_get(*, stock_id: int) -> Stock:
    stock = Stock.objects.select_related("warehouse").filter(pk=stock_id).first()
    if stock is None:
        raise NotFound("Stock row not found.")
    return stock


def stock_candidates(*, product_ids: set[UUID]) -> list[StockCandidate]:
    """The stock rows a reservation may draw from: the products' rows in active
    warehouses, by reservation priority, read without locks."""
    rows = (
        Stock.objects.filter(product_id__in=product_ids, warehouse__is_active=True)
        .order_by("warehouse__priority", "warehouse_id")
        .values_list(
            "pk",
            "product_id",
            "warehouse_id",
            "warehouse__priority",
            "warehouse__code",
            "on_hand",
            "reserved",
            "product__price",
        )
    )
    return [StockCandidate(*values) for values in rows]
