"""Production: refuses to start without DJANGO_SECRET_KEY; clean under `check --deploy`.

Deployment-dependent HTTPS settings (see README, "Production"): behind a TLS-
terminating proxy set DJANGO_SECURE_PROXY_SSL_HEADER=true (trusts
X-Forwarded-Proto) and DJANGO_NUM_PROXIES; DJANGO_SECURE_SSL_REDIRECT and the
HSTS variables can be turned down where the proxy already does it.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
SIMPLE_JWT["SIGNING_KEY"] = env("JWT_SIGNING_KEY", default="") or SECRET_KEY  # noqa: F405
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production.")

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health checks come from the orchestrator over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# A real gateway's webhooks must be verified with a real secret; the fake one
# (demos) may keep the development default.
if PAYMENT_GATEWAY != "apps.payments.gateway.FakeGateway" and PAYMENT_WEBHOOK_SECRET in (  # noqa: F405
    "",
    "dev-only-webhook-secret",
):
    raise ImproperlyConfigured("PAYMENT_WEBHOOK_SECRET must be set for a real payment gateway.")
