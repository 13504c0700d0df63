"""The stock app's refusals (409)."""

from apps.core.errors import Conflict


class BelowReserved(Conflict):
    code = "below_reserved"
    default_message = "on_hand cannot go below the quantity reserved."


class ProductInUse(Conflict):
    code = "product_in_use"
    default_message = "The product has reserved stock and cannot be deleted."
