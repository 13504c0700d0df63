from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User, normalize_email_address
from apps.accounts.services import user_role_set
from apps.core.errors import ValidationFailed
from apps.core.roles import Role


class Command(BaseCommand):
    help = "Grant (or with --revoke, take back) a role: customer, warehouse_admin or staff."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--revoke", action="store_true", help="Revoke instead of grant.")

    def handle(self, *args, email: str, role: str, revoke: bool, **options):
        user = User.objects.filter(email=normalize_email_address(email)).first()
        if user is None:
            raise CommandError(f"No user with email {email!r}.")
        try:
            user = user_role_set(user=user, role=Role(role), granted=not revoke)
        except ValidationFailed as exc:
            raise CommandError(str(exc.details)) from exc
        verb = "Revoked" if revoke else "Granted"
        self.stdout.write(f"{verb} {role} for {user.email}; roles now: {', '.join(user.roles)}")
