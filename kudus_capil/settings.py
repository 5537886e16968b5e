"""Settings of kudus-capil, read from the environment.

Unset DATABASE_URL → SQLite file `db.sqlite3` (the embedded default); unset REDIS_URL → Celery runs
tasks eagerly in process. Production mode is the default (DJANGO_DEBUG unset or 0): a real secret and
hosts are required, and the HTTPS settings follow DJANGO_HTTPS (default 1). Development mode is
DJANGO_DEBUG=1, which `make run` and the test suite set explicitly.
"""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from kudus_capil.env import DEVELOPMENT_SECRET_KEY, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless asked for: a deployment that forgets the variable runs in production mode (and then
# refuses to start without a real secret), never with debug pages and the development secret.
DEBUG = env_bool("DJANGO_DEBUG", False)
TESTING = env_bool("KUDUS_TESTING", False)

# The development secret is public: core.checks refuses it outside development mode on
# loopback hosts (and scripts/serve.sh refuses to listen beyond loopback without a real secret).
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required when DJANGO_DEBUG=0"
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "regions",
    "core",
    "blanks",
    "registrations",
    "schedules",
    "dashboard",
]

MIDDLEWARE = [
    # Outermost: API URLs answer every error in the one JSON shape (see the module).
    "core.api.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.request_limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.locale.IndonesianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.login_limits.LoginThrottleMiddleware",
    "core.password_reset.PasswordResetGuardMiddleware",
    "core.audit.AuditTrailMiddleware",
]

ROOT_URLCONF = "kudus_capil.urls"
WSGI_APPLICATION = "kudus_capil.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
# CONN_HEALTH_CHECKS makes every worker recover from a PostgreSQL restart without being restarted:
# a persistent connection is pinged before reuse and replaced when it is dead.
# DATABASE_PASSWORD (or DATABASE_PASSWORD_FILE, a Docker secret) supplies the password apart from
# the URL, so that the URL itself holds no secret (docker-compose.yml); giving both is an error.
DATABASE_URL = env_str("DATABASE_URL")
DATABASE_PASSWORD = env_str("DATABASE_PASSWORD")
if DATABASE_PASSWORD is not None and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_PASSWORD(_FILE) is set but DATABASE_URL is not")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASE_PASSWORD is not None:
        if DATABASES["default"].get("PASSWORD"):
            raise ImproperlyConfigured(
                "DATABASE_URL already has a password: drop it or DATABASE_PASSWORD(_FILE), not both"
            )
        DATABASES["default"]["PASSWORD"] = DATABASE_PASSWORD
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            # SQLite serialises writers; waiting a little instead of failing at once keeps concurrent
            # bookings on the embedded default from erroring out with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# The database cache: the throttle counters when Redis is absent or down. Sized for a rush: Django's
# default (300 entries, then a third culled, lowest keys first) silently resets the counters of
# whole groups of clients once a few hundred addresses are seen within a throttle window.
CACHE_MAX_ENTRIES = env_int("CACHE_MAX_ENTRIES", 100_000)
# Past MAX_ENTRIES, expired rows go first, then 1/CULL_FREQUENCY of the rest.
CACHE_CULL_FREQUENCY = env_int("CACHE_CULL_FREQUENCY", 10)
_DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "kudus_cache",
    "OPTIONS": {"MAX_ENTRIES": CACHE_MAX_ENTRIES, "CULL_FREQUENCY": CACHE_CULL_FREQUENCY},
}
# Throttle counters (alias "throttle"): on Redis when REDIS_URL is set, falling back to the database
# cache while Redis does not answer (a Redis outage must not take the public form down nor turn a
# throttle into a 500; core/cache.py). THROTTLE_CACHE=database keeps them in the database;
# the test suite does so by default, since its database rolls back between tests and Redis does not.
THROTTLE_CACHE = env_str("THROTTLE_CACHE", "redis" if REDIS_URL and not TESTING else "database")
if THROTTLE_CACHE not in ("redis", "database"):
    raise ImproperlyConfigured(f"THROTTLE_CACHE={THROTTLE_CACHE!r}: use redis or database")
