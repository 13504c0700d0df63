from django.conf import settings
from rest_framework import serializers

from apps.core.fields import StrictIntegerField

from .models import PointEntry, PointKind

BIGINT_MAX = 2**63 - 1


def points_amount() -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=settings.POINTS_MAX_AMOUNT)


class PointsEarnInputSerializer(serializers.Serializer):
    user_id = StrictIntegerField(min_value=1, max_value=BIGINT_MAX)
    amount = points_amount()
    kind = serializers.ChoiceField(choices=PointKind.choices)
    description = serializers.CharField(max_length=255)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Free points only: when they expire."
    )
    order_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PointsUseInputSerializer(serializers.Serializer):
    amount = points_amount()
    description = serializers.CharField(max_length=255)
    order_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PointEntryOutputSerializer(serializers.ModelSerializer):
    balance_after = serializers.IntegerField(read_only=True, help_text="free_after + paid_after.")
    expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the points of a free earn expire."
    )

    class Meta:
        model = PointEntry
        fields = [
            "id",
            "user_id",
            "type",
            "amount",
            "free_delta",
            "paid_delta",
            "balance_after",
            "free_after",
            "paid_after",
            "description",
            "order_id",
            "cancels_id",
            "expires_at",
            "created_at",
        ]
        read_only_fields = fields


class PointBalanceOutputSerializer(serializers.Serializer):
    free = serializers.IntegerField()
    paid = serializers.IntegerField()
    total = serializers.IntegerField()
