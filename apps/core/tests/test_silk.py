"""django-silk on /silk/: mounted only with SILK_ENABLED=true, and for staff only."""

import pytest
from django.conf import settings

from apps.core.testing import run_on_embedded_default

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
    # when
    result = run_on_embedded_default(tmp_path, "-c", SCRIPT, env={"SILK_ENABLED": "true"})
    # then
    assert result.returncode == 0, result.stderr[-3000:]
    anonymous, location, as_customer, as_staff = result.stdout.split()[-4:]
    assert (anonymous, as_customer, as_staff) == ("302", "403", "200")
    assert location.startswith("/admin/login/")


@pytest.mark.django_db
def test_silk_is_not_mounted_by_default(client):
    assert settings.SILK_ENABLED is False
    assert client.get("/silk/").status_code == 404
