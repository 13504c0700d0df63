"""Query parameters of the product list, validated like a body: a bad value is a
400 naming the parameter.

The list parses them with a serializer rather than a django-filter FilterSet:
the FilterSet deep-copies its filters and builds a form on every request, a
third of a list page's cost, and the page is built as SQL anyway
(listing.py). ProductFilterSet is the same parameters as a FilterSet, made of
the serializer's own fields: the view declares it, so the schema describes the
list as it describes every other filtered list, and a test holds its
parameters and answers to the serializer's."""

import copy

import django_filters
from rest_framework import serializers

from apps.core.filters import DRFFieldFilter
from apps.core.serializers import ShallowFieldsSerializer

from .models import Product, ProductStatus
from .selectors import product_search

MAX_PRICE = 10**10


class ProductListFilterSerializer(ShallowFieldsSerializer):
    q = serializers.CharField(
        max_length=200, required=False, help_text="Full-text search over name and description."
    )
    status = serializers.ChoiceField(choices=ProductStatus.choices, required=False)
    min_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=MAX_PRICE, required=False
    )
    max_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=MAX_PRICE, required=False
    )
    sku = serializers.CharField(max_length=64, required=False)


def _parsed(name: str) -> serializers.Field:
    return copy.deepcopy(ProductListFilterSerializer._declared_fields[name])


class ProductFilterSet(django_filters.FilterSet):
    """Filters as product_list does; the list itself never runs it."""

    q = DRFFieldFilter(_parsed("q"), method="filter_q")
    status = DRFFieldFilter(_parsed("status"))
    min_price = DRFFieldFilter(_parsed("min_price"), field_name="price", lookup_expr="gte")
    max_price = DRFFieldFilter(_parsed("max_price"), field_name="price", lookup_expr="lte")
    sku = DRFFieldFilter(_parsed("sku"))

    class Meta:
        model = Product
        fields = ()

    def filter_q(self, queryset, name, text: str):
        return product_search(queryset=queryset, text=text)
