from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core.errors import NotFound

from .models import MAX_ID, Coupon, CouponIssue, CouponIssueStatus


def coupon_list(*, active: bool | None = None) -> QuerySet[Coupon]:
    """Every coupon; `active=True`: those claimable by their window now
    (starts_at <= now < ends_at), sold out or not; `active=False`: the others."""
    queryset = Coupon.objects.all()
    if active is not None:
        now = timezone.now()
        window = Q(starts_at__lte=now, ends_at__gt=now)
        queryset = queryset.filter(window if active else ~window)
    return queryset


def coupon_get(*, coupon_id: int) -> Coupon:
    coupon = Coupon.objects.filter(pk=coupon_id).first() if 0 < coupon_id <= MAX_ID else None
    if coupon is None:
        raise NotFound("Coupon not found.")
    return coupon


def coupon_issue_list(
    *, user_id: int, coupon_id: int | None = None, status: str | None = None
) -> QuerySet[CouponIssue]:
    """A user's coupons (their wallet), with each coupon."""
    queryset = CouponIssue.objects.filter(user_id=user_id).select_related("coupon")
    if coupon_id is not None:
        queryset = queryset.filter(coupon_id=coupon_id)
    if status:
        # The status shown: an open issue of an ended coupon is expired already.
        ended = Q(coupon__ends_at__lte=timezone.now())
        if status == CouponIssueStatus.ISSUED:
            queryset = queryset.filter(Q(status=status) & ~ended)
        elif status == CouponIssueStatus.EXPIRED:
            queryset = queryset.filter(Q(status=status) | (Q(status="issued") & ended))
        else:
            queryset = queryset.filter(status=status)
    return queryset
