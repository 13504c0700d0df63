"""Row locks of the coupons app. Global order (README): reservation, stock rows,
coupon, then coupon issue, then wallet, then payment."""

from .models import MAX_ID, Coupon, CouponIssue


def coupon_lock(*, coupon_id: int) -> Coupon | None:
    if not 0 < coupon_id <= MAX_ID:  # a path's integer beyond bigint names no coupon
        return None
    return (
        Coupon.objects.order_by("pk").select_for_update(of=("self",)).filter(pk=coupon_id).first()
    )


def coupon_issue_lock(
    *, issue_id: int | None = None, code: str | None = None
) -> CouponIssue | None:
    """One issue row, by id or code, with its coupon (read, not locked: the
    coupon's lock comes first in the global order and redemption does not need it)."""
    queryset = CouponIssue.objects.select_related("coupon").select_for_update(of=("self",))
    queryset = queryset.filter(pk=issue_id) if issue_id is not None else queryset.filter(code=code)
    return queryset.order_by("pk").first()


def coupon_issues_lock_expirable(*, now, limit: int) -> list[CouponIssue]:
    """The expiry sweep's batch: issues still open whose coupon has ended; rows
    locked elsewhere (being redeemed) are skipped, never waited on."""
    return list(
        CouponIssue.objects.filter(status="issued", coupon__ends_at__lte=now)
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))[:limit]
    )
