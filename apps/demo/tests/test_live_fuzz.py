"""Schemathesis against the live server (gunicorn on this run's database, with
the demo data), once for each role and anonymously: every phase (the schema's
examples, coverage, fuzzing, and stateful sequences along the links it infers,
e.g. a reservation created then confirmed), bounded in time. No answer may be
a 5xx; the audit runs after (apps/conftest.py)."""

import os
import subprocess

import pytest

from apps.accounts.models import User
from apps.accounts.tokens import PlatformAccessToken
from apps.core.testing import gunicorn_on_test_database

from .schema import ROOT, USERS, seed

SCHEMATHESIS = str(ROOT / ".venv" / "bin" / "schemathesis")
SECONDS_PER_ROLE = int(os.environ.get("LIVE_FUZZ_SECONDS", "12"))

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def roles() -> list[str]:
    return ["anonymous", *USERS]


def test_no_role_gets_a_server_error_from_the_live_server(roles):
    seed()
    failures = {}
    with gunicorn_on_test_database(workers=2) as server:
        for role in roles:
            headers = []
            if role != "anonymous":
                user = User.objects.get(email=USERS[role])
                headers = ["-H", f"Authorization: Bearer {PlatformAccessToken.for_user(user)}"]
            run = subprocess.run(
                [
                    SCHEMATHESIS,
                    "run",
                    f"{server.base_url}/api/schema/?format=json",
                    "--checks",
                    "not_a_server_error",
                    "--max-time",
                    str(SECONDS_PER_ROLE),
                    "--request-timeout",
                    "10",
                    *headers,
                ],
                capture_output=True,
                text=True,
                timeout=SECONDS_PER_ROLE + 120,
                check=False,
            )
            if run.returncode != 0 or "generated, " not in run.stdout:
                failures[role] = run.stdout[-3000:] + run.stderr[-1000:]
    assert not failures, failures
