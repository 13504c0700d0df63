from django.db import models
from django.db.models import F, Q

from apps.core.models import TimeStampedModel


class Stock(TimeStampedModel):
    """Units of one product in one warehouse. `on_hand` is physical; `reserved` is
    held by pending reservations; available = on_hand - reserved. Both move only
    inside the database, under a row lock or in one atomic statement, and every
    change writes a StockMovement in the same transaction."""

    # No single-column FK indexes: unique (product, warehouse) and (warehouse, id)
    # lead with these columns and serve every lookup.
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    warehouse = models.ForeignKey(
        "products.Warehouse", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    on_hand = models.BigIntegerField(default=0)
    reserved = models.BigIntegerField(default=0)
    min_stock_level = models.IntegerField(default=0, help_text="Safety stock.")
    reorder_point = models.IntegerField(
        default=0, help_text="Low stock when available falls to this level or below."
    )

    class Meta:
        db_table = "stock_stock"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="stock_product_warehouse"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
            models.CheckConstraint(
                condition=Q(min_stock_level__gte=0) & Q(reorder_point__gte=0),
                name="stock_levels_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["warehouse", "id"], name="stock_warehouse_id_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def low_stock(self) -> bool:
        return self.available <= self.reorder_point
