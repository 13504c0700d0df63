"""The reservations app's refusals (409)."""

from apps.core.errors import Conflict


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    default_message = "Not enough stock for every line; nothing was reserved."


class DuplicateOrderId(Conflict):
    code = "duplicate_order_id"
    default_message = (
        "You already have a reservation with this order_id: details.reservation_id is it."
    )


class ReservationExpired(Conflict):
    code = "reservation_expired"
    default_message = "The reservation has expired; its stock is no longer held."