if THROTTLE_CACHE == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("THROTTLE_CACHE=redis needs REDIS_URL")
CACHES = {
    "default": _DATABASE_CACHE,
    "throttle": (
        {
            "BACKEND": "core.cache.RedisWithFallbackCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kudus-throttle",
            "FALLBACK": "default",
            # After a failed call, Redis is left alone this long (seconds) before it is tried again.
            "RETRY_AFTER": env_int("THROTTLE_REDIS_RETRY_AFTER", 5),
            # Short socket timeouts: a hung Redis costs a request half a second, not a worker.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if THROTTLE_CACHE == "redis"
        else _DATABASE_CACHE
    ),
}

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# Lockouts count per (username, client address): the address is the one DRF's throttles use, decided
# by TRUSTED_PROXY_COUNT below (core.client_address).
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"

# Failed logins per client address, over every account and every way in (login page, admin login,
# API token): past this many within the window the address is refused until the window ends
# (core/login_limits.py). Axes above still locks one username from one address sooner.
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 10)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)
if LOGIN_FAILURES_PER_ADDRESS < 1 or LOGIN_FAILURE_WINDOW_MINUTES < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURES_PER_ADDRESS and LOGIN_FAILURE_WINDOW_MINUTES must be 1 or more"
    )

# A signed-in user refused (403/404) on /dashboard/, /admin/ or /api/ is recorded in the audit log
# (kind security), at most once per user and route in this many seconds (core/audit.py).
AUDIT_REFUSED_INTERVAL_SECONDS = env_int("AUDIT_REFUSED_INTERVAL_SECONDS", 60)

# API tokens (django-rest-knox, core/tokens.py): stored as SHA-512 digests, valid this many hours
# after they are issued; revoked at once on a password change, deactivation or role removal.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 7 * 24)
if API_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_TTL_HOURS={API_TOKEN_TTL_HOURS} must be 1 or more")
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",  # `Authorization: Token <token>`, as before
    "AUTO_REFRESH": False,
}

# --- Reverse proxies -------------------------------------------------------------------------
# How many reverse proxies in front of the app append to X-Forwarded-For (docs/deployment.md). 0: the
# header is ignored and the client address is REMOTE_ADDR; N: the N-th entry from the right, the one
# the outermost trusted proxy wrote, so entries a client sends itself (left of it) never count. One
# setting for the API rate limits (DRF NUM_PROXIES), login lockouts (axes) and the audit trail.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} must be 0 or more")
if env_str("NUM_PROXIES") is not None:
    raise ImproperlyConfigured("NUM_PROXIES is now TRUSTED_PROXY_COUNT (it also drives login lockouts)")

# --- I18N ------------------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "id")
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "static/"
# Where `collectstatic` writes and whitenoise serves from (the image build, the production-mode test stage).
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Source maps are read by developer tools only: not worth compressing at every image build.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

# --- Security --------------------------------------------------------------------------------
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed over plain HTTP by the container healthcheck and load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
else:
    SILENCED_SYSTEM_CHECKS = [
        # Plain-HTTP deployment on loopback or a trusted internal network (DJANGO_HTTPS=0):
        # the HTTPS-only settings cannot apply there.
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    ]
if not DATABASE_IS_POSTGRES:
    # The embedded default (SQLite) builds the covering index without its INCLUDE columns: still a
    # valid index on the key, so the warning on every command says nothing to act on.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "models.W040"]

