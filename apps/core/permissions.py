"""Role permissions. A user object answers `has_role(role)`; superusers hold every role."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .roles import Role


class HasRole(BasePermission):
    """Authenticated and holding `role`. Subclass and set `role`."""

    role: Role

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(self.role))


class IsStaff(HasRole):
    role = Role.STAFF
    message = "This action needs the staff role."


class IsWarehouseAdmin(HasRole):
    role = Role.WAREHOUSE_ADMIN
    message = "This action needs the warehouse_admin role."


class IsCustomer(HasRole):
    role = Role.CUSTOMER
    message = "This action needs the customer role."


class ReadOnlyOr(BasePermission):
    """Anyone may read (GET, HEAD, OPTIONS); writes need `role`. Subclass and set it."""

    role: Role

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(self.role))


class IsStaffOrReadOnly(ReadOnlyOr):
    role = Role.STAFF
    message = "Changing the catalog needs the staff role."
