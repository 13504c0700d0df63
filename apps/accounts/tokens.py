"""JWTs that carry what authorization needs: the user's roles and email.

With them an API request is authenticated and authorized from the token alone,
with no user query (apps.accounts.authentication). A refresh always re-reads the
user, so role changes and deactivation reach new access tokens within
JWT_ACCESS_TOKEN_MINUTES.
"""

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken


def _add_claims(token, user):
    token["roles"] = user.roles
    token["email"] = user.email
    return token


class PlatformRefreshToken(RefreshToken):
    """A refresh token whose access tokens carry the user's roles and email."""

    @classmethod
    def for_user(cls, user):
        return _add_claims(super().for_user(user), user)


class PlatformAccessToken(AccessToken):
    @classmethod
    def for_user(cls, user):
        return _add_claims(super().for_user(user), user)
