from django.db.models import QuerySet

from .models import StockMovement


def movement_list() -> QuerySet[StockMovement]:
    """The ledger, with each movement's warehouse; filtered
    (apps/ledger/filters.py) and ordered (newest first by id) by the caller."""
    return StockMovement.objects.select_related("warehouse")
