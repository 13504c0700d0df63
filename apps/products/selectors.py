from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.core.errors import NotFound

from .errors import ProductNotOnSale
from .models import Product, Warehouse
from .rules import not_on_sale_reason

SEARCH_CONFIG = "english"


def product_queryset() -> QuerySet[Product]:
    """The catalog: every product not deleted."""
    return Product.objects.filter(deleted_at__isnull=True)


def product_list(
    *,
    q: str | None = None,
    status: str | None = None,
    min_price=None,
    max_price=None,
    sku: str | None = None,
) -> QuerySet[Product]:
    """The catalog, filtered; ordered and paginated by the caller."""
    queryset = product_queryset()
    if q and q.strip():
        queryset = product_search(queryset=queryset, text=q.strip())
    if status:
        queryset = queryset.filter(status=status)
    if min_price is not None:
        queryset = queryset.filter(price__gte=min_price)
    if max_price is not None:
        queryset = queryset.filter(price__lte=max_price)
    if sku:
        queryset = queryset.filter(sku=sku)
    return queryset


def product_get(*, product_id: UUID) -> Product:
    product = product_queryset().filter(pk=product_id).first()
    if product is None:
        raise NotFound("Product not found.", details={"product_id": str(product_id)})
    return product


def product_search(*, queryset: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Full-text match over name and description. On PostgreSQL: the generated
    `search_vector` column and its GIN index, with web-search syntax ("red chair",
    -wooden, "exact phrase"); on the embedded SQLite: a substring match."""
    if connection.vendor == "postgresql":
        return queryset.filter(
            RawSQL(
                f"products_product.search_vector @@ websearch_to_tsquery('{SEARCH_CONFIG}', %s)",
                (text,),
                output_field=BooleanField(),
            )
        )
    return queryset.filter(Q(name__icontains=text) | Q(description__icontains=text))


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.all()


def warehouse_get(*, warehouse_id: int) -> Warehouse:
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if warehouse is None:
        raise NotFound("Warehouse not found.")
    return warehouse


def warehouse_get_by_code(*, code: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(code=code.strip().upper()).first()
    if warehouse is None:
        raise NotFound("Warehouse not found.", details={"warehouse": code})
    return warehouse


def products_for_sale(*, product_ids: set[UUID], now: datetime | None = None) -> list[Product]:
    """The products, if every one exists (else 404) and is on sale now: active and
    inside its sale window (else 409 `product_not_on_sale`, naming each)."""
    found = Product.objects.filter(pk__in=product_ids, deleted_at__isnull=True).only(
        "status", "sale_starts_at", "sale_ends_at"
    )
    return require_on_sale(found=found, product_ids=product_ids, now=now or timezone.now())


def require_on_sale(*, found: Iterable, product_ids: set[UUID], now: datetime) -> list:
    """`found` (the products of `product_ids` not deleted: anything with their
    pk, status and sale window) if they are all there and on sale; else 404 or
    409, naming each."""
    by_id = {product.pk: product for product in found}
    missing = sorted(str(pid) for pid in product_ids if pid not in by_id)
    if missing:
        raise NotFound("Product not found.", details={"product_ids": missing})
    not_on_sale = [
        {"product_id": str(product.pk), "reason": reason}
        for product in by_id.values()
        if (reason := not_on_sale_reason(product, now)) is not None
    ]
    if not_on_sale:
        raise ProductNotOnSale(details=sorted(not_on_sale, key=lambda d: d["product_id"]))
    return list(by_id.values())


def warehouses_by_code(*, codes: set[str]) -> dict[str, Warehouse]:
    if not codes:
        return {}
    found = {w.code: w for w in Warehouse.objects.filter(code__in=codes)}
    missing = sorted(codes - set(found))
    if missing:
        raise NotFound("Warehouse not found.", details={"warehouses": missing})
    return found
