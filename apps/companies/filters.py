"""Query parameters of the company points history and of the settlements
(apps/core/filters.py: each is read and validated by a DRF field, so a bad one
is a 400 naming it)."""

from datetime import date

import django_filters
from rest_framework import serializers

from apps.core.filters import DRFFieldFilter
from apps.points.filters import PointHistoryFilterSet
from apps.points.serializers import BIGINT_MAX

from .models import Settlement


class CompanyHistoryFilterSet(PointHistoryFilterSet):
    # The member who made the entry (on a company's wallet, its actor).
    user_id = DRFFieldFilter(
        serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX),
        field_name="actor_id",
    )

    class Meta(PointHistoryFilterSet.Meta):
        fields = ()


class SettlementFilterSet(django_filters.FilterSet):
    company_id = DRFFieldFilter(
        serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    )
    period = DRFFieldFilter(
        serializers.RegexField(
            r"^[1-9]\d{3}-(0[1-9]|1[0-2])$",
            required=False,
            error_messages={"invalid": 'A month written YYYY-MM, e.g. "2026-11".'},
        ),
        method="filter_period",
    )

    class Meta:
        model = Settlement
        fields = ()

    def filter_period(self, queryset, name, value: str):
        year, month = value.split("-")
        return queryset.filter(period=date(int(year), int(month), 1))
