from django.contrib import admin

from apps.core.admin_site import request_has_role
from apps.core.roles import Role

from .models import StockMovement


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The ledger, read-only: no add, change or delete, for anyone."""

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
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return request_has_role(request, Role.WAREHOUSE_ADMIN)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
