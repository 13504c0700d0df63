"""Access tokens on requests: GET /api/v1/auth/me/, expiry, signing keys, roles in
the token and deactivated users."""

from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.models import User
from apps.accounts.tests.helpers import (
    ME,
    REFRESH,
    UserFactory,
    post_login,
)
from apps.core.tests.helpers import assert_envelope, client_for

pytestmark = pytest.mark.django_db


# --- me ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "roles"),
    [
        ({}, ["customer"]),
        ({"is_staff": True}, ["customer", "staff"]),
        ({"is_warehouse_admin": True}, ["customer", "warehouse_admin"]),
        ({"is_superuser": True}, ["customer", "warehouse_admin", "staff"]),
    ],
)
def test_me_returns_the_roles_of_the_user(flags, roles):
    user = UserFactory(**flags)
    response = client_for(user).get(ME)
    assert response.status_code == 200
    assert response.json() == {"id": user.id, "email": user.email, "roles": roles}


def test_me_returns_401_for_an_expired_access_token(api_client, user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(minutes=5))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_envelope(api_client.get(ME), 401, "token_not_valid")


def test_an_access_token_verified_before_is_refused_once_it_expires(api_client, user, monkeypatch):
    # given a token the process has verified (and keeps as verified)
    token = AccessToken.for_user(user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get(ME).status_code == 200

    # when the clock passes its expiry (and the leeway)
    from rest_framework_simplejwt import tokens

    from apps.accounts import authentication

    later = tokens.aware_utcnow() + timedelta(hours=1)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    monkeypatch.setattr(tokens, "aware_utcnow", lambda: later)

    # then it is refused as any expired token is
    assert_envelope(api_client.get(ME), 401, "token_not_valid")


def test_me_returns_401_for_a_token_signed_with_another_key(api_client, user, settings):
    from rest_framework_simplejwt.backends import TokenBackend

    forged = TokenBackend("HS256", signing_key="not-our-key-but-long-enough-for-hs256").encode(
        {"token_type": "access", "user_id": str(user.id), "jti": "x", "exp": 9999999999}
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_envelope(api_client.get(ME), 401, "token_not_valid")


def test_a_deactivated_user_keeps_the_access_token_until_expiry_but_cannot_refresh(
    api_client, user, django_assert_num_queries
):
    # given a logged-in user who is then deactivated
    pair = post_login(api_client, user.email).json()
    User.objects.filter(pk=user.pk).update(is_active=False)
    # when / then: the access token is trusted without a query (stateless)...
    with django_assert_num_queries(0):
        response = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert response.status_code == 200
    assert response.json()["roles"] == ["customer"]
    # ...but no new one is issued
    assert_envelope(
        api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json"),
        401,
        "token_not_valid",
    )


def test_a_deactivated_user_is_refused_at_once_with_stateless_auth_off(user, settings):
    settings.JWT_STATELESS_AUTH = False
    client = client_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_envelope(client.get(ME), 401, "authentication_failed")


def test_a_token_without_roles_is_checked_against_the_database(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    assert api_client.get(ME).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_client.get(ME).status_code == 401


def test_role_changes_reach_the_next_access_token(api_client, user):
    # given a customer's token pair
    pair = post_login(api_client, user.email).json()
    from apps.accounts.services import user_role_set
    from apps.core.roles import Role

    # when granted warehouse_admin and the token is refreshed
    user_role_set(user=user, role=Role.WAREHOUSE_ADMIN, granted=True)
    new = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").json()
    # then the new access token carries the role
    me = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {new['access']}").json()
    assert me["roles"] == ["customer", "warehouse_admin"]


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer a b", "Basic Zm9vOmJhcg=="])
def test_me_rejects_malformed_authorization_headers_with_401(api_client, header):
    response = api_client.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {
        "not_authenticated",
        "token_not_valid",
        "authentication_failed",
    }
