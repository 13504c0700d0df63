"""The query parameters of the reservation list (apps/core/filters.py: each is
read and validated by a DRF field, so a bad one is a 400 naming it)."""

import django_filters
from rest_framework import serializers

from apps.core.filters import DRFFieldFilter
from apps.stock.models import Reservation, ReservationStatus


class ReservationFilterSet(django_filters.FilterSet):
    status = DRFFieldFilter(
        serializers.ChoiceField(choices=ReservationStatus.choices, required=False)
    )

    class Meta:
        model = Reservation
        fields = ()
