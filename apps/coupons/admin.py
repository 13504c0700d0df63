from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from apps.core.admin_site import ReadOnlyModelAdmin, can_use_admin, request_has_role
from apps.core.errors import DomainError
from apps.core.roles import Role

from . import services
from .models import Coupon, CouponIssue

FIELDS = (
    "name",
    "discount_amount",
    "discount_rate",
    "total_quantity",
    "starts_at",
    "ends_at",
    "product",
    "min_order_amount",
)


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    """Staff create and edit drops; every write goes through the services, so an
    edit takes the coupon's row lock and a changed total clears the sold-out
    flag. Never deleted (issues point at it)."""

    list_display = (
        "id",
        "name",
        "total_quantity",
        "issued_count",
        "starts_at",
        "ends_at",
        "discount_amount",
        "discount_rate",
    )
    search_fields = ("name", "=id")
    fields = (*FIELDS, "issued_count", "created_at", "updated_at")
    readonly_fields = ("issued_count", "created_at", "updated_at")
    raw_id_fields = ("product",)
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return can_use_admin(request.user)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return request_has_role(request, Role.STAFF)

    def has_change_permission(self, request, obj=None):
        return request_has_role(request, Role.STAFF)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        values = {
            field: form.cleaned_data.get(field) for field in FIELDS if field in form.cleaned_data
        }
        product = values.pop("product", None)
        values["product_id"] = product.pk if product else None
        try:
            if change:
                changed = {
                    ("product_id" if f == "product" else f) for f in form.changed_data
                } & set(values)
                saved = services.coupon_update(
                    coupon_id=obj.pk, changes={f: values[f] for f in changed}
                )
            else:
                saved = services.coupon_create(data=services.CouponData(**values))
        except DomainError as exc:
            # A refusal decided under the lock (e.g. a claim raced past the
            # form's check of issued_count): shown, nothing saved.
            request._coupon_admin_error = exc
            return
        obj.pk, obj.issued_count = saved.pk, saved.issued_count

    def _refused(self, request, obj):
        exc = getattr(request, "_coupon_admin_error", None)
        if exc is None:
            return None
        self.message_user(request, f"Not saved: {exc.message} {exc.details or ''}", messages.ERROR)
        return HttpResponseRedirect(request.path)

    def response_add(self, request, obj, post_url_continue=None):
        return self._refused(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._refused(request, obj) or super().response_change(request, obj)

    def log_addition(self, request, obj, message):
        if getattr(request, "_coupon_admin_error", None) is None:
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if getattr(request, "_coupon_admin_error", None) is None:
            return super().log_change(request, obj, message)
        return None


@admin.register(CouponIssue)
class CouponIssueAdmin(ReadOnlyModelAdmin):
    """Read-only: issues change only through their services (claim, redeem,
    release), so the coupon's count always matches its rows."""

    list_display = ("code", "coupon", "user", "status", "created_at", "redeemed_at")
    list_filter = ("status",)
    search_fields = ("=code", "user__email", "=coupon__id")
    list_select_related = ("coupon", "user")
