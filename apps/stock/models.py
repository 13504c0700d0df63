from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.core.ids import uuid7
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


# Stock.low_stock in a query: available units (on hand less held) at or below the
# reorder point. The stock list's filter, the admin's and the low-stock alerts use it.
LOW_STOCK = Q(on_hand__lte=F("reserved") + F("reorder_point"))


class ReservationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class Reservation(TimeStampedModel):
    """A hold: stock held for a shopper while they pay, all-or-nothing over its
    lines. pending -> confirmed | cancelled | expired. Never deleted.

    Holds live with the stock they hold (as Saleor's warehouse app keeps its
    allocations and reservations): every statement that takes or gives back
    units is in apps/stock/holds/; what a shopper may do with a hold, and when,
    is the reservations app's."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    order_id = models.CharField(max_length=100, help_text="The caller's reference.")
    status = models.CharField(
        max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.PENDING
    )
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "reservations_reservation"
        constraints = [
            models.UniqueConstraint(fields=["user", "order_id"], name="reservation_order_per_user"),
            models.CheckConstraint(
                condition=Q(status__in=ReservationStatus.values), name="reservation_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "created_at", "id"], name="reservation_user_idx"),
            models.Index(fields=["created_at", "id"], name="reservation_created_idx"),
            # The sweeper's queue: only pending holds, by due time.
            models.Index(
                fields=["expires_at"],
                name="reservation_due_idx",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.status})"

    @property
    def line_list(self) -> list["ReservationLine"]:
        """The lines, as the service that wrote them left them, else as prefetched
        (selectors prefetch them with their warehouses), else from the database."""
        cached = self.__dict__.get("_line_list")
        if cached is not None:
            return cached
        if "lines" in getattr(self, "_prefetched_objects_cache", {}):
            return list(self.lines.all())
        return list(self.lines.select_related("warehouse").order_by("pk"))

    @line_list.setter
    def line_list(self, lines: list["ReservationLine"]) -> None:
        self.__dict__["_line_list"] = lines


class ReservationLine(models.Model):
    """Units of one stock row held by a reservation. `pending` and `expires_at`
    mirror the reservation's, so the holds on a stock row are one indexed lookup
    (apps/stock/locks.py) however long the row's history is."""

    id = models.BigAutoField(primary_key=True)
    reservation = models.ForeignKey(Reservation, on_delete=models.PROTECT, related_name="lines")
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="+", db_index=False)
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    warehouse = models.ForeignKey(
        "products.Warehouse", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quantity = models.BigIntegerField()
    # The product's price when the hold was made: what an order of it charges.
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    pending = models.BooleanField(default=True)
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "reservations_line"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="line_unit_price_non_negative"
            ),
        ]
        indexes = [
            models.Index(
                fields=["stock", "expires_at"],
                name="line_pending_by_stock_idx",
                condition=Q(pending=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.product_id} from {self.warehouse_id}"
