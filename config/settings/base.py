"""Settings shared by every environment. Every knob comes from the environment.

Embedded default: with no DATABASE_URL, REDIS_URL or CELERY_BROKER_URL the
service still runs for a first look (SQLite with IMMEDIATE transactions, a
local-memory cache, Celery tasks executed in-process and beat's schedule run by
a thread of the web process). `.env.example` lists every variable.
"""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

# --- Core -------------------------------------------------------------------

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
# A body over this is 413 under /api/ (apps/core/middleware.py), unread.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_BODY_MAX_BYTES", default=2_621_440)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "apps.core.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.core",
    "apps.accounts",
    "apps.products",
    "apps.stock",
    "apps.ledger",
    "apps.reservations",
    "apps.points",
    "apps.coupons",
    "apps.payments",
    "apps.reports",
    "apps.companies",
    "apps.demo",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.ApiErrorEnvelopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.core.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.replica.ReplicaPinMiddleware",  # unloaded without a replica
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Pages that need a session login (admin, silk) send people to the admin login.
LOGIN_URL = "admin:login"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Database ---------------------------------------------------------------

# Behind PgBouncer (or another pooler) in transaction mode, a connection is the
# server's for one transaction only: no server-side prepared statements, cursors
# or session settings (apps/core/db.py; README, "PgBouncer").
DATABASE_TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)


def postgresql_database(config: dict, *, conn_max_age: int, connect_timeout: int) -> dict:
    """A DATABASES entry on PostgreSQL: Django's backend with the health check of
    apps/core/postgresql, and what transaction pooling rules out turned off."""
    config["ENGINE"] = "apps.core.postgresql"
    config["CONN_MAX_AGE"] = conn_max_age
    config["CONN_HEALTH_CHECKS"] = True
    config["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_TRANSACTION_POOLING
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", connect_timeout)
    return config


DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded default: IMMEDIATE takes the write lock at BEGIN, so two writers
    # queue on the busy timeout instead of failing with "database is locked"
    # when a read transaction tries to upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    postgresql_database(
        DATABASES["default"],
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", default=60),
        connect_timeout=env.int("DATABASE_CONNECT_TIMEOUT", default=5),
    )
EMBEDDED_DATABASE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def replica_database(databases: dict, url: str) -> None:
    """The `replica` alias for one streaming replica of the primary at `url` (none
    when empty): the catalog's, availability's and the reports' reads go to it
    while it keeps up (apps/core/replica.py); every decision stays on the primary.
    A short connect timeout: a replica that cannot be reached is skipped, not
    waited for."""
    if url:
        databases["replica"] = postgresql_database(
            env.db_url_config(url),
            conn_max_age=databases["default"]["CONN_MAX_AGE"],
            connect_timeout=env.int("REPLICA_CONNECT_TIMEOUT", default=2),
        )
        # A replica that stops answering mid-query (a host gone, a cable cut)
        # fails the read in seconds, which then runs on the primary.
        databases["replica"]["OPTIONS"].update(
            keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2
        )
        databases["replica"]["OPTIONS"].setdefault("tcp_user_timeout", 10_000)


if not EMBEDDED_DATABASE:
    replica_database(DATABASES, env("REPLICA_DATABASE_URL", default=""))
DATABASE_ROUTERS = ["apps.core.replica.ReplicaRouter"]
# Reads go to the primary while the replica is further behind than this.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
# How often each process measures the replica's lag (one query on the replica).
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=1.0)
# A replica that failed is left alone this long before it is tried again.
REPLICA_RETRY_SECONDS = env.float("REPLICA_RETRY_SECONDS", default=5.0)
# A persistent connection idle longer than this is checked (SELECT 1) before the
# next request uses it; one used more recently is trusted. 0: check every request.
DATABASE_HEALTH_CHECK_IDLE_SECONDS = env.float("DATABASE_HEALTH_CHECK_IDLE_SECONDS", default=5.0)

