import threading
from collections import OrderedDict

from django.conf import settings
from django.utils.functional import cached_property
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow

from apps.core.roles import Role


class PlatformTokenUser(TokenUser):
    """The authenticated user as the access token describes it. Enough for every
    API view and service: id, email, roles. Not a model instance."""

    @cached_property
    def id(self) -> int:
        # simplejwt writes the claim as a string; our user ids are integers.
        return int(self.token[api_settings.USER_ID_CLAIM])

    @cached_property
    def roles(self) -> list[str]:
        return list(self.token.get("roles", ()))

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @cached_property
    def email(self) -> str:
        return self.token.get("email", "")

    @cached_property
    def is_staff(self) -> bool:
        return Role.STAFF in self.roles

    @cached_property
    def is_superuser(self) -> bool:
        return False  # a superuser's token lists every role, which is what matters here


class PlatformJWTAuthentication(JWTAuthentication):
    """Bearer JWT authentication without a user query when the token carries the
    user's roles (tokens issued by this platform do). JWT_STATELESS_AUTH=false,
    or a token without roles, falls back to loading the user from the database."""

    # Tokens this process has verified, by their raw bytes, oldest first.
    # Verifying a signature is the same work each time for the same bytes; the
    # clock is not, so expiry is checked again on every use. Access tokens have
    # no other state (only refresh tokens are blacklisted), so a hit answers
    # exactly what a full verification would. Invalid tokens are never kept.
    VERIFIED_MAX = 1024
    _verified: "OrderedDict[bytes, object]" = OrderedDict()
    _verified_lock = threading.Lock()

    def get_validated_token(self, raw_token: bytes):
        token = self._verified.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
                return token
            except TokenError:
                with self._verified_lock:
                    self._verified.pop(raw_token, None)
        token = super().get_validated_token(raw_token)  # raises on any fault
        with self._verified_lock:
            self._verified[raw_token] = token
            while len(self._verified) > self.VERIFIED_MAX:
                self._verified.popitem(last=False)
        return token

    def get_user(self, validated_token):
        if settings.JWT_STATELESS_AUTH and "roles" in validated_token:
            return PlatformTokenUser(validated_token)
        return super().get_user(validated_token)
