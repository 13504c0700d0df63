from django.conf import settings
from django.db import models
from django.db.models import Q


class MovementType(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    ADJUST = "adjust", "Adjustment"
    RESERVE = "reserve", "Reserve"
    RELEASE = "release", "Release (cancelled)"
    EXPIRE = "expire", "Expire"
    CONFIRM = "confirm", "Confirm (shipped)"
    RETURN = "return", "Return"


class StockMovement(models.Model):
    """The stock ledger: one row per change of a stock row's on_hand or reserved,
    written in the same transaction as the change. Append-only: the code has no
    update or delete path, the admin is read-only, and on PostgreSQL a trigger
    refuses UPDATE and DELETE (migration 0002)."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=16, choices=MovementType.choices)
    # FK lookups are served by the (fk, id) indexes below, not single-column ones.
    stock = models.ForeignKey(
        "stock.Stock", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    warehouse = models.ForeignKey(
        "products.Warehouse", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    on_hand_delta = models.BigIntegerField()
    reserved_delta = models.BigIntegerField()
    on_hand_after = models.BigIntegerField()
    reserved_after = models.BigIntegerField()
    reservation_id = models.UUIDField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    reason = models.CharField(max_length=255, blank=True, default="")
    reference = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "stock_movement"
        indexes = [
            models.Index(fields=["stock", "id"], name="movement_stock_id_idx"),
            models.Index(fields=["product", "id"], name="movement_product_id_idx"),
            models.Index(fields=["warehouse", "id"], name="movement_warehouse_id_idx"),
            models.Index(fields=["type", "id"], name="movement_type_id_idx"),
            # Deleting a user nulls their movements: found through this small index.
            models.Index(
                fields=["actor"], name="movement_actor_idx", condition=Q(actor__isnull=False)
            ),
            models.Index(
                fields=["reservation_id"],
                name="movement_reservation_idx",
                condition=Q(reservation_id__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=MovementType.values), name="movement_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(reserved_after__gte=0)
                & Q(reserved_after__lte=models.F("on_hand_after")),
                name="movement_after_values_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.on_hand_delta:+}/{self.reserved_delta:+} on {self.stock_id}"
