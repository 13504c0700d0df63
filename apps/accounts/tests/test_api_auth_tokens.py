"""JWT pairs over HTTP: POST /api/v1/auth/token/, .../token/refresh/ (rotation) and
/api/v1/auth/logout/."""

from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.accounts.models import User
from apps.accounts.tests.helpers import (
    DEFAULT_PASSWORD,
    LOGOUT,
    ME,
    REFRESH,
    TOKEN,
    UserFactory,
    post_login,
)
from apps.core.tests.helpers import assert_envelope, client_for

pytestmark = pytest.mark.django_db


# --- token -------------------------------------------------------------------


def test_token_returns_a_working_access_and_refresh_pair(api_client, user):
    # when
    response = post_login(api_client, user.email.upper())
    # then
    assert response.status_code == 200, response.content
    pair = response.json()
    assert set(pair) == {"access", "refresh"}
    me = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert me.json() == {"id": user.id, "email": user.email, "roles": ["customer"]}


@pytest.mark.parametrize(
    ("email", "password"),
    [("user-missing@example.com", DEFAULT_PASSWORD), (None, "wrong-password")],
)
def test_token_returns_401_for_wrong_credentials(api_client, user, email, password):
    response = post_login(api_client, email or user.email, password)
    error = assert_envelope(response, 401, "authentication_failed")
    assert "credentials" in error["message"]


def test_token_returns_401_for_an_inactive_user(api_client):
    user = UserFactory(is_active=False)
    assert_envelope(post_login(api_client, user.email), 401, "authentication_failed")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "x@example.com"},
        {"password": "x"},
        {"email": ["x"], "password": "y"},
        {"email": "x\x00y@example.com", "password": "y"},
        {"email": "x", "password": "y" * 5000},
    ],
)
def test_token_returns_400_for_malformed_input(api_client, body):
    assert_envelope(api_client.post(TOKEN, body, format="json"), 400, "invalid")


# --- refresh -----------------------------------------------------------------


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api_client, user):
    # given
    old = post_login(api_client, user.email).json()["refresh"]
    # when
    response = api_client.post(REFRESH, {"refresh": old}, format="json")
    # then
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["refresh"] != old
    assert api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {new['access']}").status_code == 200
    replay = api_client.post(REFRESH, {"refresh": old}, format="json")
    assert_envelope(replay, 401, "token_not_valid")
    assert api_client.post(REFRESH, {"refresh": new["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 4000])
def test_refresh_returns_401_for_a_garbage_token(api_client, token):
    assert_envelope(
        api_client.post(REFRESH, {"refresh": token}, format="json"), 401, "token_not_valid"
    )


def test_refresh_returns_401_for_an_access_token(api_client, user):
    access = str(AccessToken.for_user(user))
    assert_envelope(
        api_client.post(REFRESH, {"refresh": access}, format="json"), 401, "token_not_valid"
    )


def test_refresh_returns_401_for_an_expired_token(api_client, user):
    token = RefreshToken.for_user(user)
    token.set_exp(lifetime=-timedelta(minutes=1))
    assert_envelope(
        api_client.post(REFRESH, {"refresh": str(token)}, format="json"), 401, "token_not_valid"
    )


def test_refresh_returns_401_once_the_user_is_deactivated(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_envelope(
        api_client.post(REFRESH, {"refresh": refresh}, format="json"), 401, "token_not_valid"
    )


def test_refresh_returns_400_when_the_field_is_missing(api_client):
    error = assert_envelope(api_client.post(REFRESH, {}, format="json"), 400, "invalid")
    assert set(error["details"]) == {"refresh"}


# --- logout ------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api_client, user):
    # given
    pair = post_login(api_client, user.email).json()
    client = client_for(user)
    # when
    response = client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")
    # then
    assert response.status_code == 205
    assert_envelope(
        api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json"),
        401,
        "token_not_valid",
    )
    again = client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")
    assert_envelope(again, 400, "invalid")


def test_logout_returns_401_without_an_access_token(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    assert_envelope(
        api_client.post(LOGOUT, {"refresh": refresh}, format="json"), 401, "not_authenticated"
    )


def test_logout_returns_400_for_another_users_refresh_token_and_leaves_it_valid(user):
    # given
    other = UserFactory()
    others_refresh = str(RefreshToken.for_user(other))
    # when
    response = client_for(user).post(LOGOUT, {"refresh": others_refresh}, format="json")
    # then
    assert_envelope(response, 400, "invalid")
    assert (
        client_for(other).post(LOGOUT, {"refresh": others_refresh}, format="json").status_code
        == 205
    )


@pytest.mark.parametrize("body", [{}, {"refresh": "garbage"}, {"refresh": 12}, {"refresh": []}])
def test_logout_returns_400_for_bad_input(user_client, body):
    assert_envelope(user_client.post(LOGOUT, body, format="json"), 400, "invalid")
