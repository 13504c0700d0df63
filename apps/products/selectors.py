from uuid import UUID

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from apps.core.exceptions import NotFound

from .models import Product, Warehouse

SEARCH_CONFIG = "english"


def product_queryset() -> QuerySet[Product]:
    """The catalog: every product not deleted."""
    return Product.objects.filter(deleted_at__isnull=True)


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
