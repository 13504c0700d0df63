"""Benchmarks (`make bench`): production-like, on a dedicated database and Redis db.

Not `production`: that one insists on HTTPS, and the load runs over plain HTTP on
127.0.0.1. Throttling is off (every load client shares one address), and so,
unless BENCH_PRODUCTION_LOGS=true, are the access log, the log file and INFO
logging (the benchmarks measure the service, not log I/O).
"""

from .base import *  # noqa: F403
from .base import env, postgresql_database, replica_database

DEBUG = False
SECRET_KEY = "bench-only-secret-key-5e1d9c7b3a2f4e6d8c0b1a9f7e5d3c2b"
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY  # noqa: F405
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "config.urls_bench"

# Persistent connections and health checks, as production runs (base.py).
DATABASES = {
    "default": postgresql_database(
        env.db("BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/inventory_bench"),
        conn_max_age=600,
        connect_timeout=5,
    ),
}
replica_database(DATABASES, env("REPLICA_DATABASE_URL", default=""))
EMBEDDED_DATABASE = False

REDIS_URL = env("BENCH_REDIS_URL", default="redis://127.0.0.1:6379/2")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "bench",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}

CELERY_BROKER_URL = REDIS_URL
BEAT_LOCK_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
EMBEDDED_BEAT = False

REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(
        REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # noqa: F405
        "10000000/minute",
    ),
}

# By default benchmarks measure the service, not log I/O: no access log, no log
# file, only warnings and errors on the console (gunicorn's error log).
# BENCH_PRODUCTION_LOGS=true keeps the logs as production writes them (INFO,
# the access line per request, the rotating file), to measure what they cost.
BENCH_PRODUCTION_LOGS = env.bool("BENCH_PRODUCTION_LOGS", default=False)
if not BENCH_PRODUCTION_LOGS:
    ACCESS_LOG_ENABLED = False
    LOG_FILE_ENABLED = False
    LOGGING["root"]["handlers"] = ["console"]  # noqa: F405
    LOGGING["handlers"].pop("file", None)  # noqa: F405
    LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# A profiler in the request path would be measured too, whatever the environment says.
SILK_ENABLED = False
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "silk"]  # noqa: F405
MIDDLEWARE = [m for m in MIDDLEWARE if m != "silk.middleware.SilkyMiddleware"]  # noqa: F405

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
