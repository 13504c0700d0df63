"""Orders, their payments, and the record of every gateway call.

An order is made from one reservation (at most one order per reservation) and
charges the unit prices its lines were held at. Its payments move pending ->
paid | failed | cancelled; at most one payment per reservation is pending or
paid at any time, held by a partial unique index. The database holds every
rule of the arithmetic that a CHECK can hold.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.core.ids import uuid7
from apps.core.models import TimeStampedModel


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    PAID = "paid", "Paid"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    REFUNDED = "refunded", "Refunded"


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    POINTS = "points", "Points"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


MONEY = {"max_digits": 14, "decimal_places": 2}


class Order(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reservation = models.OneToOneField(
        "stock.Reservation", on_delete=models.PROTECT, related_name="+"
    )
    subtotal = models.DecimalField(**MONEY)
    coupon_issue = models.ForeignKey(
        "coupons.CouponIssue", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    coupon_discount = models.DecimalField(**MONEY, default=0)
    points_used = models.BigIntegerField(default=0)
    # The points entry that spent them, which a refund or a decline cancels.
    points_entry = models.ForeignKey(
        "points.PointEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    total = models.DecimalField(**MONEY)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments_order"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One point is worth 1.00 of the currency.
            models.CheckConstraint(
                condition=Q(total=F("subtotal") - F("coupon_discount") - F("points_used")),
                name="order_total_is_subtotal_less_discount_and_points",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_non_negative"),
            models.CheckConstraint(
                condition=Q(coupon_discount__gte=0) & Q(points_used__gte=0),
                name="order_discount_and_points_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(coupon_issue__isnull=False) | Q(coupon_discount=0),
                name="order_discount_needs_a_coupon",
            ),
            models.CheckConstraint(
                condition=Q(points_entry__isnull=False) | Q(points_used=0),
                name="order_points_need_their_entry",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="order_user_idx")]

    def __str__(self) -> str:
        return f"order {self.pk}"

    @property
    def latest_payment(self) -> "Payment | None":
        """Its newest payment (from the prefetched payments when there are)."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("payments")
        payments = list(prefetched) if prefetched is not None else None
        if payments is None:
            return self.payments.order_by("-created_at", "-id").first()
        return max(payments, key=lambda p: (p.created_at, p.id), default=None)


class OrderLine(models.Model):
    """A line of the hold, copied when the order was made."""

    id = models.BigAutoField(primary_key=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("products.Warehouse", on_delete=models.PROTECT, related_name="+")
    quantity = models.BigIntegerField()
    unit_price = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY)

    class Meta:
        db_table = "payments_order_line"
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="order_line_unit_price_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")),
                name="order_line_total_is_price_times_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.product_id} at {self.unit_price}"


class Payment(TimeStampedModel):
    """One try at paying an order. The gateway knows it by its id (our
    idempotency reference there), so asking twice never charges twice."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    # The order's, copied: the partial unique index below is per reservation.
    reservation = models.ForeignKey("stock.Reservation", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    gateway = models.CharField(max_length=50, blank=True, default="")
    gateway_reference = models.CharField(max_length=255, blank=True, default="")
    # The hold's expiry before the payment kept it alive; a decline restores it.
    hold_expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set before a refund is asked of the gateway: the reconciler finishes a
    # refund whose answer was lost.
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "payments_payment"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation"],
                condition=Q(status__in=["pending", "paid"]),
                name="payment_one_pending_or_paid_per_reservation",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_non_negative"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="payment_paid_has_paid_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="payment_cancelled_has_cancelled_at",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="payment_user_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending")
                | Q(refund_requested_at__isnull=False, refunded_at__isnull=True),
                name="payment_unsettled_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} ({self.status})"


class AttemptOperation(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"
    LOOKUP = "lookup", "Look up"


class AttemptOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    PENDING = "pending", "Pending (the money is on its way)"
    REFUNDED = "refunded", "Refunded"
    NOT_FOUND = "not_found", "Not found"
    UNKNOWN = "unknown", "Unknown (timeout or error)"


class PaymentAttempt(models.Model):
    """Every call to the gateway and what came of it. Append-only: a trigger
    refuses UPDATE and DELETE (sql/payments_attempt_append_only.sql)."""

    id = models.BigAutoField(primary_key=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="attempts")
    operation = models.CharField(max_length=10, choices=AttemptOperation.choices)
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)
    gateway_reference = models.CharField(max_length=255, blank=True, default="")
    detail = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "payments_attempt"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.operation} of {self.payment_id}: {self.outcome}"


class WebhookEvent(models.Model):
    """An event a gateway sent, applied once: its id is unique per gateway."""

    id = models.BigAutoField(primary_key=True)
    gateway = models.CharField(max_length=50)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()
    outcome = models.CharField(max_length=100, blank=True, default="")
    received_at = models.DateTimeField()

    class Meta:
        db_table = "payments_webhook_event"
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} event {self.event_id}"


class FakeGatewayCharge(models.Model):
    """The fake gateway's own book (apps/payments/gateway.py), not ours: what a
    real gateway would know of each charge, keyed by our reference. Tests and
    the audit count charges here, at the gateway, not in our tables."""

    reference = models.CharField(max_length=64, primary_key=True)
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=20)
    status = models.CharField(max_length=10)  # approved, declined, pending, refunded
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "payments_fake_gateway_charge"

    def __str__(self) -> str:
        return f"charge {self.reference}: {self.status}"
