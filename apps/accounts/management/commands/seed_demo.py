from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import User

DEMO_USERS = (
    # email, password, is_staff, is_warehouse_admin
    ("staff@example.com", "demo-staff-2026", True, False),
    ("warehouse@example.com", "demo-warehouse-2026", False, True),
    ("customer@example.com", "demo-customer-2026", False, False),
)


class Command(BaseCommand):
    help = "Load demo data for a first look: a staff user, a warehouse admin and a customer."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (not for production)."
        )

    @transaction.atomic
    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with known passwords; use --force.")
        self.stdout.write("Demo users (email / password / roles):")
        for email, password, is_staff, is_warehouse_admin in DEMO_USERS:
            user, _ = User.objects.get_or_create(email=email)
            user.is_staff = is_staff
            user.is_warehouse_admin = is_warehouse_admin
            user.set_password(password)
            user.save()
            self.stdout.write(f"  {email:24} {password:22} {', '.join(user.roles)}")
