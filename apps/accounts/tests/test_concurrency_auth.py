"""Races on real PostgreSQL: one refresh token presented many times at once, one
email signed up many times at once."""

import threading

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts import services
from apps.accounts.models import User
from apps.accounts.tests.helpers import UserFactory
from apps.core.errors import TokenNotValid, ValidationFailed
from apps.core.testing import run_concurrently, wait_until_blocked_on_lock

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16


def test_one_refresh_token_presented_by_16_threads_rotates_exactly_once():
    # given
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))

    # when every thread presents it at the same moment
    def present(_):
        response = APIClient().post(
            "/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json"
        )
        return response.status_code, response.json()

    results = run_concurrently(present, threads=THREADS)

    # then one rotation wins, every other request is refused, nothing failed with 500
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [401] * (THREADS - 1), results
    assert {body["error"]["code"] for status, body in results if status == 401} == {
        "token_not_valid"
    }
    assert BlacklistedToken.objects.count() == 1
    assert OutstandingToken.objects.count() == 2  # the original and its one successor


def test_refresh_racing_at_the_lock_point_has_exactly_one_winner(monkeypatch):
    """Deterministic: the competing refresh starts while the first holds the row lock,
    and is let through only once PostgreSQL shows it waiting on that lock."""
    # given
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    real_lock = services.outstanding_token_lock
    competitor_result: dict = {}
    first_call = threading.Event()

    def competitor():
        try:
            competitor_result["pair"] = services.auth_token_refresh(refresh=refresh)
        except TokenNotValid as exc:
            competitor_result["error"] = exc
        finally:
            from django.db import connection

            connection.close()

    def lock_then_inject(*, jti):
        row = real_lock(jti=jti)
        if not first_call.is_set():
            first_call.set()
            thread = threading.Thread(target=competitor)
            thread.start()
            wait_until_blocked_on_lock(count=1)
            competitor_result["thread"] = thread
        return row

    monkeypatch.setattr(services, "outstanding_token_lock", lock_then_inject)

    # when
    pair = services.auth_token_refresh(refresh=refresh)
    competitor_result["thread"].join(10)

    # then the first caller rotated, the blocked competitor saw the blacklist
    assert pair.refresh != refresh
    assert isinstance(competitor_result.get("error"), TokenNotValid)
    assert "pair" not in competitor_result
    assert BlacklistedToken.objects.count() == 1


def test_one_email_signed_up_by_16_threads_creates_one_user():
    # when
    def signup(_):
        try:
            return services.user_signup(email="race@example.com", password="Tr1cky-Walrus-Lamp")
        except ValidationFailed as exc:
            return exc

    results = run_concurrently(signup, threads=THREADS)

    # then one succeeds, the others get the duplicate-email validation error
    created = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(created) == 1 and len(refused) == THREADS - 1, results
    assert all(r.details == {"email": [services.DUPLICATE_EMAIL]} for r in refused)
    assert User.objects.filter(email="race@example.com").count() == 1
