"""Property-based fuzzing of every operation in the OpenAPI schema: whatever the
input (wrong types, huge numbers, odd strings, missing fields), no 500.

Runs in-process against the WSGI app on the real PostgreSQL and Redis. New
endpoints join automatically as they appear in the schema.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def wsgi_in_test_transaction():
    """Like Django's test client: requests must not close the connection that
    holds the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_header(db, settings, wsgi_in_test_transaction):
    from apps.accounts.tests.helpers import UserFactory

    # Throttles would turn most generated logins into 429s and hide the handlers.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_token": "100000/minute", "auth_signup": "100000/minute"},
    }
    user = UserFactory(is_staff=True, is_warehouse_admin=True)
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_produces_a_server_error(case, auth_header):
    # as an authenticated user holding every role, and anonymously
    case.call_and_validate(headers=auth_header, checks=[not_a_server_error])
    case.call_and_validate(checks=[not_a_server_error])