# No inline scripts or styles anywhere: every script is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Request bodies above this are refused with 413 before any view or parser reads them
# (core.request_limits); no form or API of the portal takes more.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "core.api.permissions.IsStaff",
        "core.api.permissions.ReadOnlyForViewers",
    ],
    # JSON in, JSON out: no browsable HTML pages on API URLs (Swagger UI at /api/docs/ is the
    # human interface); any other request body is a 415.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # Rates: "N/sec|min|hour|day" per scope, from the environment. Counters are in the
    # "throttle" cache above (Redis, or the database cache), shared by every worker.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonThrottle",
        "core.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Any anonymous request, per client address; any signed-in request, per user.
        "anon": env_str("THROTTLE_ANON", "120/min"),
        "user": env_str("THROTTLE_USER", "2000/min"),
        # Booking, cancelling and moving an appointment: per address (anonymous), per user (staff).
        "booking_anon": env_str("THROTTLE_BOOKING_ANON", "10/min"),
        "booking_user": env_str("THROTTLE_BOOKING_USER", "600/min"),
        # Looking a booking up by code and manage token, per address (slows guessing down).
        "lookup_anon": env_str("THROTTLE_LOOKUP_ANON", "30/min"),
        # Token requests per address (axes also locks a username after AXES_FAILURE_LIMIT failures).
        "login": env_str("THROTTLE_LOGIN", "10/min"),
    },
    # Client address for per-address rate limits: TRUSTED_PROXY_COUNT above (never None, which would
    # trust a spoofable header).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "kudus-capil API",
    "DESCRIPTION": (
        "e-KTP coverage portal of Disdukcapil Kabupaten Kudus, version 1. Everything is under `/api/v1/`.\n\n"
        "**Auth**: `POST /api/v1/auth/token/` with a staff account's `{username, password}` gives "
        "`{token, expiry}` (a new token each time, valid `API_TOKEN_TTL_HOURS`, revoked when the account's "
        "password, activity or roles change); send `Authorization: Token <token>`. Revoke it with "
        "`POST /api/v1/auth/token/revoke/` "
        "(or `DELETE /api/v1/auth/token/`). Browsers signed in to the dashboard use their session "
        "(writes need the `X-CSRFToken` header). Public without credentials: regions, sessions (read), "
        "booking and managing an appointment with its manage token, the coverage aggregates, this "
        "schema and the docs. Operators and field staff see only their kecamatan: anything outside "
        "it is a 404.\n\n"
        "**Lists**: `{count, next, previous, results}` with `?page=` and `?page_size=` (≤ 500); citizens "
        "use cursor pages `{next, previous, results}`. Filters are query parameters; `?ordering=field` "
        "or `-field` where listed.\n\n"
        "**Times**: timestamps are ISO 8601 with their offset (`2024-02-03T08:15:00+07:00`); a "
        "session's `start_time`/`end_time` are WIB wall-clock times `HH:MM:SS` without an offset.\n\n"
        "**Errors**: always `{code, detail, fields}` (JSON, also for unknown URLs): 400 `invalid` "
        "(per-field messages in `fields`), 401, 403, 404, 405, 409 (state conflicts), 413, 415, 429 "
        "`throttled` with `Retry-After`.\n\n"
        "**Rate limits**: per client address for anonymous clients (booking and booking lookups have "
        "their own, lower limits), per user for tokens and sessions."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "SERVERS": [],
    "TAGS": [
        {"name": "auth", "description": "API tokens: obtain (staff accounts) and revoke."},
        {"name": "regions", "description": "Public. The kecamatan and desa/kelurahan of Kudus."},
        {"name": "citizens", "description": "Staff. The registry, scoped to your kecamatan; cursor pages."},
        {
            "name": "sessions",
            "description": "Public read (upcoming published sessions); staff manage "
            "their kecamatan's sessions, walk-ins and the queue. Times of day are WIB wall-clock times.",
        },
        {"name": "series", "description": "Staff. Recurring schedules that generate sessions."},
        {
            "name": "appointments",
            "description": "Public booking with a manage token (view, cancel, "
            "reschedule); staff list and check in the bookings of their kecamatan.",
        },
        {"name": "service requests", "description": "Staff. Card services and their workflow actions."},
        {"name": "blank locations", "description": "Staff. Blank-card stock locations and balances."},
        {
            "name": "blank movements",
            "description": "Staff. The blank-card ledger: receipts, transfers, spoilage, adjustments.",
        },
        {
            "name": "coverage",
            "description": "Public aggregates (coverage, history, projection); staff "
            "targets, recompute and export.",
        },
    ],
    # Swagger UI served from our own static files (no CDN; the CSP allows 'self' only).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `kind` or a status: give each choice set one stable schema name.
    "ENUM_NAME_OVERRIDES": {
        "DesaKindEnum": "regions.models.Desa.Kind",
        "ServiceRequestStatusEnum": "registrations.models.ServiceRequest.Status",
        "StockLocationKindEnum": "blanks.models.StockLocation.Kind",
        "StockMovementKindEnum": "blanks.models.StockMovement.Kind",
        "PostableMovementKindEnum": "blanks.api.views.POSTABLE_KINDS",
        "ServiceEnum": "registrations.models.ServiceRequest.Service",
        "CardServiceEnum": "registrations.models.CardService",
        "ReasonEnum": "registrations.models.ServiceRequest.Reason",
        "SessionKindEnum": "schedules.models.SessionKind",
        "SessionStatusEnum": "schedules.models.OutreachSession.Status",
        "AppointmentStatusEnum": "schedules.models.Appointment.Status",
        "QueueTicketStatusEnum": "schedules.models.QueueTicket.Status",
    },
}

