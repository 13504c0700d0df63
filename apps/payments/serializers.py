from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.fields import StrictIntegerField, UUIDStringField

from .models import Order, OrderLine, Payment, PaymentMethod


class CheckoutInputSerializer(serializers.Serializer):
    reservation_id = UUIDStringField()
    coupon_code = serializers.CharField(
        max_length=32, required=False, allow_null=True, allow_blank=True, default=None
    )
    points = StrictIntegerField(
        min_value=0,
        max_value=settings.POINTS_MAX_AMOUNT,
        required=False,
        default=0,
        help_text="Points to spend (1 point = 1.00), free before paid.",
    )
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices)
    payment_token = serializers.CharField(
        max_length=255,
        required=False,
        allow_null=True,
        default=None,
        help_text="The gateway's token of the card (card payments). The fake gateway's: "
        "tok_approve, tok_decline, tok_timeout, tok_charge_then_fail.",
    )


class PaymentCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class OrderLineOutputSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")

    class Meta:
        model = OrderLine
        fields = ["product_id", "warehouse", "quantity", "unit_price", "line_total"]
        read_only_fields = fields


class OrderPaymentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "status", "amount", "method", "paid_at", "cancelled_at"]
        read_only_fields = fields


class OrderOutputSerializer(serializers.ModelSerializer):
    lines = OrderLineOutputSerializer(many=True)
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "reservation_id",
            "lines",
            "subtotal",
            "coupon_discount",
            "points_used",
            "total",
            "status",
            "payment",
            "created_at",
            "paid_at",
            "refunded_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OrderPaymentOutputSerializer(allow_null=True))
    def get_payment(self, order: Order) -> dict | None:
        """The order's latest payment."""
        payment = order.latest_payment
        return OrderPaymentOutputSerializer(payment).data if payment is not None else None


class PaymentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "order_id",
            "status",
            "amount",
            "method",
            "paid_at",
            "cancelled_at",
            "reason",
            "created_at",
        ]
        read_only_fields = fields
