"""Account writes: sign-up, roles, and the life of JWT refresh tokens."""

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.errors import AuthenticationFailed, TokenNotValid, ValidationFailed
from apps.core.roles import Role

from .locks import outstanding_token_lock
from .models import User, normalize_email_address
from .tokens import PlatformRefreshToken

DUPLICATE_EMAIL = "A user with this email already exists."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _issue_token_pair(user: User) -> TokenPair:
    refresh = PlatformRefreshToken.for_user(user)  # records an OutstandingToken row
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def user_signup(*, email: str, password: str) -> User:
    email = normalize_email_address(email)
    try:
        validate_password(password, user=User(email=email))
    except DjangoValidationError as exc:
        raise ValidationFailed(details={"password": list(exc.messages)}) from exc
    if User.objects.filter(email=email).exists():
        raise ValidationFailed(details={"email": [DUPLICATE_EMAIL]})
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password)
    except IntegrityError as exc:  # a concurrent sign-up with the same email won
        raise ValidationFailed(details={"email": [DUPLICATE_EMAIL]}) from exc


def auth_token_obtain(*, request: HttpRequest | None, email: str, password: str) -> TokenPair:
    user = authenticate(request=request, email=email, password=password)
    if user is None:
        raise AuthenticationFailed("No active account found with the given credentials.")
    return _issue_token_pair(user)


def _parse_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # signature, expiry, type, and not blacklisted
    except TokenError as exc:
        raise TokenNotValid(str(exc)) from exc


@transaction.atomic(durable=True)
def auth_token_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted, a new pair is issued.

    The token's record is locked first, so when the same refresh token is
    presented twice at once exactly one request rotates it and the other gets
    `token_not_valid` (simplejwt alone lets both through).
    """
    token = _parse_refresh(refresh)
    outstanding = outstanding_token_lock(jti=token[jwt_settings.JTI_CLAIM])
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise TokenNotValid("Token is blacklisted.")
    user = User.objects.filter(pk=token[jwt_settings.USER_ID_CLAIM], is_active=True).first()
    if user is None:
        raise TokenNotValid("The token's user does not exist or is inactive.")
    BlacklistedToken.objects.create(token=outstanding)
    return _issue_token_pair(user)


@transaction.atomic(durable=True)
def auth_logout(*, user: User, refresh: str) -> None:
    """Blacklist the caller's own refresh token. Another user's token is refused
    the same way as an invalid one, so token ownership does not leak."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise ValidationFailed(details={"refresh": [str(exc)]}) from exc
    if str(token[jwt_settings.USER_ID_CLAIM]) != str(user.pk):
        raise ValidationFailed(details={"refresh": ["Token is invalid or expired"]})
    outstanding = outstanding_token_lock(jti=token[jwt_settings.JTI_CLAIM])
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise ValidationFailed(details={"refresh": ["Token is blacklisted"]})
    BlacklistedToken.objects.create(token=outstanding)


def auth_tokens_flush_expired() -> int:
    """Delete records of refresh tokens past their expiry (their blacklist rows
    cascade). An expired token is refused on its signature time anyway."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def user_role_set(*, user: User, role: Role, granted: bool) -> User:
    """Grant or revoke a role. `customer` is every user's and cannot be revoked."""
    if role == Role.CUSTOMER:
        if not granted:
            raise ValidationFailed(details={"role": ["Every user holds the customer role."]})
        return user
    field = {Role.STAFF: "is_staff", Role.WAREHOUSE_ADMIN: "is_warehouse_admin"}[role]
    User.objects.filter(pk=user.pk).update(**{field: granted, "updated_at": timezone.now()})
    user.refresh_from_db(fields=[field, "updated_at"])
    return user
