from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.fields import UUIDStringField, iso_datetime, money
from apps.core.serializers import ShallowFieldsSerializer
from apps.stock.holds.rules import EXPIRED, hold_status
from apps.stock.models import Reservation, ReservationLine, ReservationStatus


class ReservationLineInputSerializer(ShallowFieldsSerializer):
    """One line: a product, how many units, and optionally the warehouse to take
    them from (otherwise by warehouse priority, split if need be)."""

    product_id = UUIDStringField()
    quantity = serializers.IntegerField(min_value=1, max_value=settings.MAX_STOCK_QUANTITY)
    warehouse = serializers.CharField(max_length=32, required=False, allow_null=True)


class ReservationCreateInputSerializer(ShallowFieldsSerializer):
    """A hold on every line's units, or on none."""

    order_id = serializers.CharField(max_length=100)
    lines = ReservationLineInputSerializer(many=True, allow_empty=False, max_length=100)
    ttl_seconds = serializers.IntegerField(
        required=False,
        min_value=settings.RESERVATION_MIN_TTL_SECONDS,
        max_value=settings.RESERVATION_MAX_TTL_SECONDS,
    )


class ReservationExtendInputSerializer(serializers.Serializer):
    ttl_seconds = serializers.IntegerField(
        min_value=settings.RESERVATION_MIN_TTL_SECONDS,
        max_value=settings.RESERVATION_MAX_TTL_SECONDS,
    )


class ReservationLineOutputSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")

    class Meta:
        model = ReservationLine
        fields = ["product_id", "warehouse", "quantity", "unit_price"]
        read_only_fields = fields


class ReservationOutputSerializer(serializers.ModelSerializer):
    lines = ReservationLineOutputSerializer(many=True, source="line_list")
    status = serializers.SerializerMethodField()
    expired_at = serializers.SerializerMethodField()

    class Meta:
        model = Reservation
        fields = [
            "id",
            "order_id",
            "status",
            "expires_at",
            "lines",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "expired_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(
            choices=ReservationStatus.choices,
            help_text="As of this answer: a pending hold past expires_at reads `expired` at "
            "once (the sweeper only tidies up).",
        )
    )
    def get_status(self, reservation: Reservation) -> str:
        return hold_status(reservation.status, reservation.expires_at, timezone.now())

    @extend_schema_field(
        serializers.DateTimeField(
            allow_null=True, help_text="When it stopped holding stock: its expires_at."
        )
    )
    def get_expired_at(self, reservation: Reservation) -> str | None:
        return _expired_at(reservation, self.get_status(reservation))

    def to_representation(self, reservation: Reservation) -> dict:
        """What the declared fields render (they document the schema), without
        building a field per attribute on every response: this is the hot path
        of reserve, confirm and cancel. A test keeps the two identical."""
        status = self.get_status(reservation)  # one clock for status and expired_at
        return {
            "id": str(reservation.id),
            "order_id": reservation.order_id,
            "status": status,
            "expires_at": iso_datetime(reservation.expires_at),
            "lines": [
                {
                    "product_id": str(line.product_id),
                    "warehouse": line.warehouse.code,
                    "quantity": line.quantity,
                    "unit_price": money(line.unit_price),
                }
                for line in reservation.line_list
            ],
            "created_at": iso_datetime(reservation.created_at),
            "confirmed_at": iso_datetime(reservation.confirmed_at),
            "cancelled_at": iso_datetime(reservation.cancelled_at),
            "expired_at": _expired_at(reservation, status),
        }


def _expired_at(reservation: Reservation, status: str) -> str | None:
    """When it stopped holding stock (its due time), once it reads expired."""
    return iso_datetime(reservation.expires_at if status == EXPIRED else None)
