from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from .models import StockMovement


def movement_list(
    *,
    product_id: UUID | None = None,
    warehouse_code: str | None = None,
    type: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[StockMovement]:
    """The ledger, filtered. Ordered by the caller (newest first by id)."""
    queryset = StockMovement.objects.select_related("warehouse")
    if product_id is not None:
        queryset = queryset.filter(product_id=product_id)
    if warehouse_code:
        queryset = queryset.filter(warehouse__code=warehouse_code.strip().upper())
    if type:
        queryset = queryset.filter(type=type)
    if created_after is not None:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before is not None:
        queryset = queryset.filter(created_at__lt=created_before)
    return queryset
