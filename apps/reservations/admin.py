from django.contrib import admin
from django.utils import timezone

from apps.core.admin_site import ReadOnlyModelAdmin
from apps.stock.holds.rules import hold_status, hold_status_q
from apps.stock.models import Reservation, ReservationLine, ReservationStatus


class StatusNowFilter(admin.SimpleListFilter):
    """By status as the API reads it: a pending hold past its expiry is expired."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ReservationStatus.choices

    def queryset(self, request, queryset):
        if self.value() in ReservationStatus.values:
            return queryset.filter(hold_status_q(self.value(), timezone.now()))
        return queryset


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

    list_display = ("id", "order_id", "user", "status_now", "expires_at", "created_at")
    list_filter = (StatusNowFilter,)
    fields = (
        "order_id",
        "user",
        "status_now",
        "expires_at",
        "created_at",
        "confirmed_at",
        "cancelled_at",
        "expired_at",
    )
    readonly_fields = fields
    search_fields = ("order_id", "=id", "user__email")
    list_select_related = ("user",)
    inlines = [ReservationLineInline]

    @admin.display(description="status", ordering="status")
    def status_now(self, reservation: Reservation) -> str:
        """As the API reads it; "(sweep pending)" while the sweeper has yet to
        give a due hold's units back."""
        now_status = hold_status(reservation.status, reservation.expires_at, timezone.now())
        if now_status != reservation.status:
            return f"{now_status} (sweep pending)"
        return now_status