# --- Celery ----------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Redis redelivers a message nobody acknowledged within this time. Late acknowledgement is set per
# task, only on idempotent ones (`acks_late=True` in each @shared_task, never globally), so a task
# cut off by a crash runs again; hard time limits, retry delays and outbox ETAs all stay below this,
# so a task still running (or waiting for its ETA) is never delivered twice (tests/test_celery_config.py).
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
}
# Fail fast when Redis is down instead of retrying for ~20 s inside a caller (the outbox retries).
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = False  # per task, see above
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# django-celery-beat's database scheduler, touching CELERY_BEAT_HEARTBEAT_FILE (when set) after every
# pass for the container healthcheck (kudus_capil/beat.py).
CELERY_BEAT_SCHEDULER = "kudus_capil.beat:HeartbeatScheduler"
CELERY_BEAT_HEARTBEAT_FILE = env_str("CELERY_BEAT_HEARTBEAT_FILE")
CELERY_RESULT_EXPIRES = dt.timedelta(days=1)
# Periodic schedules: one place. Apps add their entries below as they grow; each says when and why.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Publish outbox messages that could not be relayed at commit time (broker was down): every
    # 30 s, expiring before the next run so a backlog of sweeps never piles up.
    "relay-outbox": {"task": "core.tasks.relay_outbox", "schedule": 30.0, "options": {"expires": 25}},
    # Forget relayed outbox messages after a week, once a night.
    "purge-outbox": {
        "task": "core.tasks.purge_outbox",
        "schedule": crontab(hour=2, minute=10),
        "options": {"expires": 3600},
    },
    # Low blank stock: hourly at :05, so supervisors learn within the hour that a location will run
    # dry (balance below its threshold or too few days of cover); expires before the next run.
    "blanks-check-stock-alerts": {
        "task": "blanks.tasks.check_stock_alerts",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
}
CELERY_BEAT_SCHEDULE["apply-retention"] = {
    # Personal data past its retention period is purged or anonymised nightly (docs/personal-data.md).
    "task": "core.tasks.apply_retention",
    "schedule": crontab(hour=3, minute=0),
    "options": {"expires": 3600},
}
OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", 7)
# Access log (reveals, exports) and audit trail: two years, long enough for an inspection by the
# data-protection authority or an internal audit cycle, then deleted.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 730)
# After a failed publication, commit-time relays skip the broker for this long (the sweeper retries),
# so an outage costs one short timeout, not one per request.
OUTBOX_BROKER_BACKOFF_SECONDS = env_int("OUTBOX_BROKER_BACKOFF_SECONDS", 30)
# The DatabaseScheduler copies them into django-celery-beat's tables at beat start-up (admin →
# Periodic tasks shows and edits them; a restart of beat resets an entry to the values here).
# `expires` (Celery) and `expire_seconds` (its copy in the database scheduler) drop a message that
# waited longer than one interval: a queue backlog then never piles up stale runs.
COVERAGE_RECOMPUTE_EVERY = dt.timedelta(minutes=env_int("COVERAGE_RECOMPUTE_MINUTES", 5))
COVERAGE_TASK_EXPIRES = int(COVERAGE_RECOMPUTE_EVERY.total_seconds() * 0.8)
CELERY_BEAT_SCHEDULE.update(
    {
        # Coverage toward 100% for the dashboard and /api/v1/coverage/: every 5 minutes, the freshness
        # the office asked for; completions also trigger a debounced run in between (outbox).
        "coverage-recompute": {
            "task": "registrations.tasks.recompute_coverage",
            "schedule": COVERAGE_RECOMPUTE_EVERY,
            "options": {"expires": COVERAGE_TASK_EXPIRES, "expire_seconds": COVERAGE_TASK_EXPIRES},
        },
        # Snapshot history thinning (all runs for a day, hourly for a week, daily after): hourly, at
        # a minute away from the recompute so the two rarely meet.
        "coverage-thin-snapshots": {
            "task": "registrations.tasks.thin_coverage_snapshots",
            "schedule": crontab(minute=7),
            "options": {"expires": 50 * 60, "expire_seconds": 50 * 60},
        },
    }
)
# Recordings per day for the projection are averaged over this many days up to the reference date.
COVERAGE_RECENT_DAYS = env_int("COVERAGE_RECENT_DAYS", 14)
# The public coverage API shows a count from 1 to below this as "<5" (and withholds, as null, the
# figures it could be worked out from); staff see exact figures (registrations/disclosure.py).
PUBLIC_COUNT_MIN = env_int("PUBLIC_COUNT_MIN", 5)

