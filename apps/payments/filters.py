"""The query parameters of the order and payment lists (apps/core/filters.py:
each is read and validated by a DRF field, so a bad one is a 400 naming it)."""

import django_filters
from rest_framework import serializers

from apps.core.filters import DRFFieldFilter

from .models import Order, OrderStatus, Payment, PaymentStatus

BIGINT_MAX = 2**63 - 1


class OrderFilterSet(django_filters.FilterSet):
    status = DRFFieldFilter(serializers.ChoiceField(choices=OrderStatus.choices, required=False))

    class Meta:
        model = Order
        fields = ()


class PaymentFilterSet(django_filters.FilterSet):
    status = DRFFieldFilter(serializers.ChoiceField(choices=PaymentStatus.choices, required=False))
    paid_after = DRFFieldFilter(
        serializers.DateTimeField(required=False), field_name="paid_at", lookup_expr="gte"
    )
    paid_before = DRFFieldFilter(
        serializers.DateTimeField(required=False), field_name="paid_at", lookup_expr="lt"
    )

    class Meta:
        model = Payment
        fields = ()


class StaffPaymentFilterSet(PaymentFilterSet):
    user_id = DRFFieldFilter(
        serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False)
    )

    class Meta(PaymentFilterSet.Meta):
        pass
