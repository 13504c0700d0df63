from django.contrib import admin

from apps.core.admin_site import ReadOnlyModelAdmin
from apps.core.roles import Role

from .models import PointEntry, PointLot, PointWallet


class StaffReadOnlyAdmin(ReadOnlyModelAdmin):
    """Points change only through their services (earn, use, cancel, expire), so
    the wallet, its lots and its ledger always agree. Staff may look."""

    view_roles = (Role.STAFF,)


@admin.register(PointWallet)
class PointWalletAdmin(StaffReadOnlyAdmin):
    list_display = (
        "id",
        "user",
        "company",
        "free_balance",
        "paid_balance",
        "version",
        "updated_at",
    )
    list_select_related = ("user", "company")
    search_fields = ("user__email", "=user__id", "company__name", "=company__id")


@admin.register(PointEntry)
class PointEntryAdmin(StaffReadOnlyAdmin):
    """The ledger, read-only: no add, change or delete, for anyone."""

    list_display = (
        "id",
        "created_at",
        "user",
        "company",
        "type",
        "amount",
        "free_delta",
        "paid_delta",
        "free_after",
        "paid_after",
        "cancels",
        "order_id",
        "actor",
    )
    list_filter = ("type", "write_locked")
    list_select_related = ("user", "company", "actor", "cancels")
    search_fields = ("user__email", "=user__id", "=company__id", "order_id", "description")


@admin.register(PointLot)
class PointLotAdmin(StaffReadOnlyAdmin):
    list_display = ("id", "user", "company", "kind", "amount", "remaining", "expires_at", "entry")
    list_filter = ("kind",)
    list_select_related = ("user", "company", "entry")
    search_fields = ("user__email", "=user__id", "=company__id")
