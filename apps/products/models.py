from django.db import models
from django.db.models import Q

from apps.core.ids import uuid7
from apps.core.models import TimeStampedModel


class ProductStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DISCONTINUED = "discontinued", "Discontinued"


class Product(TimeStampedModel):
    """A sellable item. On PostgreSQL the table also has `search_vector`, a
    generated tsvector over name (weight A) and description (weight B) with a GIN
    index, kept by the database itself (migration 0002); the ORM never writes it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # Unique through a constraint, not unique=True: the latter also builds a
    # varchar_pattern_ops index for LIKE, which nothing here needs.
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(
        max_length=16, choices=ProductStatus.choices, default=ProductStatus.ACTIVE
    )
    sale_starts_at = models.DateTimeField(null=True, blank=True)
    sale_ends_at = models.DateTimeField(null=True, blank=True)
    # Set when a product with stock history is deleted: the ledger keeps pointing
    # at it, the catalog no longer shows it.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "products_product"
        indexes = [
            # Keyset pagination: one (field, id) index per ordering.
            models.Index(fields=["created_at", "id"], name="product_created_id_idx"),
            models.Index(fields=["price", "id"], name="product_price_id_idx"),
            models.Index(fields=["name", "id"], name="product_name_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["sku"], name="product_sku_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_non_negative"),
            models.CheckConstraint(
                condition=Q(status__in=ProductStatus.values), name="product_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(sale_starts_at__isnull=True)
                | Q(sale_ends_at__isnull=True)
                | Q(sale_ends_at__gt=models.F("sale_starts_at")),
                name="product_sale_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Warehouse(TimeStampedModel):
    code = models.CharField(max_length=32, help_text='e.g. "SEL-1"')
    name = models.CharField(max_length=200)
    priority = models.IntegerField(default=100, help_text="Lower reserves first.")
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "products_warehouse"
        ordering = ["priority", "id"]
        constraints = [models.UniqueConstraint(fields=["code"], name="warehouse_code_unique")]

    def __str__(self) -> str:
        return self.code