# Schedules: remind booked citizens the day before, and close sessions that have ended. Both sweeps
# only publish one idempotent task per appointment/session through the outbox, so an overlapping or
# repeated run is harmless; `expires` drops a run that waited longer than its interval in a backlog.
CELERY_BEAT_SCHEDULE.update(
    {
        # Every 30 minutes: tomorrow's reminders (sent from SCHEDULES_REMINDER_HOUR WIB today on).
        "schedules-reminders-dispatch": {
            "task": "schedules.tasks.reminders_dispatch",
            "schedule": 30 * 60,
            "options": {"expires": 25 * 60},
        },
        # Every 15 minutes: mark the unchecked bookings of ended sessions as no-show.
        "schedules-no-shows-dispatch": {
            "task": "schedules.tasks.no_shows_dispatch",
            "schedule": 15 * 60,
            "options": {"expires": 12 * 60},
        },
    }
)

# Every periodic run expires before the next one (a backlog after an outage runs once, not N
# times). django-celery-beat's DatabaseScheduler reads the expiry as `expire_seconds` and silently
# drops `expires`, Celery's own scheduler the other way round: give both. One beat only
# (docker-compose runs exactly one; docs/operations.md).
for _entry in CELERY_BEAT_SCHEDULE.values():
    _options = _entry.setdefault("options", {})
    _options.setdefault("expire_seconds", _options.get("expires"))
    _options.setdefault("expires", _options["expire_seconds"])

