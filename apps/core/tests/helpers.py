"""The API contract for tests of every app: clients, the error envelope, and
Idempotency-Keys for services called directly."""

from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.tests.helpers import DEFAULT_PASSWORD, UserFactory
from apps.accounts.tokens import PlatformAccessToken
from apps.core.idempotency import Idempotency


def _no_fractional_number(text: str):
    raise AssertionError(
        f"the response holds the JSON number {text}: docs/api.md has no fractional numbers "
        "(quantities and points are integers, money is a string)"
    )


class ContractClient(APIClient):
    """An API client whose `response.json()` also holds the body to docs/api.md's
    types: an integer rendered as `3.0` fails the test that reads it."""

    def _parse_json(self, response, **extra):
        extra.setdefault("parse_float", _no_fractional_number)
        return super()._parse_json(response, **extra)


def client_for(user) -> APIClient:
    """An API client holding `user`'s access token."""
    client = ContractClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {PlatformAccessToken.for_user(user)}")
    return client


def admin_session(**roles) -> Client:
    """A browser session of a new user with `roles`, logged in to the admin."""
    client = Client()
    user = UserFactory(**roles)
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    return client


def assert_envelope(response, status: int, code: str) -> dict:
    """The response is the one error shape of docs/api.md with this status and code;
    answers its `error` object."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def idempotency_key(user, key: str = "k", *, fingerprint: str = "f", route: str = "POST /t"):
    """An Idempotency-Key as a view hands it to a service: `user`'s `key` on
    `route` for a body whose fingerprint is `fingerprint`."""
    return Idempotency(user_id=user.pk, route=route, key=key, fingerprint=fingerprint)
