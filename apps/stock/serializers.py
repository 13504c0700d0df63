from uuid import UUID

from django.conf import settings
from rest_framework import serializers

from apps.core.fields import UUIDStringField, iso_datetime
from apps.ledger.models import StockMovement

from .models import Stock


class WarehouseAvailabilityOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class ProductAvailabilityOutputSerializer(serializers.Serializer):
    product_id = UUIDStringField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    warehouses = WarehouseAvailabilityOutputSerializer(many=True)

    def to_representation(self, availability) -> dict:
        """What the declared fields render (they document the schema), without a
        field object per value: bulk availability renders hundreds of these per
        response. A test keeps the two identical."""
        return {
            "product_id": str(availability.product_id),
            "on_hand": availability.on_hand,
            "reserved": availability.reserved,
            "available": availability.available,
            "warehouses": [
                {
                    "code": w.code,
                    "on_hand": w.on_hand,
                    "reserved": w.reserved,
                    "available": w.available,
                }
                for w in availability.warehouses
            ],
        }


MAX_BULK_PRODUCTS = 500


class BulkAvailabilityInputSerializer(serializers.Serializer):
    product_ids = serializers.ListField(
        child=UUIDStringField(), min_length=1, max_length=MAX_BULK_PRODUCTS
    )


def bulk_product_ids(data) -> list[UUID]:
    """The ids of a bulk availability body. A well-formed one (1 to 500 strings,
    each a UUID as UUIDStringField reads it) is read directly, at a third of the
    serializer's cost; anything else goes through the serializer, for its 400."""
    ids = data.get("product_ids") if isinstance(data, dict) else None
    well_formed = type(ids) is list and 1 <= len(ids) <= MAX_BULK_PRODUCTS
    if well_formed and all(type(pid) is str for pid in ids):
        try:
            return [UUID(pid) for pid in ids]
        except ValueError:
            pass
    serializer = BulkAvailabilityInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["product_ids"]


class BulkAvailabilityOutputSerializer(serializers.Serializer):
    results = ProductAvailabilityOutputSerializer(many=True)
    not_found = serializers.ListField(
        child=UUIDStringField(), help_text="Requested ids that are not in the catalog."
    )


def _id_text(value) -> str | None:
    return None if value is None else str(value)


# As ProductOutputSerializer: declared fields for the schema, rendered directly
# (DRF built a field object per attribute on every response: 0.45 ms for an
# inbound's answer, and a ledger page renders dozens). A test pins the two.
class StockOutputSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    available = serializers.IntegerField()
    low_stock = serializers.BooleanField()

    class Meta:
        model = Stock
        fields = [
            "id",
            "product_id",
            "warehouse",
            "on_hand",
            "reserved",
            "available",
            "min_stock_level",
            "reorder_point",
            "low_stock",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, stock: Stock) -> dict:
        return {
            "id": stock.id,
            "product_id": _id_text(stock.product_id),
            "warehouse": stock.warehouse.code,
            "on_hand": stock.on_hand,
            "reserved": stock.reserved,
            "available": stock.available,
            "min_stock_level": stock.min_stock_level,
            "reorder_point": stock.reorder_point,
            "low_stock": stock.low_stock,
            "updated_at": iso_datetime(stock.updated_at),
        }


class StockLevelsInputSerializer(serializers.Serializer):
    min_stock_level = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    reorder_point = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)


def _quantity(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(max_value=settings.MAX_STOCK_QUANTITY, **kwargs)


class StockInboundInputSerializer(serializers.Serializer):
    product_id = UUIDStringField()
    warehouse = serializers.CharField(max_length=32)
    quantity = _quantity(min_value=1)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class StockAdjustInputSerializer(serializers.Serializer):
    product_id = UUIDStringField()
    warehouse = serializers.CharField(max_length=32)
    on_hand = _quantity(min_value=0, help_text="The counted, absolute quantity.")
    reason = serializers.CharField(max_length=255)
    reference = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class StockMovementOutputSerializer(serializers.ModelSerializer):  # as StockOutputSerializer
    warehouse = serializers.CharField(source="warehouse.code")

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "type",
            "product_id",
            "warehouse",
            "on_hand_delta",
            "reserved_delta",
            "on_hand_after",
            "reserved_after",
            "reservation_id",
            "reason",
            "reference",
            "actor_id",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, movement: StockMovement) -> dict:
        return {
            "id": movement.id,
            "type": movement.type,
            "product_id": _id_text(movement.product_id),
            "warehouse": movement.warehouse.code,
            "on_hand_delta": movement.on_hand_delta,
            "reserved_delta": movement.reserved_delta,
            "on_hand_after": movement.on_hand_after,
            "reserved_after": movement.reserved_after,
            "reservation_id": _id_text(movement.reservation_id),
            "reason": movement.reason,
            "reference": movement.reference,
            "actor_id": movement.actor_id,
            "created_at": iso_datetime(movement.created_at),
        }


class StockChangeOutputSerializer(serializers.Serializer):
    stock = StockOutputSerializer()
    movement = StockMovementOutputSerializer()
