"""Demo users for a first look (`manage.py seed_demo`): one per role, with
known passwords, so never for production."""

from .models import User

DEMO_USERS = (
    # email, password, is_staff, is_warehouse_admin, what the role can do
    (
        "staff@example.com",
        "demo-staff-2026",
        True,
        False,
        "catalog, coupons, points, companies, payments; reads stock and the ledger (admin)",
    ),
    (
        "warehouse@example.com",
        "demo-warehouse-2026",
        False,
        True,
        "inbound, adjust, stock alert levels, stock reports (API and admin)",
    ),
    (
        "customer@example.com",
        "demo-customer-2026",
        False,
        False,
        "browse, reserve, pay, coupons, own points (API only, no admin)",
    ),
)


def demo_users_ensure() -> list[tuple[User, str, str]]:
    """Each demo user, created or reset to its roles and password, with that
    password and what it can do. Safe to run again."""
    users = []
    for email, password, is_staff, is_warehouse_admin, can in DEMO_USERS:
        user, _ = User.objects.get_or_create(email=email)
        user.is_staff = is_staff
        user.is_warehouse_admin = is_warehouse_admin
        user.set_password(password)
        user.save()
        users.append((user, password, can))
    return users
