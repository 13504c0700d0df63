"""The query parameters of the reservation list (apps/core/filters.py: each is
read and validated by a DRF field, so a bad one is a 400 naming it)."""

import django_filters
from django.utils import timezone
from rest_framework import serializers

from apps.core.filters import DRFFieldFilter
from apps.stock.holds.rules import hold_status_q
from apps.stock.models import Reservation, ReservationStatus


class ReservationFilterSet(django_filters.FilterSet):
    status = DRFFieldFilter(
        serializers.ChoiceField(
            choices=ReservationStatus.choices,
            required=False,
            help_text="As the answers read it: `expired` includes pending holds past their "
            "expiry, `pending` excludes them.",
        ),
        method="filter_status",
    )

    def filter_status(self, queryset, name, value):
        return queryset.filter(hold_status_q(value, timezone.now()))

    class Meta:
        model = Reservation
        fields = ()
