"""The coupons app's domain errors (their codes are the API's)."""

from apps.core.errors import Conflict


class SoldOut(Conflict):
    code = "sold_out"
    default_message = "Every coupon of this drop has been issued."


class AlreadyIssued(Conflict):
    code = "already_issued"
    default_message = "You already hold this coupon."


class CouponNotActive(Conflict):
    code = "coupon_not_active"
    default_message = "The coupon cannot be claimed now."


class BelowIssued(Conflict):
    code = "below_issued"
    default_message = "total_quantity cannot be lower than the coupons already issued."


class CouponInvalid(Conflict):
    """For the checkout: the code cannot be redeemed; `details.reason` says why."""

    code = "coupon_invalid"
    default_message = "The coupon cannot be used for this order."
