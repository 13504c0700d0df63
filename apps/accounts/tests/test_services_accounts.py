"""The account services called directly (apps/accounts/services.py): sign-up,
token pairs and their rotation, logout, the purge of expired tokens and roles.
The HTTP contract is test_api_auth's; races are test_concurrency_auth's."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.accounts.models import User
from apps.accounts.services import (
    DUPLICATE_EMAIL,
    TokenPair,
    auth_logout,
    auth_token_obtain,
    auth_token_refresh,
    auth_tokens_flush_expired,
    user_role_set,
    user_signup,
)
from apps.accounts.tests.helpers import DEFAULT_PASSWORD, STRONG, UserFactory
from apps.core.errors import AuthenticationFailed, TokenNotValid, ValidationFailed
from apps.core.roles import Role

pytestmark = pytest.mark.django_db

NO_ACCOUNT = "No active account found with the given credentials."


def _jti(raw: str) -> str:
    return RefreshToken(raw, verify=False)["jti"]


def _blacklisted(raw: str) -> bool:
    return BlacklistedToken.objects.filter(token__jti=_jti(raw)).exists()


# --- sign-up -------------------------------------------------------------------


def test_signup_stores_a_customer_under_the_normalized_email_with_a_hashed_password():
    user = user_signup(email="  Alice@Example.COM ", password=STRONG)
    stored = User.objects.get()
    assert stored == user and stored.email == "alice@example.com"
    assert stored.password != STRONG and stored.check_password(STRONG)
    assert (stored.is_active, stored.is_staff, stored.is_warehouse_admin) == (True, False, False)
    assert stored.roles == ["customer"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1A", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("12345678901", "This password is entirely numeric."),
        ("alice@example.com", "The password is too similar to the email."),
    ],
)
def test_a_weak_password_is_invalid_with_the_validators_reasons(password, message):
    with pytest.raises(ValidationFailed) as raised:
        user_signup(email="ALICE@example.com", password=password)
    assert raised.value.code == "invalid"
    assert message in raised.value.details["password"]
    assert list(raised.value.details) == ["password"]
    assert not User.objects.exists()


def test_an_email_taken_in_any_case_is_invalid():
    UserFactory(email="alice@example.com")
    with pytest.raises(ValidationFailed) as raised:
        user_signup(email=" ALICE@example.com", password=STRONG)
    assert raised.value.details == {"email": [DUPLICATE_EMAIL]}
    assert User.objects.count() == 1


def test_account_services_take_keyword_arguments_only():
    user = UserFactory()
    with pytest.raises(TypeError):
        user_signup("new@example.com", STRONG)
    with pytest.raises(TypeError):
        auth_token_obtain(None, user.email, DEFAULT_PASSWORD)
    with pytest.raises(TypeError):
        user_role_set(user, Role.STAFF, True)
    assert User.objects.count() == 1 and not OutstandingToken.objects.exists()


# --- token pair ------------------------------------------------------------------


def test_a_token_pair_is_issued_for_the_right_password_and_its_refresh_recorded():
    user = UserFactory(is_warehouse_admin=True)
    pair = auth_token_obtain(request=None, email=user.email.upper(), password=DEFAULT_PASSWORD)
    assert isinstance(pair, TokenPair)
    access = AccessToken(pair.access)
    assert (access["user_id"], access["email"]) == (str(user.pk), user.email)
    assert access["roles"] == ["customer", "warehouse_admin"]
    refresh = RefreshToken(pair.refresh)
    assert refresh["roles"] == ["customer", "warehouse_admin"]
    recorded = OutstandingToken.objects.get()
    assert (recorded.jti, recorded.user_id) == (refresh["jti"], user.pk)


@pytest.mark.parametrize("wrong", ["password", "email", "inactive"])
def test_no_pair_is_issued_without_an_active_account_and_its_password(wrong):
    user = UserFactory(is_active=wrong != "inactive")
    email = "nobody@example.com" if wrong == "email" else user.email
    password = "not-the-password" if wrong == "password" else DEFAULT_PASSWORD
    with pytest.raises(AuthenticationFailed) as raised:
        auth_token_obtain(request=None, email=email, password=password)
    assert (raised.value.code, raised.value.status_code) == ("authentication_failed", 401)
    assert raised.value.message == NO_ACCOUNT
    assert not OutstandingToken.objects.exists()


# --- rotation --------------------------------------------------------------------


def test_a_refresh_rotates_the_pair_and_blacklists_the_old_refresh_token():
    # given
    user = UserFactory()
    old = auth_token_obtain(request=None, email=user.email, password=DEFAULT_PASSWORD)
    # when
    new = auth_token_refresh(refresh=old.refresh)
    # then
    assert new.refresh != old.refresh and new.access != old.access
    assert _blacklisted(old.refresh) and not _blacklisted(new.refresh)
    assert AccessToken(new.access)["user_id"] == str(user.pk)
    assert OutstandingToken.objects.count() == 2
    with pytest.raises(TokenNotValid) as raised:
        auth_token_refresh(refresh=old.refresh)
    assert (raised.value.code, raised.value.status_code) == ("token_not_valid", 401)


def test_a_refresh_reads_the_roles_again():
    user = UserFactory()
    pair = auth_token_obtain(request=None, email=user.email, password=DEFAULT_PASSWORD)
    user_role_set(user=user, role=Role.STAFF, granted=True)
    assert AccessToken(auth_token_refresh(refresh=pair.refresh).access)["roles"] == [
        "customer",
        "staff",
    ]


def test_a_refresh_token_of_a_deactivated_user_is_not_valid_and_stays_unused():
    user = UserFactory()
    pair = auth_token_obtain(request=None, email=user.email, password=DEFAULT_PASSWORD)
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(TokenNotValid) as raised:
        auth_token_refresh(refresh=pair.refresh)
    assert raised.value.message == "The token's user does not exist or is inactive."
    assert not _blacklisted(pair.refresh)
    assert OutstandingToken.objects.count() == 1


def test_a_refresh_token_with_no_record_is_not_valid():
    """A token whose record was purged cannot be locked, so it cannot rotate."""
    user = UserFactory()
    pair = auth_token_obtain(request=None, email=user.email, password=DEFAULT_PASSWORD)
    OutstandingToken.objects.all().delete()
    with pytest.raises(TokenNotValid) as raised:
        auth_token_refresh(refresh=pair.refresh)
    assert raised.value.message == "Token is blacklisted."
    assert not OutstandingToken.objects.exists()


@pytest.mark.parametrize("kind", ["garbage", "access", "expired"])
def test_what_is_not_a_live_refresh_token_is_not_valid(kind):
    user = UserFactory()
    expired = RefreshToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(minutes=1))
    raw = {
        "garbage": "a.b.c",
        "access": str(AccessToken.for_user(user)),
        "expired": str(expired),
    }[kind]
    with pytest.raises(TokenNotValid):
        auth_token_refresh(refresh=raw)
    assert not BlacklistedToken.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_rotation_and_logout_refuse_to_run_inside_another_transaction():
    """Each is its own transaction (durable): the token's lock must not be held
    by a caller's longer transaction, nor its blacklisting rolled back by it."""
    user = UserFactory()
    pair = auth_token_obtain(request=None, email=user.email, password=DEFAULT_PASSWORD)
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        auth_token_refresh(refresh=pair.refresh)
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        auth_logout(user=user, refresh=pair.refresh)
    assert not BlacklistedToken.objects.exists()


