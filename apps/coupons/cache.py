"""The cached sold-out flag: an early "no" that takes no lock and no query.

The flag stores the `total_quantity` at which the coupon sold out; every change
of `total_quantity` stores the new total next to it (after commit). A flag
counts only while it equals the latest total known to the cache, so a flag
written late (after a concurrent raise of the quantity committed) is ignored
instead of refusing coupons that are there. It is sound because issued_count
never goes down: once it reached T, a coupon whose total is T again is sold out.

The flag is never a reason to issue: that is decided under the coupon's row
lock. With Redis down every read is a miss (IGNORE_EXCEPTIONS) and the claim
goes to the database.
"""

from django.core.cache import cache

# A flag outlives no more than this: whatever went wrong with the cache (a write
# lost while Redis was down), a claim reaches the database again soon.
FLAG_TTL_SECONDS = 60
TOTAL_TTL_SECONDS = 24 * 3600


def _keys(coupon_id: int) -> tuple[str, str]:
    return f"coupons:{coupon_id}:sold_out_at", f"coupons:{coupon_id}:total"


def sold_out_flagged(*, coupon_id: int) -> bool:
    flag_key, total_key = _keys(coupon_id)
    values = cache.get_many([flag_key, total_key])
    flag = values.get(flag_key)
    return flag is not None and values.get(total_key, flag) == flag


def sold_out_flag_set(*, coupon_id: int, total_quantity: int) -> None:
    flag_key, _ = _keys(coupon_id)
    cache.set(flag_key, total_quantity, timeout=FLAG_TTL_SECONDS)


def total_quantity_changed(*, coupon_id: int, total_quantity: int) -> None:
    """After a committed change of total_quantity: any flag written for another
    total stops counting, and the flag itself goes."""
    flag_key, total_key = _keys(coupon_id)
    cache.set(total_key, total_quantity, timeout=TOTAL_TTL_SECONDS)
    cache.delete(flag_key)


def sold_out_flag_clear(*, coupon_id: int) -> None:
    """Forget what the cache knows of the coupon (for resets outside the services,
    e.g. the benchmark putting a drop back to full)."""
    cache.delete_many(list(_keys(coupon_id)))
