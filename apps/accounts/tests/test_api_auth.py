from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.accounts.models import User
from apps.accounts.tests.helpers import DEFAULT_PASSWORD, UserFactory
from apps.core.tests.helpers import assert_envelope, client_for

pytestmark = pytest.mark.django_db

SIGNUP, TOKEN, REFRESH, LOGOUT, ME = (
    "/api/v1/auth/signup/",
    "/api/v1/auth/token/",
    "/api/v1/auth/token/refresh/",
    "/api/v1/auth/logout/",
    "/api/v1/auth/me/",
)
STRONG = "Tr1cky-Walrus-Lamp"


def _signup(client, email="new@example.com", password=STRONG, confirm=None):
    body = {"email": email, "password": password, "password_confirm": confirm or password}
    return client.post(SIGNUP, body, format="json")


def _login(client, email, password=DEFAULT_PASSWORD):
    return client.post(TOKEN, {"email": email, "password": password}, format="json")


# --- signup ------------------------------------------------------------------


def test_signup_creates_a_customer_and_returns_id_and_email(api_client):
    # when
    response = _signup(api_client, email="  Alice@Example.COM ")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {"id": body["id"], "email": "alice@example.com"}
    user = User.objects.get(pk=body["id"])
    assert user.check_password(STRONG)
    assert user.roles == ["customer"]


def test_signup_returns_400_for_a_duplicate_email_in_any_case(api_client, user):
    response = _signup(api_client, email=user.email.upper())
    error = assert_envelope(response, 400, "invalid")
    assert error["details"] == {"email": ["A user with this email already exists."]}
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1A", "password123", "12345678901", "new@example.com", "newexample"],
)
def test_signup_returns_400_for_a_weak_password(api_client, password):
    response = _signup(api_client, password=password)
    error = assert_envelope(response, 400, "invalid")
    assert list(error["details"]) == ["password"]
    assert not User.objects.exists()


def test_signup_returns_400_when_passwords_do_not_match(api_client):
    response = _signup(api_client, confirm=STRONG + "x")
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


# --- token -------------------------------------------------------------------


def test_token_returns_a_working_access_and_refresh_pair(api_client, user):
    # when
    response = _login(api_client, user.email.upper())
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
    response = _login(api_client, email or user.email, password)
    error = assert_envelope(response, 401, "authentication_failed")
    assert "credentials" in error["message"]


def test_token_returns_401_for_an_inactive_user(api_client):
    user = UserFactory(is_active=False)
    assert_envelope(_login(api_client, user.email), 401, "authentication_failed")


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
    old = _login(api_client, user.email).json()["refresh"]
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
    pair = _login(api_client, user.email).json()
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
    pair = _login(api_client, user.email).json()
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
    pair = _login(api_client, user.email).json()
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


# --- throttling --------------------------------------------------------------


def test_token_endpoint_is_throttled_with_429_and_retry_after(api_client, user, settings):
    # given a low rate for this test
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_token": "3/minute", "auth_signup": "2/minute"},
    }
    # when
    statuses = [_login(api_client, user.email, "wrong").status_code for _ in range(3)]
    throttled = _login(api_client, user.email)
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
    assert _signup(api_client, email="a1@example.com").status_code == 201
    assert _signup(api_client, email="a2@example.com").status_code == 201
    assert_envelope(_signup(api_client, email="a3@example.com"), 429, "throttled")
    # the same address stays refused, another address is counted apart
    assert _signup(api_client, email="a4@example.com").status_code == 429
    from rest_framework.test import APIClient

    elsewhere = APIClient(REMOTE_ADDR="10.9.8.7")
    assert _signup(elsewhere, email="a5@example.com").status_code == 201
    assert User.objects.count() == 3
