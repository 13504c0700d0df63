from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.core.models import TimeStampedModel

CODE_LENGTH = 8
CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
MAX_TOTAL_QUANTITY = 10_000_000
MAX_ID = 2**63 - 1  # bigint


class Coupon(TimeStampedModel):
    """A limited coupon drop: at most `total_quantity` issues, first come first
    served, between `starts_at` and `ends_at`. A fixed `discount_amount` or a
    `discount_rate` in percent, exactly one of them; optionally only for one
    product, optionally from a minimum order amount. `issued_count` moves only
    under the row lock (apps/coupons/locks.py) and never exceeds the total."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=200)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    discount_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Percent, 1-100."
    )
    total_quantity = models.IntegerField()
    issued_count = models.IntegerField(default=0, editable=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    product = models.ForeignKey(
        "products.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="Only orders containing this product can redeem it.",
    )
    min_order_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        db_table = "coupons_coupon"
        constraints = [
            models.CheckConstraint(
                condition=(Q(discount_amount__isnull=False) & Q(discount_rate__isnull=True))
                | (Q(discount_amount__isnull=True) & Q(discount_rate__isnull=False)),
                name="coupon_exactly_one_discount",
                violation_error_message="Give exactly one of discount_amount or discount_rate.",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__isnull=True) | Q(discount_amount__gt=0),
                name="coupon_discount_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(discount_rate__isnull=True)
                | Q(discount_rate__gte=1, discount_rate__lte=100),
                name="coupon_discount_rate_percent",
            ),
            models.CheckConstraint(
                condition=Q(total_quantity__gte=1, total_quantity__lte=MAX_TOTAL_QUANTITY),
                name="coupon_total_quantity_bounded",
            ),
            models.CheckConstraint(
                condition=Q(issued_count__gte=0) & Q(issued_count__lte=F("total_quantity")),
                name="coupon_issued_within_total",
                violation_error_message="total_quantity cannot be below the coupons issued.",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="coupon_window_ordered",
                violation_error_message="ends_at must be after starts_at.",
            ),
            models.CheckConstraint(
                condition=Q(min_order_amount__isnull=True) | Q(min_order_amount__gte=0),
                name="coupon_min_order_non_negative",
            ),
        ]
        indexes = [
            # Keyset pagination: one (field, id) index per ordering.
            models.Index(fields=["created_at", "id"], name="coupon_created_id_idx"),
            models.Index(fields=["starts_at", "id"], name="coupon_starts_id_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def remaining(self) -> int:
        return self.total_quantity - self.issued_count


class CouponIssueStatus(models.TextChoices):
    ISSUED = "issued", "Issued"
    REDEEMED = "redeemed", "Redeemed"
    EXPIRED = "expired", "Expired"


class CouponIssue(TimeStampedModel):
    """One coupon in one user's wallet, with its code. issued -> redeemed (by an
    order) -> issued again on refund; issued -> expired after the coupon ends.
    Never deleted: the rows are the coupon's issued count."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (coupon, user) unique constraint, which leads with coupon.
    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, related_name="issues", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    code = models.CharField(max_length=CODE_LENGTH)
    status = models.CharField(
        max_length=16, choices=CouponIssueStatus.choices, default=CouponIssueStatus.ISSUED
    )
    order_id = models.UUIDField(
        null=True, blank=True, help_text="The order that redeemed it, while redeemed."
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "coupons_issue"
        constraints = [
            models.UniqueConstraint(fields=["code"], name="coupon_issue_code_unique"),
            models.UniqueConstraint(fields=["coupon", "user"], name="coupon_issue_one_per_user"),
            models.CheckConstraint(
                condition=Q(code__regex=rf"^[A-Z0-9]{{{CODE_LENGTH}}}$"),
                name="coupon_issue_code_format",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CouponIssueStatus.values), name="coupon_issue_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=CouponIssueStatus.REDEEMED)
                    & Q(order_id__isnull=False)
                    & Q(redeemed_at__isnull=False)
                )
                | (
                    ~Q(status=CouponIssueStatus.REDEEMED)
                    & Q(order_id__isnull=True)
                    & Q(redeemed_at__isnull=True)
                ),
                name="coupon_issue_redeemed_by_an_order",
            ),
        ]
        indexes = [
            # "My coupons", newest first, by keyset.
            models.Index(fields=["user", "created_at", "id"], name="coupon_issue_user_idx"),
            # The expiry sweep: issues still open, by coupon.
            models.Index(
                fields=["coupon"],
                name="coupon_issue_open_idx",
                condition=Q(status="issued"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"
