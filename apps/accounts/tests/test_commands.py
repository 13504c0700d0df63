import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import User
from apps.accounts.tests.helpers import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "field"), [("warehouse_admin", "is_warehouse_admin"), ("staff", "is_staff")]
)
def test_grant_role_grants_and_revoke_takes_back(role, field, capsys):
    # given
    user = UserFactory(email="ops@example.com")
    # when
    call_command("grant_role", "OPS@example.com", role)
    # then
    user.refresh_from_db()
    assert getattr(user, field) is True
    assert role in user.roles
    assert role in capsys.readouterr().out
    call_command("grant_role", "ops@example.com", role, "--revoke")
    user.refresh_from_db()
    assert getattr(user, field) is False


def test_grant_role_fails_for_an_unknown_email():
    with pytest.raises(CommandError, match="No user"):
        call_command("grant_role", "ghost@example.com", "staff")


def test_grant_role_rejects_an_unknown_role(user):
    with pytest.raises(CommandError):
        call_command("grant_role", user.email, "emperor")


def test_customer_role_cannot_be_revoked(user):
    with pytest.raises(CommandError, match="customer"):
        call_command("grant_role", user.email, "customer", "--revoke")


def test_createsuperuser_noinput_reads_the_environment(monkeypatch):
    # given
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Sup3r-Secret-Pass")
    # when
    call_command("createsuperuser", "--noinput")
    # then
    admin = User.objects.get(email="root@example.com")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("Sup3r-Secret-Pass")
    assert admin.roles == ["customer", "warehouse_admin", "staff"]


@pytest.mark.django_db(transaction=True)  # the demo's checkout calls the gateway
def test_seed_demo_creates_one_user_per_role_and_can_run_twice(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    roles = {u.email: u.roles for u in User.objects.all()}
    assert roles == {
        "staff@example.com": ["customer", "staff"],
        "warehouse@example.com": ["customer", "warehouse_admin"],
        "customer@example.com": ["customer"],
    }
    assert "demo-customer-2026" in out
    assert User.objects.get(email="customer@example.com").check_password("demo-customer-2026")


def test_seed_demo_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_email_is_stored_lowercase_by_a_database_constraint():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Mixed@Example.com")])
