"""OpenAPI: the platform's JWT authentication is simplejwt's Bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class PlatformJWTScheme(SimpleJWTScheme):
    target_class = "apps.accounts.authentication.PlatformJWTAuthentication"
