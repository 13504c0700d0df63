"""The query parameters of the coupon lists (apps/core/filters.py: each is read
and validated by a DRF field, so a bad one is a 400 naming it)."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from rest_framework import serializers

from apps.core.filters import DRFFieldFilter

from .models import MAX_ID, Coupon, CouponIssue, CouponIssueStatus


class CouponFilterSet(django_filters.FilterSet):
    active = DRFFieldFilter(
        serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="true: claimable by their window now (starts_at <= now < ends_at); "
            "false: not started or ended.",
        ),
        method="filter_active",
    )

    class Meta:
        model = Coupon
        fields = ()

    def filter_active(self, queryset, name, active: bool):
        """By the window alone: a sold-out drop inside its window is active."""
        now = timezone.now()
        window = Q(starts_at__lte=now, ends_at__gt=now)
        return queryset.filter(window if active else ~window)


class CouponIssueFilterSet(django_filters.FilterSet):
    coupon_id = DRFFieldFilter(
        serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    )
    status = DRFFieldFilter(
        serializers.ChoiceField(choices=CouponIssueStatus.choices, required=False),
        method="filter_status",
    )

    class Meta:
        model = CouponIssue
        fields = ()

    def filter_status(self, queryset, name, status: str):
        """The status shown (CouponIssueOutputSerializer): an issue still open
        when its coupon has ended is expired already, swept or not."""
        ended = Q(coupon__ends_at__lte=timezone.now())
        if status == CouponIssueStatus.ISSUED:
            return queryset.filter(Q(status=status) & ~ended)
        if status == CouponIssueStatus.EXPIRED:
            return queryset.filter(Q(status=status) | (Q(status=CouponIssueStatus.ISSUED) & ended))
        return queryset.filter(status=status)
