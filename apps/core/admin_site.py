from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from .roles import Role


def can_use_admin(user) -> bool:
    return bool(
        user.is_active and (user.has_role(Role.STAFF) or user.has_role(Role.WAREHOUSE_ADMIN))
    )


class PlatformAdminLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not can_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class PlatformAdminSite(admin.AdminSite):
    """The admin for staff and warehouse admins. What each one sees is decided per
    model by its ModelAdmin's permissions (Django's model permissions, or a role)."""

    site_header = "Inventory reservation platform"
    site_title = "Inventory admin"
    index_title = "Operations"
    login_form = PlatformAdminLoginForm

    def has_permission(self, request) -> bool:
        return can_use_admin(request.user)


def request_has_role(request, role: Role) -> bool:
    """For ModelAdmin permission methods, which also run for the anonymous visitor
    of the login page."""
    user = request.user
    return bool(user.is_authenticated and user.has_role(role))


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """For records that change only through their services (the ledger,
    reservations): viewable by whom `can_view` admits, never added, changed or
    deleted here."""

    show_full_result_count = False

    def can_view(self, request) -> bool:
        return can_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self.can_view(request)

    def has_module_permission(self, request):
        return self.can_view(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
