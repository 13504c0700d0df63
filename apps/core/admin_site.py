from functools import wraps

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse

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

    def admin_view(self, view, cacheable=False):
        """A page refused to the signed-in user (PermissionDenied) answers the
        admin's own page, saying which role it needs and which the user holds,
        rather than a bare "403 Forbidden"."""
        inner = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)

        @wraps(inner)
        def refusing(request, *args, **kwargs):
            try:
                return inner(request, *args, **kwargs)
            except PermissionDenied:
                return self.refused(request, model_admin)

        return refusing

    def refused(self, request, model_admin=None) -> TemplateResponse:
        reason = getattr(model_admin, "refusal_reason", None)
        context = {
            **self.each_context(request),
            "title": "Not open to your role",
            "reason": reason(request) if reason else "This page needs a role you do not hold.",
            "your_roles": [role.label for role in Role if request.user.has_role(role)],
        }
        return TemplateResponse(request, "admin/refused.html", context, status=403)


def request_has_role(request, role: Role) -> bool:
    """For ModelAdmin permission methods, which also run for the anonymous visitor
    of the login page."""
    user = request.user
    return bool(user.is_authenticated and user.has_role(role))


def _holds_any(request, roles) -> bool:
    return any(request_has_role(request, role) for role in roles)


def _names(roles) -> str:
    labels = [str(Role(role).label).lower() for role in dict.fromkeys(roles)]
    return " or ".join(f"the {label} role" for label in labels)


class RoleModelAdmin(admin.ModelAdmin):
    """Who may read these rows and who may change them, by role. Rows are never
    added or deleted here: they change through their services, which write
    their ledgers. A refused page says which role it needs (PlatformAdminSite)."""

    view_roles: tuple[Role, ...] = (Role.STAFF, Role.WAREHOUSE_ADMIN)
    change_roles: tuple[Role, ...] = ()
    show_full_result_count = False

    def can_view(self, request) -> bool:
        return _holds_any(request, (*self.view_roles, *self.change_roles))

    def has_view_permission(self, request, obj=None):
        return self.can_view(request)

    def has_module_permission(self, request):
        return self.can_view(request)

    def has_change_permission(self, request, obj=None):
        return _holds_any(request, self.change_roles)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def refusal_reason(self, request) -> str:
        name = str(self.model._meta.verbose_name_plural).capitalize()
        if not self.can_view(request):
            return f"{name} are shown to {_names((*self.view_roles, *self.change_roles))}."
        if self.change_roles and not _holds_any(request, self.change_roles):
            return f"{name} are changed by {_names(self.change_roles)} only; you may read them."
        return (
            f"{name} change only through the platform's services (the API), each change "
            "recorded: nobody adds or deletes them here."
        )


class ReadOnlyModelAdmin(RoleModelAdmin):
    """For records that change only through their services (the ledger,
    reservations): viewable by `view_roles`, never added, changed or deleted
    here."""


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on their parent's page to `view_roles`, never edited there."""

    view_roles: tuple[Role, ...] = (Role.STAFF,)
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None) -> bool:
        return _holds_any(request, self.view_roles)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
