from django.contrib import admin

from apps.core.admin_site import ReadOnlyInline, ReadOnlyModelAdmin, RoleModelAdmin
from apps.core.roles import Role

from .models import (
    SETTLEMENT_FIGURES,
    Company,
    Membership,
    Settlement,
    SettlementChunk,
    SettlementRun,
)


class StaffAdmin(RoleModelAdmin):
    """Staff read and edit (a company's name and active flag, a member's role);
    companies are created through the API, with their wallet."""

    view_roles = change_roles = (Role.STAFF,)


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields


@admin.register(Company)
class CompanyAdmin(StaffAdmin):
    list_display = ("id", "name", "registration_number", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "=registration_number", "=id")
    fields = ("name", "registration_number", "is_active", "created_at")
    readonly_fields = ("registration_number", "created_at")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(StaffAdmin):
    list_display = ("id", "company", "user", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("company", "user")
    search_fields = ("company__name", "user__email", "=company__id", "=user__id")
    fields = ("company", "user", "role", "created_at")
    readonly_fields = ("company", "user", "created_at")


class ReadOnlyStaffAdmin(ReadOnlyModelAdmin):
    """Settlements are written by their services only; staff may look."""

    view_roles = (Role.STAFF,)


class SettlementChunkInline(ReadOnlyInline):
    model = SettlementChunk
    fields = (
        "number",
        "first_company_id",
        "last_company_id",
        "companies",
        "status",
        "attempts",
        "last_error",
        "finished_at",
    )
    readonly_fields = fields


@admin.register(SettlementRun)
class SettlementRunAdmin(ReadOnlyStaffAdmin):
    list_display = (
        "id",
        "period",
        "status",
        "companies_done",
        "companies_total",
        "chunks_total",
        "started_at",
        "finished_at",
    )
    list_filter = ("status",)
    inlines = [SettlementChunkInline]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyStaffAdmin):
    list_display = ("company", "period", *SETTLEMENT_FIGURES)
    list_filter = ("period",)
    list_select_related = ("company",)
    search_fields = ("company__name", "=company__id", "=company__registration_number")
