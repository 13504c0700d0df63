"""The query parameters of the alert list (apps/core/filters.py)."""

import django_filters
from rest_framework import serializers

from apps.core.fields import UUIDStringField
from apps.core.filters import DRFFieldFilter

from .models import StockAlert


class StockAlertFilterSet(django_filters.FilterSet):
    open = DRFFieldFilter(
        serializers.BooleanField(required=False, allow_null=True, default=None),
        method="filter_open",
    )
    product_id = DRFFieldFilter(UUIDStringField(required=False))
    warehouse = DRFFieldFilter(
        serializers.CharField(max_length=32, required=False), method="filter_warehouse"
    )

    class Meta:
        model = StockAlert
        fields = ()

    def filter_open(self, queryset, name, value: bool | None):
        if value is None:
            return queryset
        return queryset.filter(closed_at__isnull=value)

    def filter_warehouse(self, queryset, name, code: str):
        """Codes are stored upper case; a client may write them either way."""
        return queryset.filter(warehouse__code=code.upper())
