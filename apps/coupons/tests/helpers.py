"""Coupon drops for tests."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from apps.coupons.models import Coupon


class CouponFactory(factory.django.DjangoModelFactory):
    """An open drop (started an hour ago, ends in an hour) of 10 coupons of 1,000.00 off."""

    class Meta:
        model = Coupon

    name = factory.Sequence(lambda n: f"Drop {n}")
    discount_amount = Decimal("1000.00")
    discount_rate = None
    total_quantity = 10
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