# --- Cache (Redis, else local memory) ----------------------------------------

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="inv"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
                # A dead Redis reads as a cache miss: reads fall back to the
                # database and writes still work (docs/architecture.md, "Side effects and caching").
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "apps.core.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -----------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With no broker configured, tasks run in the process that sends them.
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://")
)
CELERY_TASK_EAGER_PROPAGATES = False
# Queues by kind, so that no kind of work waits behind another:
# - sweeps: what keeps holds, coupon issues, points and payments right on time
#   (every few seconds to a minute, each run short and bounded);
# - batch: reports, alerts and a month's settlement (minutes of set-based SQL);
# - celery: housekeeping (purges) and anything not routed.
# A worker started without -Q consumes all three; docker-compose.yml gives each
# its own processes, so a long settlement never delays an expiry sweep.
# Every task is idempotent (a re-run finds nothing left to do, or upserts the
# same rows), so messages are acknowledged after the task (acks_late) and a
# task whose worker died is delivered again. Its time limit (soft: an exception
# in the task, which rolls its transaction back; hard: the child is killed 30 s
# later) stays far below the Redis broker's visibility timeout.
_TASKS = {  # name: (queue, soft time limit in seconds)
    "apps.reservations.tasks.reservation_expire_due_task": ("sweeps", 60),
    "apps.coupons.tasks.coupon_issues_expire_due_task": ("sweeps", 60),
    "apps.points.tasks.points_expire_due_task": ("sweeps", 60),
    "apps.payments.tasks.payments_reconcile_task": ("sweeps", 120),
    "apps.reports.tasks.reports_build_missing_task": ("batch", 1800),
    "apps.reports.tasks.stock_alerts_sweep_task": ("batch", 300),
    "apps.companies.tasks.settlement_chunk_task": ("batch", 600),
    "apps.companies.tasks.settlement_previous_month_task": ("batch", 120),
    "apps.companies.tasks.settlement_runs_resume_task": ("batch", 120),
    "apps.core.tasks.idempotency_records_purge_task": ("celery", 600),
    "apps.accounts.tasks.auth_tokens_flush_expired_task": ("celery", 600),
}
CELERY_TASK_QUEUES = (Queue("sweeps"), Queue("batch"), Queue("celery"))
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {name: {"queue": queue} for name, (queue, _) in _TASKS.items()}
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": limit, "time_limit": limit + 30}
    for name, (_, limit) in _TASKS.items()
}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A broker that accepts and never answers fails a send in seconds instead of
# holding the request (or task) that sends: each Redis command of the broker's
# connections waits CELERY_BROKER_SOCKET_TIMEOUT at most (longer than the
# worker's 1 s BRPOP); a send that fails on a lost connection is tried once more.
# Against a silent socket a send failed after 3.1 s
# (apps/core/tests/test_celery_queues.py).
CELERY_BROKER_SOCKET_TIMEOUT = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=3.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# One beat sends the schedule, however many run (apps/core/beat.py): the holder
# of a Redis lock, renewed every third of its time to live.
CELERY_BEAT_SCHEDULER = "apps.core.beat:SingleBeatScheduler"
BEAT_LOCK_URL = env("BEAT_LOCK_URL", default=REDIS_URL)
BEAT_LOCK_KEY = env("BEAT_LOCK_KEY", default="celery-beat:leader")
BEAT_LOCK_TTL_SECONDS = env.float("BEAT_LOCK_TTL_SECONDS", default=30.0)
# Beat's schedule, reviewed like code. Later apps add their entries.
CELERY_BEAT_SCHEDULE = {
    "reservations-expire-due": {
        "task": "apps.reservations.tasks.reservation_expire_due_task",
        "schedule": timedelta(seconds=env.int("EXPIRY_SWEEP_INTERVAL_SECONDS", default=5)),
    },
    "idempotency-records-purge": {
        "task": "apps.core.tasks.idempotency_records_purge_task",
        "schedule": timedelta(hours=1),
    },
    "coupon-issues-expire-due": {
        "task": "apps.coupons.tasks.coupon_issues_expire_due_task",
        "schedule": timedelta(minutes=5),
    },
    "auth-tokens-flush-expired": {
        "task": "apps.accounts.tasks.auth_tokens_flush_expired_task",
        "schedule": timedelta(hours=6),
    },
    "payments-reconcile": {
        "task": "apps.payments.tasks.payments_reconcile_task",
        "schedule": timedelta(seconds=env.int("PAYMENT_RECONCILE_INTERVAL_SECONDS", default=60)),
    },
    "points-expire-due": {
        "task": "apps.points.tasks.points_expire_due_task",
        "schedule": timedelta(seconds=env.int("POINTS_EXPIRY_SWEEP_INTERVAL_SECONDS", default=60)),
    },
    # Every closed day not built yet, in order (after midnight: yesterday; after
    # an outage: every day it missed).
    "reports-build-missing": {
        "task": "apps.reports.tasks.reports_build_missing_task",
        "schedule": timedelta(seconds=env.int("REPORTS_BUILD_INTERVAL_SECONDS", default=600)),
    },
    # The month before, hourly on the 1st until it has closed and is settled
    # (CELERY_TIMEZONE; months are cut in REPORTS_TIME_ZONE).
    "settlement-previous-month": {
        "task": "apps.companies.tasks.settlement_previous_month_task",
        "schedule": crontab(minute=5, day_of_month="1"),
    },
    "settlement-runs-resume": {
        "task": "apps.companies.tasks.settlement_runs_resume_task",
        "schedule": timedelta(seconds=env.int("SETTLEMENT_RESUME_INTERVAL_SECONDS", default=60)),
    },
    "stock-alerts-sweep": {
        "task": "apps.reports.tasks.stock_alerts_sweep_task",
        "schedule": timedelta(seconds=env.int("REPORTS_ALERT_SWEEP_INTERVAL_SECONDS", default=300)),
    },
}
# The embedded default has no beat process: `manage.py serve` runs the schedule
# above in a thread of the web process instead.
EMBEDDED_BEAT = env.bool("EMBEDDED_BEAT", default=CELERY_TASK_ALWAYS_EAGER)

