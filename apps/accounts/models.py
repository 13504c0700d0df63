from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from apps.core.models import TimeStampedModel
from apps.core.roles import Role


def normalize_email_address(email: str) -> str:
    """Emails are one login whatever their case: stored and looked up in lower case."""
    return email.strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email_address(username))

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email_address(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self.create_user(email, password, **extra_fields)


class User(TimeStampedModel, AbstractBaseUser, PermissionsMixin):
    """A person with an email login. Roles (docs/api.md): every user is a `customer`;
    `warehouse_admin` is granted; `staff` is `is_staff`; a superuser holds all."""

    email = models.EmailField(max_length=254, unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="The staff role: catalog, coupons, points earn, all reports."
    )
    is_warehouse_admin = models.BooleanField(
        default=False, help_text="The warehouse_admin role: stock writes, ledger, stock reports."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "accounts_user"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="accounts_user_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def has_role(self, role: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser or role == Role.CUSTOMER:
            return True
        if role == Role.STAFF:
            return self.is_staff
        if role == Role.WAREHOUSE_ADMIN:
            return self.is_warehouse_admin
        return False

    @property
    def roles(self) -> list[str]:
        return [role.value for role in Role if self.has_role(role)]
