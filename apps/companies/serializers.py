from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.errors import ValidationFailed
from apps.core.fields import StrictIntegerField
from apps.points.models import PointKind
from apps.points.serializers import (
    BIGINT_MAX,
    PointBalanceOutputSerializer,
    PointEntryOutputSerializer,
    PointsUseInputSerializer,
    points_amount,
)

from .models import (
    SETTLEMENT_FIGURES,
    Company,
    MemberRole,
    Membership,
    Settlement,
    SettlementRun,
)
from .periods import Period, period_parse
from .selectors import company_wallet_balance


class CompanyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    registration_number = serializers.CharField(max_length=50)


class CompanyOutputSerializer(serializers.ModelSerializer):
    wallet = serializers.SerializerMethodField()

    class Meta:
        model = Company
        fields = ["id", "name", "registration_number", "is_active", "wallet", "created_at"]
        read_only_fields = fields

    @extend_schema_field(PointBalanceOutputSerializer)
    def get_wallet(self, company: Company) -> dict:
        # The balance read (cached per wallet, free points past their date not
        # counted), as GET .../points/balance/ answers it.
        return PointBalanceOutputSerializer(company_wallet_balance(company_id=company.pk)).data


class MemberAddInputSerializer(serializers.Serializer):
    user_id = StrictIntegerField(min_value=1, max_value=BIGINT_MAX)
    role = serializers.ChoiceField(choices=MemberRole.choices, default=MemberRole.MEMBER)


class MembershipOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "company_id", "user_id", "role", "created_at"]
        read_only_fields = fields


class CompanyChargeInputSerializer(serializers.Serializer):
    amount = points_amount()
    kind = serializers.ChoiceField(choices=PointKind.choices)
    paid_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("999999999999.99"),
        required=False,
        allow_null=True,
        help_text="The money received for paid points (required for them; not for free ones).",
    )
    description = serializers.CharField(max_length=255)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Free points only: when they expire."
    )

    def validate(self, data):
        paid = data.get("paid_amount")
        if data["kind"] == PointKind.PAID and paid is None:
            raise serializers.ValidationError({"paid_amount": ["Required for paid points."]})
        if data["kind"] == PointKind.FREE and paid is not None:
            raise serializers.ValidationError({"paid_amount": ["Free points carry no money."]})
        return data


class CompanyUseInputSerializer(PointsUseInputSerializer):
    pass


class CompanyEntryOutputSerializer(PointEntryOutputSerializer):
    """An entry of a company's wallet: `actor_id` is the member (or staff) who
    made it."""

    class Meta(PointEntryOutputSerializer.Meta):
        fields = [
            *[f for f in PointEntryOutputSerializer.Meta.fields if f != "user_id"],
            "company_id",
            "actor_id",
            "paid_amount",
        ]
        read_only_fields = fields


class PeriodInputSerializer(serializers.Serializer):
    period = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text='A closed month, "YYYY-MM" (months of REPORTS_TIME_ZONE).',
    )

    def validate_period(self, value: str) -> Period:
        try:
            return period_parse(value)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.details["period"]) from exc


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class MonthField(serializers.DateField):
    """A month stored as its first day, written "YYYY-MM"."""

    def to_representation(self, value) -> str:
        return f"{value:%Y-%m}"


class SettlementRunOutputSerializer(serializers.ModelSerializer):
    period = MonthField(read_only=True)
    failed_chunks = serializers.IntegerField(read_only=True, default=0)
    retried_chunks = serializers.IntegerField(
        read_only=True, default=0, help_text="Chunks that needed more than one attempt."
    )
    totals = serializers.JSONField(
        read_only=True, help_text="The sums of the period's settlements, once done."
    )

    class Meta:
        model = SettlementRun
        fields = [
            "id",
            "period",
            "status",
            "companies_total",
            "companies_done",
            "chunks_total",
            "failed_chunks",
            "retried_chunks",
            "totals",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class SettlementOutputSerializer(serializers.ModelSerializer):
    period = MonthField(read_only=True)

    class Meta:
        model = Settlement
        fields = ["company_id", "period", *SETTLEMENT_FIGURES, "run_id", "created_at"]
        read_only_fields = fields
