"""Throttling of the sign-up and token endpoints per client address."""

import pytest

from apps.accounts.models import User
from apps.accounts.tests.helpers import post_login, post_signup
from apps.core.tests.helpers import assert_envelope

pytestmark = pytest.mark.django_db


# --- throttling --------------------------------------------------------------


def test_token_endpoint_is_throttled_with_429_and_retry_after(api_client, user, settings):
    # given a low rate for this test
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_token": "3/minute", "auth_signup": "2/minute"},
    }
    # when
    statuses = [post_login(api_client, user.email, "wrong").status_code for _ in range(3)]
    throttled = post_login(api_client, user.email)
    # then: even the right password is refused once throttled
    assert statuses == [401, 401, 401]
    error = assert_envelope(throttled, 429, "throttled")
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert error["details"]["retry_after_seconds"] > 0


def test_signup_is_throttled_per_client_ip(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_token": "3/minute", "auth_signup": "2/minute"},
    }
    assert post_signup(api_client, email="a1@example.com").status_code == 201
    assert post_signup(api_client, email="a2@example.com").status_code == 201
    assert_envelope(post_signup(api_client, email="a3@example.com"), 429, "throttled")
    # the same address stays refused, another address is counted apart
    assert post_signup(api_client, email="a4@example.com").status_code == 429
    from rest_framework.test import APIClient

    elsewhere = APIClient(REMOTE_ADDR="10.9.8.7")
    assert post_signup(elsewhere, email="a5@example.com").status_code == 201
    assert User.objects.count() == 3
