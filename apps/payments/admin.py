from django.contrib import admin, messages

from apps.core.admin_site import ReadOnlyInline, ReadOnlyModelAdmin, request_has_role
from apps.core.errors import DomainError
from apps.core.roles import Role

from .models import Order, OrderLine, Payment, PaymentAttempt, PaymentStatus
from .services import payment_cancel


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = ("product", "warehouse", "quantity", "unit_price", "line_total")


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = readonly_fields = ("id", "status", "method", "amount", "paid_at", "cancelled_at")
    show_change_link = True


class AttemptInline(ReadOnlyInline):
    model = PaymentAttempt
    fields = readonly_fields = ("operation", "outcome", "gateway_reference", "detail", "created_at")


class _StaffOnly(ReadOnlyModelAdmin):
    """Read-only: orders and payments change through their services (checkout,
    refunds, the reconciler), so stock, points and coupons move with them."""

    view_roles = (Role.STAFF,)


@admin.register(Order)
class OrderAdmin(_StaffOnly):
    list_display = ("id", "user", "status", "subtotal", "coupon_discount", "points_used", "total")
    list_filter = ("status",)
    search_fields = ("=id", "=reservation__id", "user__email")
    list_select_related = ("user",)
    inlines = [OrderLineInline, PaymentInline]


@admin.register(Payment)
class PaymentAdmin(_StaffOnly):
    list_display = ("id", "order", "user", "method", "status", "amount", "paid_at")
    list_filter = ("status", "method")
    search_fields = ("=id", "=order__id", "user__email", "gateway_reference")
    list_select_related = ("user",)
    inlines = [AttemptInline]
    actions = ["refund"]

    @admin.action(description="Refund the selected paid payments")
    def refund(self, request, queryset):
        refunded = 0
        for payment in queryset.filter(status=PaymentStatus.PAID):
            try:
                payment_cancel(payment_id=payment.pk, user=request.user, reason="refunded by staff")
            except DomainError as exc:
                self.message_user(request, f"{payment.pk}: {exc.message}", messages.ERROR)
            else:
                refunded += 1
        self.message_user(request, f"{refunded} payment(s) refunded.", messages.SUCCESS)

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # Actions need a permission Django knows; staff may refund.
        actions = super().get_actions(request)
        return actions if request_has_role(request, Role.STAFF) else {}
