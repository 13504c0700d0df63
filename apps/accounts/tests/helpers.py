"""Accounts for tests: users with a known password, and the auth API's paths and
requests."""

import factory

from apps.accounts.models import User

DEFAULT_PASSWORD = "correct-horse-battery-9"
STRONG = "Tr1cky-Walrus-Lamp"  # passes every password validator, for sign-ups

SIGNUP, TOKEN, REFRESH, LOGOUT, ME = (
    "/api/v1/auth/signup/",
    "/api/v1/auth/token/",
    "/api/v1/auth/token/refresh/",
    "/api/v1/auth/logout/",
    "/api/v1/auth/me/",
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


def post_signup(client, email="new@example.com", password=STRONG, confirm=None):
    body = {"email": email, "password": password, "password_confirm": confirm or password}
    return client.post(SIGNUP, body, format="json")


def post_login(client, email, password=DEFAULT_PASSWORD):
    """Ask for a token pair with these credentials."""
    return client.post(TOKEN, {"email": email, "password": password}, format="json")
