from django.contrib import admin

from apps.core.admin_site import can_use_admin

from .models import Reservation, ReservationLine


class ReservationLineInline(admin.TabularInline):
    model = ReservationLine
    fields = ("product", "warehouse", "quantity", "pending", "expires_at")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    """Read-only: reservations change only through their services (the API), so
    stock, lines and the ledger always move together."""

    list_display = ("id", "order_id", "user", "status", "expires_at", "created_at")
    list_filter = ("status",)
    search_fields = ("order_id", "=id", "user__email")
    list_select_related = ("user",)
    inlines = [ReservationLineInline]
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return can_use_admin(request.user)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
