"""django-silk on /silk/: mounted only with SILK_ENABLED=true, and for staff only."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from apps.accounts.models import User

call_command("migrate", verbosity=0)
staff = User.objects.create_user("s@example.com", "x", is_staff=True)
customer = User.objects.create_user("c@example.com", "x")
client = Client()
anonymous = client.get("/silk/")
client.force_login(customer)
as_customer = client.get("/silk/").status_code
client.force_login(staff)
as_staff = client.get("/silk/").status_code
print(anonymous.status_code, anonymous.get("Location", ""), as_customer, as_staff)
"""


def test_silk_serves_staff_and_turns_away_others_when_enabled(tmp_path):
    # given silk switched on, on a throwaway database
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "SILK_ENABLED": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'silk.sqlite3'}",
        "LOG_DIR": str(tmp_path),
    }
    # when
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    # then
    assert result.returncode == 0, result.stderr[-3000:]
    anonymous, location, as_customer, as_staff = result.stdout.split()[-4:]
    assert (anonymous, as_customer, as_staff) == ("302", "403", "200")
    assert location.startswith("/admin/login/")


@pytest.mark.django_db
def test_silk_is_not_mounted_by_default(client):
    assert settings.SILK_ENABLED is False
    assert client.get("/silk/").status_code == 404
