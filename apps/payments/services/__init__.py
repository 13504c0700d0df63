"""Payments: checkout (three steps around the gateway call), the end of a
payment under its reservation's lock, refunds, the reconciler and webhooks."""

from .checkout import CheckedOut, Checkout, order_checkout
from .reconcile import payments_reconcile
from .refund import payment_cancel
from .webhooks import webhook_receive

__all__ = [
    "CheckedOut",
    "Checkout",
    "order_checkout",
    "payment_cancel",
    "payments_reconcile",
    "webhook_receive",
]
