"""Sign-up over HTTP: POST /api/v1/auth/signup/."""

import pytest

from apps.accounts.models import User
from apps.accounts.tests.helpers import SIGNUP, STRONG, post_signup
from apps.core.tests.helpers import assert_envelope

pytestmark = pytest.mark.django_db


# --- signup ------------------------------------------------------------------


def test_signup_creates_a_customer_and_returns_id_and_email(api_client):
    # when
    response = post_signup(api_client, email="  Alice@Example.COM ")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {"id": body["id"], "email": "alice@example.com"}
    user = User.objects.get(pk=body["id"])
    assert user.check_password(STRONG)
    assert user.roles == ["customer"]


def test_signup_returns_400_for_a_duplicate_email_in_any_case(api_client, user):
    response = post_signup(api_client, email=user.email.upper())
    error = assert_envelope(response, 400, "invalid")
    assert error["details"] == {"email": ["A user with this email already exists."]}
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1A", "password123", "12345678901", "new@example.com", "newexample"],
)
def test_signup_returns_400_for_a_weak_password(api_client, password):
    response = post_signup(api_client, password=password)
    error = assert_envelope(response, 400, "invalid")
    assert list(error["details"]) == ["password"]
    assert not User.objects.exists()


def test_signup_returns_400_when_passwords_do_not_match(api_client):
    response = post_signup(api_client, confirm=STRONG + "x")
    error = assert_envelope(response, 400, "invalid")
    assert error["details"] == {"password_confirm": ["Passwords do not match."]}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"email", "password", "password_confirm"}),
        ({"email": "x@example.com"}, {"password", "password_confirm"}),
        ({"email": "not-an-email", "password": STRONG, "password_confirm": STRONG}, {"email"}),
        ({"email": ["x@example.com"], "password": STRONG, "password_confirm": STRONG}, {"email"}),
        ({"email": {"a": 1}, "password": STRONG, "password_confirm": STRONG}, {"email"}),
        (
            {"email": "x@example.com", "password": None, "password_confirm": None},
            {"password", "password_confirm"},
        ),
        (
            {"email": "x@example.com", "password": "p" * 129, "password_confirm": "p" * 129},
            {"password", "password_confirm"},
        ),
        (
            {"email": "a" * 250 + "@example.com", "password": STRONG, "password_confirm": STRONG},
            {"email"},
        ),
        (
            {"email": "nul\x00@example.com", "password": STRONG, "password_confirm": STRONG},
            {"email"},
        ),
        (
            {
                "email": "x@example.com",
                "password": "nul\x00Walrus-99",
                "password_confirm": "nul\x00Walrus-99",
            },
            {"password", "password_confirm"},
        ),
    ],
)
def test_signup_returns_400_naming_each_bad_field(api_client, body, fields):
    response = api_client.post(SIGNUP, body, format="json")
    error = assert_envelope(response, 400, "invalid")
    assert set(error["details"]) == fields
    assert not User.objects.exists()


@pytest.mark.parametrize("body", [[], "a string", 12, None])
def test_signup_returns_400_for_a_body_that_is_not_an_object(api_client, body):
    response = api_client.post(SIGNUP, body, format="json")
    assert_envelope(response, 400, "invalid")