# --- E-mail ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Password reset by e-mail works only with a delivering backend (or in development mode), and is
# limited per client address and per e-mail address, requests per hour (core/password_reset.py).
PASSWORD_RESET_PER_ADDRESS = env_int("PASSWORD_RESET_PER_ADDRESS", 5)
PASSWORD_RESET_PER_ACCOUNT = env_int("PASSWORD_RESET_PER_ACCOUNT", 3)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Disdukcapil Kudus <no-reply@disdukcapil.kuduskab.go.id>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Error reports (500s, DEBUG off) go to these addresses: "Name <a@b>, c@d". The reports never carry
# personal data: the filter below blanks NIK, birth date, phone and e-mail in POST data and in
# frame variables, and the mail handler masks digit runs like every other log handler.
ADMINS = [parseaddr(item) for item in env_list("DJANGO_ADMINS", [])]
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.logmask.PersonalDataReporterFilter"

# --- Domain ----------------------------------------------------------------------------------
KUDUS_KABUPATEN_CODE = "33.19"
ELECTION_DATE = dt.date.fromisoformat(env_str("ELECTION_DATE", "2024-02-14"))
PREVIOUS_ELECTION_DATE = dt.date.fromisoformat(env_str("PREVIOUS_ELECTION_DATE", "2019-04-17"))
# Public base URL for links in e-mails and SMS (manage and rebook links).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# The privacy notice (/privacy/, UU 27/2022): how residents reach the data controller (Disdukcapil
# Kabupaten Kudus) and its data-protection officer. Set both in production (address, e-mail, phone).
PRIVACY_CONTROLLER_CONTACT = env_str(
    "PRIVACY_CONTROLLER_CONTACT",
    "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Kudus, disdukcapil@kuduskab.go.id",
)
PRIVACY_DPO_CONTACT = env_str(
    "PRIVACY_DPO_CONTACT", "Pejabat Pelindungan Data Pribadi, ppdp.disdukcapil@kuduskab.go.id"
)
# SMS/WhatsApp gateway: a dotted path to a class with `send(*, to, text)`. The console backend
# prints messages (recipient masked); `schedules.messaging.LocmemSMSBackend` keeps them for tests.
SMS_BACKEND = env_str("SMS_BACKEND", "schedules.messaging.ConsoleSMSBackend")
# schedules.messaging.HTTPGatewaySMSBackend posts {"to", "text"} as JSON to this URL with the key as a
# bearer token; it gives up after SMS_GATEWAY_TIMEOUT seconds (the task retries with backoff).
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "")
SMS_GATEWAY_KEY = env_str("SMS_GATEWAY_KEY", "")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 10)
# Signed manage links in messages work until the booking's slot ends, and never longer than this.
SCHEDULES_MANAGE_LINK_MAX_DAYS = env_int("SCHEDULES_MANAGE_LINK_MAX_DAYS", 60)

