"""The rule "on sale", once per language that needs it.

A product is on sale at `now` when it is not deleted, its status is active and
`now` lies inside its sale window (start included, end excluded). Python asks
`not_on_sale_reason` (the reason is what a 409 `product_not_on_sale` names),
ORM filters use `on_sale_q`, and SQL calls `products_on_sale(deleted_at,
status, sale_starts_at, sale_ends_at, now)` (sql/products_on_sale.sql).
apps/products/tests/test_rules.py holds the three equal, case by case.
"""

from datetime import datetime
from typing import NamedTuple, Protocol
from uuid import UUID

from django.db.models import Q

from .models import ProductStatus

ON_SALE_SQL = "products_on_sale"


class SaleState(NamedTuple):
    """What the rule reads of a product (not deleted)."""

    pk: UUID
    status: str
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None


class _OnSaleFields(Protocol):
    status: str
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None


def not_on_sale_reason(product: _OnSaleFields, now: datetime) -> str | None:
    """None when the product (not deleted) is on sale at `now`; else why not."""
    if product.status != ProductStatus.ACTIVE:
        return f"status is {product.status}"
    if product.sale_starts_at and now < product.sale_starts_at:
        return "sale has not started"
    if product.sale_ends_at and now >= product.sale_ends_at:
        return "sale has ended"
    return None


def on_sale_q(now: datetime) -> Q:
    """Products on sale at `now`: not deleted, active, inside their sale window."""
    return (
        Q(deleted_at__isnull=True, status=ProductStatus.ACTIVE)
        & (Q(sale_starts_at__isnull=True) | Q(sale_starts_at__lte=now))
        & (Q(sale_ends_at__isnull=True) | Q(sale_ends_at__gt=now))
    )
