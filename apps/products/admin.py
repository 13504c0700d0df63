from django.contrib import admin

from apps.core.admin_site import can_use_admin, request_has_role
from apps.core.roles import Role

from .models import Product, Warehouse


class StaffWritesAdmin(admin.ModelAdmin):
    """Staff edit the catalog; warehouse admins may look."""

    def has_view_permission(self, request, obj=None):
        return can_use_admin(request.user)

    def has_add_permission(self, request):
        return request_has_role(request, Role.STAFF)

    def has_change_permission(self, request, obj=None):
        return request_has_role(request, Role.STAFF)

    def has_delete_permission(self, request, obj=None):
        return request_has_role(request, Role.STAFF)

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(Product)
class ProductAdmin(StaffWritesAdmin):
    list_display = ("sku", "name", "price", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("sku", "name")
    readonly_fields = ("id", "created_at", "updated_at", "deleted_at")
    show_full_result_count = False  # no COUNT(*) over a million rows per page

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    # Deleting is the stock app's decision: its admin extends this one.


@admin.register(Warehouse)
class WarehouseAdmin(StaffWritesAdmin):
    list_display = ("code", "name", "priority", "is_active")

    def save_model(self, request, obj, form, change):
        obj.code = obj.code.strip().upper()  # as the API stores and looks codes up
        super().save_model(request, obj, form, change)

    list_filter = ("is_active",)
    search_fields = ("code", "name")
    ordering = ("priority", "id")