# --- Auth -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email",)},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Authenticate API requests from the access token's claims, with no user query.
# Deactivation and role changes then take effect at the next refresh (at most
# JWT_ACCESS_TOKEN_MINUTES later); false re-reads the user on every request.
JWT_STATELESS_AUTH = env.bool("JWT_STATELESS_AUTH", default=True)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "LEEWAY": 5,
}

# --- REST framework ---------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.PlatformJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.KeysetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "auth_token": env("THROTTLE_RATE_AUTH_TOKEN", default="30/minute"),
        "auth_signup": env("THROTTLE_RATE_AUTH_SIGNUP", default="10/minute"),
    },
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=None),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Inventory Reservation API",
    "DESCRIPTION": (
        "Holds stock for shoppers while they pay and never sells a unit it does not have. "
        "Authenticate with `POST /api/v1/auth/token/`, then use **Authorize** with the "
        "access token. Every error has the shape "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.schema.add_answers_of_every_operation",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProductStatusEnum": "apps.products.models.ProductStatus",
        "ReservationStatusEnum": "apps.stock.models.ReservationStatus",
        "MovementTypeEnum": "apps.ledger.models.MovementType",
        "PointEntryTypeEnum": "apps.points.models.PointEntryType",
        "PointKindEnum": "apps.points.models.PointKind",
        "CouponIssueStatusEnum": "apps.coupons.models.CouponIssueStatus",
        "OrderStatusEnum": "apps.payments.models.OrderStatus",
        "PaymentStatusEnum": "apps.payments.models.PaymentStatus",
        "PaymentMethodEnum": "apps.payments.models.PaymentMethod",
    },
}

# --- Platform ---------------------------------------------------------------

RESERVATION_DEFAULT_TTL_SECONDS = env.int("RESERVATION_DEFAULT_TTL_SECONDS", default=900)
RESERVATION_MIN_TTL_SECONDS = env.int("RESERVATION_MIN_TTL_SECONDS", default=60)
RESERVATION_MAX_TTL_SECONDS = env.int("RESERVATION_MAX_TTL_SECONDS", default=86400)
EXPIRY_SWEEP_INTERVAL_SECONDS = env.int("EXPIRY_SWEEP_INTERVAL_SECONDS", default=5)
# Idempotency-Key records are kept at least this long (docs/api.md: at least 24 hours).
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# Largest quantity one request may move; larger values are a 400, not an overflow.
MAX_STOCK_QUANTITY = env.int("MAX_STOCK_QUANTITY", default=1_000_000_000)
# Points (apps/points/services/): the largest amount one request may move;
# optimistic attempts retried after losing to a concurrent change of the wallet
# before the write takes the row lock, and the base of their jittered backoff;
# how long a balance read may be served from the cache.
POINTS_MAX_AMOUNT = env.int("POINTS_MAX_AMOUNT", default=1_000_000_000)
POINTS_OPTIMISTIC_RETRIES = env.int("POINTS_OPTIMISTIC_RETRIES", default=3)
POINTS_RETRY_BACKOFF_MS = env.float("POINTS_RETRY_BACKOFF_MS", default=2.0)
POINTS_BALANCE_CACHE_SECONDS = env.int("POINTS_BALANCE_CACHE_SECONDS", default=60)
# Payments (apps/payments/): the gateway (a dotted path; the default is the fake
# one, which keeps its own book of charges) and how long one of its calls may
# take; how long a payment in flight keeps its hold alive; how long the
# per-reservation checkout lock lives; after how long the reconciler asks the
# gateway about a payment still pending; the webhooks' HMAC secret and how old
# a signed event may be.
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="apps.payments.gateway.FakeGateway")
PAYMENT_GATEWAY_TIMEOUT_SECONDS = env.float("PAYMENT_GATEWAY_TIMEOUT_SECONDS", default=10.0)
PAYMENT_HOLD_SECONDS = env.int("PAYMENT_HOLD_SECONDS", default=900)
PAYMENT_CHECKOUT_LOCK_SECONDS = env.int("PAYMENT_CHECKOUT_LOCK_SECONDS", default=30)
PAYMENT_RECONCILE_AFTER_SECONDS = env.int("PAYMENT_RECONCILE_AFTER_SECONDS", default=60)
PAYMENT_RECONCILE_INTERVAL_SECONDS = env.int("PAYMENT_RECONCILE_INTERVAL_SECONDS", default=60)
PAYMENT_WEBHOOK_SECRET = env("PAYMENT_WEBHOOK_SECRET", default="dev-only-webhook-secret")
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300)

