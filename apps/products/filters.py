"""Query parameters of the product list, validated like a body: a bad value is a
400 naming the parameter. (A serializer rather than a django-filter FilterSet:
the FilterSet deep-copies its filters and builds a form on every request, a
third of a list page's cost.)"""

from rest_framework import serializers

from apps.core.serializers import ShallowFieldsSerializer

from .models import ProductStatus

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
