from django.contrib import admin, messages

from apps.core.admin_site import RoleModelAdmin
from apps.core.roles import Role
from apps.products.admin import ProductAdmin
from apps.products.models import Product

from . import services
from .models import LOW_STOCK, Stock


class LowStockFilter(admin.SimpleListFilter):
    title = "low stock"
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return [("yes", "Low stock")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(LOW_STOCK)
        return queryset


@admin.register(Stock)
class StockAdmin(RoleModelAdmin):
    """Counts are read-only here: they change only through inbound and adjust (the
    API, with their ledger movements). Staff read them; warehouse admins also
    edit the alert levels."""

    view_roles = (Role.STAFF, Role.WAREHOUSE_ADMIN)
    change_roles = (Role.WAREHOUSE_ADMIN,)

    list_display = (
        "id",
        "product",
        "warehouse",
        "on_hand",
        "reserved",
        "available",
        "reorder_point",
        "low_stock",
    )
    list_filter = ("warehouse", LowStockFilter)
    list_select_related = ("product", "warehouse")
    search_fields = ("product__sku",)
    readonly_fields = ("product", "warehouse", "on_hand", "reserved", "created_at", "updated_at")
    fields = (*readonly_fields[:4], "min_stock_level", "reorder_point", *readonly_fields[4:])

    @admin.display(boolean=True)
    def low_stock(self, obj):
        return obj.low_stock

    def save_model(self, request, obj, form, change):
        from .services import stock_levels_update

        stock_levels_update(
            stock=obj,
            min_stock_level=form.cleaned_data.get("min_stock_level"),
            reorder_point=form.cleaned_data.get("reorder_point"),
        )
        messages.info(request, "Alert levels saved; counts change only through inbound/adjust.")


admin.site.unregister(Product)


@admin.register(Product)
class ProductDeleteAdmin(ProductAdmin):
    """The catalog's admin, deleting through `product_delete`: hidden, never
    removed, and refused while units of the product are held."""

    def delete_model(self, request, obj):
        services.product_delete(product_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for product in queryset:
            services.product_delete(product_id=product.pk)