# --- logout ----------------------------------------------------------------------


def test_logout_blacklists_the_callers_refresh_token_once():
    user = UserFactory()
    pair = auth_token_obtain(request=None, email=user.email, password=DEFAULT_PASSWORD)
    auth_logout(user=user, refresh=pair.refresh)
    assert _blacklisted(pair.refresh)
    with pytest.raises(ValidationFailed) as raised:
        auth_logout(user=user, refresh=pair.refresh)
    assert raised.value.details == {"refresh": ["Token is blacklisted"]}
    assert BlacklistedToken.objects.count() == 1


def test_logout_with_another_users_token_is_refused_like_an_invalid_one():
    user, other = UserFactory(), UserFactory()
    others = auth_token_obtain(request=None, email=other.email, password=DEFAULT_PASSWORD)
    with pytest.raises(ValidationFailed) as not_theirs:
        auth_logout(user=user, refresh=others.refresh)
    with pytest.raises(ValidationFailed) as garbage:
        auth_logout(user=user, refresh="a.b.c")
    assert not_theirs.value.details == {"refresh": ["Token is invalid or expired"]}
    assert list(garbage.value.details) == ["refresh"]
    assert not _blacklisted(others.refresh)


# --- purge of expired tokens -------------------------------------------------------


def test_the_purge_deletes_expired_token_records_with_their_blacklisting():
    # given three refresh tokens: one expired and blacklisted, one expired, one live
    user = UserFactory()
    pairs = [
        auth_token_obtain(request=None, email=user.email, password=DEFAULT_PASSWORD)
        for _ in range(3)
    ]
    auth_logout(user=user, refresh=pairs[0].refresh)
    past = timezone.now() - timedelta(seconds=1)
    OutstandingToken.objects.filter(jti__in=[_jti(p.refresh) for p in pairs[:2]]).update(
        expires_at=past
    )
    # when
    deleted = auth_tokens_flush_expired()
    # then (the count includes the blacklist row that cascaded)
    assert deleted == 3
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [_jti(pairs[2].refresh)]
    assert not BlacklistedToken.objects.exists()
    assert auth_tokens_flush_expired() == 0


# --- roles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "field"),
    [(Role.STAFF, "is_staff"), (Role.WAREHOUSE_ADMIN, "is_warehouse_admin")],
)
def test_a_role_is_granted_and_revoked_on_the_user_and_the_object_given(role, field):
    user = UserFactory()
    before = user.updated_at
    granted = user_role_set(user=user, role=role, granted=True)
    assert granted is user and getattr(user, field) is True
    assert getattr(User.objects.get(), field) is True and user.updated_at > before
    assert user.roles == ["customer", role.value]
    user_role_set(user=user, role=role, granted=False)
    assert getattr(User.objects.get(), field) is False and user.roles == ["customer"]


def test_the_customer_role_is_everyones_and_cannot_be_revoked():
    user = UserFactory()
    assert user_role_set(user=user, role=Role.CUSTOMER, granted=True) is user
    with pytest.raises(ValidationFailed) as raised:
        user_role_set(user=user, role=Role.CUSTOMER, granted=False)
    assert raised.value.details == {"role": ["Every user holds the customer role."]}
    assert User.objects.get().roles == ["customer"]