# --- Schedules (outreach sessions and appointments) ------------------------------------------
# Default places per slot per service desk: a slot's capacity is desks × this unless set.
SCHEDULES_PLACES_PER_DESK = env_int("SCHEDULES_PLACES_PER_DESK", 3)
# Citizens can book sessions up to this many days ahead (today counts as day 0).
SCHEDULES_BOOKING_WINDOW_DAYS = env_int("SCHEDULES_BOOKING_WINDOW_DAYS", 30)
# Latest public booking: this many minutes before the slot starts (staff booking a walk-in may book
# until the slot ends).
SCHEDULES_BOOKING_CUTOFF_MINUTES = env_int("SCHEDULES_BOOKING_CUTOFF_MINUTES", 30)
# The public session list (the rush page) is cached this many seconds per language, filter and page,
# and re-rendered at once after a booking, cancel or session change (schedules/public_list.py); 0 turns
# the cache off. The booking itself always re-checks capacity in the database.
SCHEDULES_PUBLIC_LIST_CACHE_SECONDS = env_int("SCHEDULES_PUBLIC_LIST_CACHE_SECONDS", 15)
# Latest cancel or move by the citizen: this many minutes before the booked slot starts.
SCHEDULES_CHANGE_CUTOFF_MINUTES = env_int("SCHEDULES_CHANGE_CUTOFF_MINUTES", 120)
# The offline desk (issue 17): how long a tablet may keep a session's downloaded bookings before
# they expire (a stolen tablet's cached data goes stale after this).
DESK_OFFLINE_MAX_AGE_HOURS = env_int("DESK_OFFLINE_MAX_AGE_HOURS", 12)
# Reminders for tomorrow's appointments go out from this hour (WIB) today.
SCHEDULES_REMINDER_HOUR = env_int("SCHEDULES_REMINDER_HOUR", 9)
# Bookings still unchecked this many minutes after their session ended become no-shows.
SCHEDULES_NO_SHOW_GRACE_MINUTES = env_int("SCHEDULES_NO_SHOW_GRACE_MINUTES", 30)
# A queue number called this many times without being served is a no-show (its open requests are
# cancelled); before that, "call next" puts it back in the queue behind those not yet called.
SCHEDULES_QUEUE_NO_SHOW_AFTER_CALLS = env_int("SCHEDULES_QUEUE_NO_SHOW_AFTER_CALLS", 3)
# Family booking: at most this many members of one KK in one submission (the first included).
SCHEDULES_FAMILY_MAX_MEMBERS = env_int("SCHEDULES_FAMILY_MAX_MEMBERS", 6)
# Waiting list: a freed place offered to the first in line is held this many minutes (never past the
# booking cut-off of its slot), then offered to the next.
SCHEDULES_WAITLIST_OFFER_MINUTES = env_int("SCHEDULES_WAITLIST_OFFER_MINUTES", 120)
CELERY_BEAT_SCHEDULE["schedules-waitlist-sweep"] = {
    # Every minute: expired waiting-list offers free their place for the next in line, and free
    # places (a capacity raised, a release missed) are offered. Each freeing event runs it too.
    "task": "schedules.tasks.waitlist_sweep",
    "schedule": 60.0,
    "options": {"expires": 50, "expire_seconds": 50},
}
# The phone and e-mail given with a booking are forgotten this many days after its session.
SCHEDULES_CONTACT_RETENTION_DAYS = env_int("SCHEDULES_CONTACT_RETENTION_DAYS", 30)
# Public flows (booking, "find my booking"): after this many failed NIK + KK checks of one NIK
# within PUBLIC_IDENTITY_LOCK_SECONDS, that NIK's public flows answer "not verified" until the
# window has passed (the form and the API share the budget per address: THROTTLE_BOOKING_ANON).
PUBLIC_IDENTITY_MAX_FAILURES = env_int("PUBLIC_IDENTITY_MAX_FAILURES", 5)
PUBLIC_IDENTITY_LOCK_SECONDS = env_int("PUBLIC_IDENTITY_LOCK_SECONDS", 60 * 60)
# A manage link sent again by "find my booking" works this many seconds (default a week).
SCHEDULES_MANAGE_LINK_MAX_AGE = env_int("SCHEDULES_MANAGE_LINK_MAX_AGE", 7 * 24 * 60 * 60)

DEMO_STAFF_USERNAME = "demo"
DEMO_STAFF_PASSWORD = env_str("DEMO_STAFF_PASSWORD", "kudus-demo-2024")

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_nik": {"()": "core.logmask.MaskPersonalDataFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_nik"]},
        "mail_admins": {
            "class": "core.logmask.MaskedAdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "mask_nik"],
            "include_html": False,  # the HTML report lists local variables of every frame
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Replaces Django's default "django" logger, whose own (unmasked) mail_admins handler would
        # otherwise send a second report of every error.
        "django": {"handlers": ["mail_admins"], "level": env_str("LOG_LEVEL", "INFO"), "propagate": True},
    },
}
