"""The query parameters of the points history (apps/core/filters.py: each is
read and validated by a DRF field, so a bad one is a 400 naming it)."""

import django_filters
from rest_framework import serializers

from apps.core.filters import DRFFieldFilter

from .models import PointEntry, PointEntryType


class PointHistoryFilterSet(django_filters.FilterSet):
    type = DRFFieldFilter(serializers.ChoiceField(choices=PointEntryType.choices, required=False))
    created_after = DRFFieldFilter(
        serializers.DateTimeField(required=False), field_name="created_at", lookup_expr="gte"
    )
    created_before = DRFFieldFilter(
        serializers.DateTimeField(required=False), field_name="created_at", lookup_expr="lt"
    )

    class Meta:
        model = PointEntry
        fields = ()