# --- Reports (apps/reports) -------------------------------------------------
# Report days are calendar days of this zone (an IANA name).
REPORTS_TIME_ZONE = env("REPORTS_TIME_ZONE", default="UTC")
try:
    ZoneInfo(REPORTS_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"REPORTS_TIME_ZONE={REPORTS_TIME_ZONE!r}: no such zone") from exc
# A day is built once its end is this far in the past (transactions stamped
# before midnight have committed by then).
REPORTS_CLOSE_DELAY_SECONDS = env.int("REPORTS_CLOSE_DELAY_SECONDS", default=300)

# --- Settlement (apps/companies) --------------------------------------------
# A month's run settles SETTLEMENT_CHUNK_SIZE companies per Celery task; a chunk
# that fails is tried SETTLEMENT_CHUNK_MAX_ATTEMPTS times in all; one still
# pending SETTLEMENT_CHUNK_LEASE_SECONDS after it was sent is sent again (its
# message went with a worker), checked every SETTLEMENT_RESUME_INTERVAL_SECONDS.
SETTLEMENT_CHUNK_SIZE = env.int("SETTLEMENT_CHUNK_SIZE", default=2000)
SETTLEMENT_CHUNK_MAX_ATTEMPTS = env.int("SETTLEMENT_CHUNK_MAX_ATTEMPTS", default=5)
SETTLEMENT_CHUNK_LEASE_SECONDS = env.int("SETTLEMENT_CHUNK_LEASE_SECONDS", default=300)
# A low-stock alert closes once available units pass the reorder point by this
# share of it (at least one unit).
REPORTS_ALERT_CLOSE_MARGIN_PERCENT = env.int("REPORTS_ALERT_CLOSE_MARGIN_PERCENT", default=10)

# --- Mail -------------------------------------------------------------------
# Low-stock alerts to warehouse admins. The console by default; SMTP with e.g.
# EMAIL_URL=smtp+tls://user:password@mail.example.com:587
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="inventory@localhost")

# --- Profiling --------------------------------------------------------------

SILK_ENABLED = env.bool("SILK_ENABLED", default=False)
if SILK_ENABLED:
    INSTALLED_APPS.append("silk")
    MIDDLEWARE.insert(
        MIDDLEWARE.index("apps.core.middleware.CommonMiddleware") + 1,
        "silk.middleware.SilkyMiddleware",
    )
    SILKY_AUTHENTICATION = True
    SILKY_AUTHORISATION = True
    SILKY_PERMISSIONS = lambda user: user.is_staff  # noqa: E731
    SILKY_PYTHON_PROFILER = env.bool("SILK_PYTHON_PROFILER", default=False)
    SILKY_MAX_RECORDED_REQUESTS = env.int("SILK_MAX_RECORDED_REQUESTS", default=10_000)
    SILKY_META = True

# --- Logging: structured JSON with the request id ---------------------------

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_DIR = Path(env("LOG_DIR", default=str(BASE_DIR / "logs")))
LOG_FILE_ENABLED = env.bool("LOG_FILE_ENABLED", default=True)
ACCESS_LOG_ENABLED = env.bool("ACCESS_LOG_ENABLED", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "apps.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        },
        **(
            {
                "file": {
                    "class": "logging.handlers.RotatingFileHandler",
                    "filename": str(LOG_DIR / "app.log"),
                    "maxBytes": env.int("LOG_FILE_MAX_BYTES", default=10 * 1024 * 1024),
                    "backupCount": env.int("LOG_FILE_BACKUPS", default=5),
                    "formatter": "json",
                    "filters": ["request_id"],
                    "delay": True,
                }
            }
            if LOG_FILE_ENABLED
            else {}
        ),
    },
    "root": {
        "handlers": ["console", "file"] if LOG_FILE_ENABLED else ["console"],
        "level": LOG_LEVEL,
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own request logger repeats what the access log says.
        "django.server": {"level": "WARNING"},
    },
}
if LOG_FILE_ENABLED:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
