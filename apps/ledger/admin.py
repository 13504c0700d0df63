from django.contrib import admin

from apps.core.admin_site import ReadOnlyModelAdmin
from apps.core.roles import Role

from .models import StockMovement


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyModelAdmin):
    """The ledger, read-only: no add, change or delete, for anyone. Staff and
    warehouse admins read it."""

    view_roles = (Role.STAFF, Role.WAREHOUSE_ADMIN)

    list_display = (
        "id",
        "created_at",
        "type",
        "product",
        "warehouse",
        "on_hand_delta",
        "reserved_delta",
        "on_hand_after",
        "reserved_after",
        "actor",
    )
    list_filter = ("type", "warehouse")
    list_select_related = ("product", "warehouse", "actor")
    search_fields = ("product__sku", "reference", "=reservation_id")
