from datetime import date

from rest_framework import serializers

from apps.products.models import Warehouse

from . import days
from .models import StockAlert

BIGINT_MAX = 2**63 - 1


class ReportQuerySerializer(serializers.Serializer):
    """One date, or a range (both ends included); none: every stored day."""

    date = serializers.DateField(required=False, help_text="One day (today: live, provisional).")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        today = days.today()
        one, first, last = attrs.get("date"), attrs.get("date_from"), attrs.get("date_to")
        if one is not None and (first is not None or last is not None):
            raise serializers.ValidationError({"date": ["Give a date, or a range, not both."]})
        if first is not None and last is not None and first > last:
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        for name in ("date", "date_from"):
            value: date | None = attrs.get(name)
            if value is not None and value > today:
                raise serializers.ValidationError(
                    {name: [f"Must not be after today ({today.isoformat()})."]}
                )
        return attrs


class StockReportQuerySerializer(ReportQuerySerializer):
    warehouse = serializers.CharField(required=False, max_length=32, help_text="A warehouse code.")
    product_id = serializers.UUIDField(required=False)

    def validate_warehouse(self, code: str) -> int:
        warehouse_id = (
            Warehouse.objects.filter(code=code.upper()).values_list("id", flat=True).first()
        )
        if warehouse_id is None:
            raise serializers.ValidationError("No warehouse with this code.")
        return warehouse_id

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "warehouse" in attrs:
            attrs["warehouse_id"] = attrs.pop("warehouse")
        return attrs


class PointReportQuerySerializer(ReportQuerySerializer):
    user_id = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)


class SummaryQuerySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day (today: live, provisional).")

    def validate_date(self, value: date) -> date:
        today = days.today()
        if value > today:
            raise serializers.ValidationError(f"Must not be after today ({today.isoformat()}).")
        return value


class StockDailyReportSerializer(serializers.Serializer):
    date = serializers.DateField()
    product_id = serializers.UUIDField()
    warehouse = serializers.CharField(help_text="The warehouse's code.")
    opening_on_hand = serializers.IntegerField()
    inbound = serializers.IntegerField()
    adjusted = serializers.IntegerField(help_text="Signed: adjustments up less adjustments down.")
    reserved = serializers.IntegerField()
    released = serializers.IntegerField()
    expired = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    returned = serializers.IntegerField()
    closing_on_hand = serializers.IntegerField()
    closing_reserved = serializers.IntegerField()
    provisional = serializers.BooleanField(help_text="Computed live, not a closed stored day.")


class StockDailySummarySerializer(serializers.Serializer):
    date = serializers.DateField()
    opening_on_hand = serializers.IntegerField()
    inbound = serializers.IntegerField()
    adjusted = serializers.IntegerField()
    reserved = serializers.IntegerField()
    released = serializers.IntegerField()
    expired = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    returned = serializers.IntegerField()
    closing_on_hand = serializers.IntegerField()
    closing_reserved = serializers.IntegerField()
    products = serializers.IntegerField(help_text="Products with any movement that day.")
    provisional = serializers.BooleanField()


class PointDailyReportSerializer(serializers.Serializer):
    date = serializers.DateField()
    user_id = serializers.IntegerField()
    earned_free = serializers.IntegerField()
    earned_paid = serializers.IntegerField()
    earned = serializers.IntegerField()
    used = serializers.IntegerField()
    cancelled = serializers.IntegerField(help_text="Signed: cancelled uses give points back.")
    expired = serializers.IntegerField()
    net = serializers.IntegerField()
    closing_balance = serializers.IntegerField()
    provisional = serializers.BooleanField()


class PointDailySummarySerializer(serializers.Serializer):
    date = serializers.DateField()
    earned_free = serializers.IntegerField()
    earned_paid = serializers.IntegerField()
    earned = serializers.IntegerField()
    used = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    expired = serializers.IntegerField()
    net = serializers.IntegerField()
    closing_balance = serializers.IntegerField()
    users = serializers.IntegerField(help_text="Users with any entry that day.")
    provisional = serializers.BooleanField()


class StockAlertSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", help_text="The warehouse's code.")

    class Meta:
        model = StockAlert
        fields = (
            "id",
            "product_id",
            "warehouse",
            "reorder_point",
            "available_at_open",
            "opened_at",
            "closed_at",
        )
        read_only_fields = fields
