"""The catalog's refusals (409)."""

from apps.core.errors import Conflict


class ProductNotOnSale(Conflict):
    code = "product_not_on_sale"
    default_message = "A product is not on sale."
