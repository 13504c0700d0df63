from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.fields import UUIDStringField

from .models import MAX_TOTAL_QUANTITY, Coupon, CouponIssue, CouponIssueStatus

MAX_MONEY = 10**10 - 1  # 12 digits, 2 of them decimals
MONEY = {"max_digits": 12, "decimal_places": 2, "max_value": MAX_MONEY}


class CouponOutputSerializer(serializers.ModelSerializer):
    product_id = serializers.UUIDField(allow_null=True, read_only=True)
    remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = Coupon
        fields = [
            "id",
            "name",
            "discount_amount",
            "discount_rate",
            "total_quantity",
            "issued_count",
            "remaining",
            "starts_at",
            "ends_at",
            "product_id",
            "min_order_amount",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CouponInputSerializer(serializers.Serializer):
    """Staff create (all required but the optional ones) and edit (partial)."""

    name = serializers.CharField(max_length=200)
    discount_amount = serializers.DecimalField(
        **MONEY, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    discount_rate = serializers.IntegerField(
        min_value=1, max_value=100, required=False, allow_null=True
    )
    total_quantity = serializers.IntegerField(min_value=1, max_value=MAX_TOTAL_QUANTITY)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    product_id = UUIDStringField(required=False, allow_null=True)
    min_order_amount = serializers.DecimalField(
        **MONEY, min_value=0, required=False, allow_null=True
    )


class CouponIssueOutputSerializer(serializers.ModelSerializer):
    coupon = CouponOutputSerializer(read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = CouponIssue
        fields = ["id", "code", "coupon_id", "status", "created_at", "redeemed_at", "coupon"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=CouponIssueStatus.choices))
    def get_status(self, issue: CouponIssue) -> str:
        # Expiry is decided by the coupon's ends_at, whether or not the sweep ran.
        if issue.status == CouponIssueStatus.ISSUED and issue.coupon.ends_at <= timezone.now():
            return CouponIssueStatus.EXPIRED
        return issue.status
