from django.conf import settings
from django.utils.functional import cached_property
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings

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

    def get_user(self, validated_token):
        if settings.JWT_STATELESS_AUTH and "roles" in validated_token:
            return PlatformTokenUser(validated_token)
        return super().get_user(validated_token)
