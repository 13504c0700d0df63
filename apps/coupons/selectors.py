from django.db.models import QuerySet

from apps.core.errors import NotFound

from .models import MAX_ID, Coupon, CouponIssue


def coupon_list() -> QuerySet[Coupon]:
    """Every coupon. Filtered (apps/coupons/filters.py), ordered and paginated
    by the caller."""
    return Coupon.objects.all()


def coupon_get(*, coupon_id: int) -> Coupon:
    coupon = Coupon.objects.filter(pk=coupon_id).first() if 0 < coupon_id <= MAX_ID else None
    if coupon is None:
        raise NotFound("Coupon not found.")
    return coupon


def coupon_issue_list(*, user_id: int) -> QuerySet[CouponIssue]:
    """A user's coupons (their wallet), with each coupon. Filtered
    (apps/coupons/filters.py), ordered and paginated by the caller."""
    return CouponIssue.objects.filter(user_id=user_id).select_related("coupon")
