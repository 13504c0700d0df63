from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.db import violated_constraint
from apps.core.errors import ValidationFailed

from .models import Product, Warehouse

# The unique constraints, as PostgreSQL and SQLite name them.
SKU_UNIQUE = ("product_sku_unique", "products_product.sku")
CODE_UNIQUE = ("warehouse_code_unique", "products_warehouse.code")


@dataclass(frozen=True)
class ProductData:
    sku: str
    name: str
    price: Decimal
    description: str = ""
    status: str = "active"
    sale_starts_at: datetime | None = None
    sale_ends_at: datetime | None = None


def _check_sale_window(starts: datetime | None, ends: datetime | None) -> None:
    if starts and ends and ends <= starts:
        raise ValidationFailed(details={"sale_ends_at": ["Must be after sale_starts_at."]})


@contextmanager
def _unique_sku():
    """A write in its own savepoint; a clash on the sku becomes a 400 on `sku`."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if violated_constraint(exc) in SKU_UNIQUE:
            raise ValidationFailed(
                details={"sku": ["A product with this sku already exists."]}
            ) from exc
        raise


def _code_taken(exc: IntegrityError) -> None:
    """A clash on the warehouse code is a 400 on `code`; anything else is raised."""
    if violated_constraint(exc) in CODE_UNIQUE:
        raise ValidationFailed(
            details={"code": ["A warehouse with this code already exists."]}
        ) from exc
    raise exc


def product_create(*, data: ProductData) -> Product:
    _check_sale_window(data.sale_starts_at, data.sale_ends_at)
    with _unique_sku():
        return Product.objects.create(**data.__dict__)


def product_update(*, product: Product, changes: dict[str, Any]) -> Product:
    starts = changes.get("sale_starts_at", product.sale_starts_at)
    ends = changes.get("sale_ends_at", product.sale_ends_at)
    _check_sale_window(starts, ends)
    for field, value in changes.items():
        setattr(product, field, value)
    product.updated_at = timezone.now()
    with _unique_sku():
        product.save(update_fields=[*changes, "updated_at"])
    return product


def product_hide(*, product_id: UUID, now: datetime) -> None:
    """Take a product out of the catalog. The row is kept, hidden (`deleted_at`):
    the ledger and past reservations keep pointing at it, and a write racing the
    delete (a first inbound, say) can never be left referring to a row that is
    gone. Whether it may go is the stock app's decision (`product_delete` there:
    not while units of it are held)."""
    Product.objects.filter(pk=product_id).update(
        deleted_at=now, status="discontinued", updated_at=now
    )


def warehouse_create(*, code: str, name: str, priority: int, is_active: bool) -> Warehouse:
    try:
        with transaction.atomic():
            return Warehouse.objects.create(
                code=code.strip().upper(), name=name, priority=priority, is_active=is_active
            )
    except IntegrityError as exc:
        _code_taken(exc)


def warehouse_update(*, warehouse: Warehouse, changes: dict[str, Any]) -> Warehouse:
    if "code" in changes:
        changes["code"] = changes["code"].strip().upper()
    for field, value in changes.items():
        setattr(warehouse, field, value)
    warehouse.updated_at = timezone.now()
    try:
        with transaction.atomic():
            warehouse.save(update_fields=[*changes, "updated_at"])
    except IntegrityError as exc:
        _code_taken(exc)
    return warehouse
