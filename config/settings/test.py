"""The test suite: the real PostgreSQL and Redis of the machine (never SQLite)."""

from .base import *  # noqa: F403
from .base import env, postgresql_database

DEBUG = False
SECRET_KEY = "test-only-secret-key-0b6c1f2e9d8a7b5c4e3f2a1d0c9b8a7f"
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY  # noqa: F405
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = {
    "default": postgresql_database(
        env.db("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/inventory"),
        conn_max_age=0,
        connect_timeout=3,
    ),
}
EMBEDDED_DATABASE = False

REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CACHES["default"] = {  # noqa: F405
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": "test",
    "OPTIONS": {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": 0.5,
        "SOCKET_TIMEOUT": 0.5,
        "IGNORE_EXCEPTIONS": True,
    },
}

# The broker answers readyz for real; tasks themselves run eagerly in the test.
CELERY_BROKER_URL = REDIS_URL
BEAT_LOCK_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMBEDDED_BEAT = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOG_FILE_ENABLED = False
LOGGING["root"]["handlers"] = ["console"]  # noqa: F405
LOGGING["handlers"].pop("file", None)  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
