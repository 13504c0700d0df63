from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.ids import uuid7
from apps.core.models import TimeStampedModel


class ReservationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class Reservation(TimeStampedModel):
    """Stock held for a shopper while they pay: all-or-nothing over its lines.
    pending -> confirmed | cancelled | expired. Never deleted."""

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
    (apps/reservations/locks.py) however long the row's history is."""

    id = models.BigAutoField(primary_key=True)
    reservation = models.ForeignKey(Reservation, on_delete=models.PROTECT, related_name="lines")
    stock = models.ForeignKey(
        "stock.Stock", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    warehouse = models.ForeignKey(
        "products.Warehouse", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quantity = models.BigIntegerField()
    pending = models.BooleanField(default=True)
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "reservations_line"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
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
