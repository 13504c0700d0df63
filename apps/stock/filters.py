"""The query parameters of the stock list (apps/core/filters.py: each is read
and validated by a DRF field, so a bad one is a 400 naming it)."""

import django_filters
from rest_framework import serializers

from apps.core.fields import UUIDStringField
from apps.core.filters import DRFFieldFilter

from .models import LOW_STOCK, Stock


class StockFilterSet(django_filters.FilterSet):
    product_id = DRFFieldFilter(UUIDStringField(required=False))
    warehouse = DRFFieldFilter(
        serializers.CharField(max_length=32, required=False), method="filter_warehouse"
    )
    low_stock = DRFFieldFilter(
        serializers.BooleanField(required=False, default=False), method="filter_low_stock"
    )

    class Meta:
        model = Stock
        fields = ()

    def filter_warehouse(self, queryset, name, code: str):
        """Codes are stored upper case; a client may write them either way."""
        return queryset.filter(warehouse__code=code.upper())

    def filter_low_stock(self, queryset, name, low_stock: bool):
        """The rows to reorder, as Stock.low_stock decides: available units
        (on hand less held) at or below the reorder point."""
        if not low_stock:
            return queryset
        return queryset.filter(LOW_STOCK)
