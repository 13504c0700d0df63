"""The query parameters of the stock ledger's list (apps/core/filters.py: each
is read and validated by a DRF field, so a bad one is a 400 naming it)."""

import django_filters
from rest_framework import serializers

from apps.core.fields import UUIDStringField
from apps.core.filters import DRFFieldFilter

from .models import MovementType, StockMovement


class MovementFilterSet(django_filters.FilterSet):
    product_id = DRFFieldFilter(UUIDStringField(required=False))
    warehouse = DRFFieldFilter(
        serializers.CharField(max_length=32, required=False), method="filter_warehouse"
    )
    type = DRFFieldFilter(serializers.ChoiceField(choices=MovementType.choices, required=False))
    created_after = DRFFieldFilter(
        serializers.DateTimeField(required=False), field_name="created_at", lookup_expr="gte"
    )
    created_before = DRFFieldFilter(
        serializers.DateTimeField(required=False), field_name="created_at", lookup_expr="lt"
    )

    class Meta:
        model = StockMovement
        fields = ()

    def filter_warehouse(self, queryset, name, code: str):
        """Codes are stored upper case; a client may write them either way."""
        return queryset.filter(warehouse__code=code.upper())
