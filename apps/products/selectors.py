from datetime import datetime
from uuid import UUID

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.core.exceptions import Conflict, NotFound

from .models import Product, ProductStatus, Warehouse

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
        queryset = product_search(queryset, text=q.strip())
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


def product_search(queryset: QuerySet[Product], *, text: str) -> QuerySet[Product]:
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


class ProductNotOnSale(Conflict):
    code = "product_not_on_sale"
    default_message = "A product is not on sale."


def products_for_sale(*, product_ids: set[UUID], now: datetime | None = None) -> list[Product]:
    """The products, if every one exists (else 404) and is on sale now: active and
    inside its sale window (else 409 `product_not_on_sale`, naming each)."""
    now = now or timezone.now()
    # Only what the decision reads, in plain SQL: this is on the path of every
    # reservation, where compiling the ORM query cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status, sale_starts_at, sale_ends_at FROM products_product "
            "WHERE id = ANY(%s) AND deleted_at IS NULL",
            [list(product_ids)],
        )
        found = {
            row[0]: Product(id=row[0], status=row[1], sale_starts_at=row[2], sale_ends_at=row[3])
            for row in cursor.fetchall()
        }
    missing = sorted(str(pid) for pid in product_ids if pid not in found)
    if missing:
        raise NotFound("Product not found.", details={"product_ids": missing})
    not_on_sale = []
    for product in found.values():
        reason = None
        if product.status != ProductStatus.ACTIVE:
            reason = f"status is {product.status}"
        elif product.sale_starts_at and now < product.sale_starts_at:
            reason = "sale has not started"
        elif product.sale_ends_at and now >= product.sale_ends_at:
            reason = "sale has ended"
        if reason:
            not_on_sale.append({"product_id": str(product.pk), "reason": reason})
    if not_on_sale:
        raise ProductNotOnSale(details=sorted(not_on_sale, key=lambda d: d["product_id"]))
    return list(found.values())


def warehouses_by_code(*, codes: set[str]) -> dict[str, Warehouse]:
    found = {w.code: w for w in Warehouse.objects.filter(code__in=codes)}
    missing = sorted(codes - set(found))
    if missing:
        raise NotFound("Warehouse not found.", details={"warehouses": missing})
    return found
