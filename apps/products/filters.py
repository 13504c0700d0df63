import django_filters

from .models import Product, ProductStatus
from .selectors import product_search

MAX_PRICE = 10**10


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", max_length=200, label="Full-text search over name and description."
    )
    status = django_filters.ChoiceFilter(choices=ProductStatus.choices)
    min_price = django_filters.NumberFilter(
        field_name="price", lookup_expr="gte", min_value=0, max_value=MAX_PRICE
    )
    max_price = django_filters.NumberFilter(
        field_name="price", lookup_expr="lte", min_value=0, max_value=MAX_PRICE
    )
    sku = django_filters.CharFilter(field_name="sku", max_length=64)

    class Meta:
        model = Product
        fields = ["q", "status", "min_price", "max_price", "sku"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return product_search(queryset, text=value) if value else queryset
