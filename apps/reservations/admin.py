from django.contrib import admin

from apps.core.admin_site import ReadOnlyModelAdmin
from apps.stock.models import Reservation, ReservationLine


class ReservationLineInline(admin.TabularInline):
    model = ReservationLine
    fields = ("product", "warehouse", "quantity", "pending", "expires_at")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyModelAdmin):
    """Read-only: reservations change only through their services (the API), so
    stock, lines and the ledger always move together."""

    list_display = ("id", "order_id", "user", "status", "expires_at", "created_at")
    list_filter = ("status",)
    search_fields = ("order_id", "=id", "user__email")
    list_select_related = ("user",)
    inlines = [ReservationLineInline]
