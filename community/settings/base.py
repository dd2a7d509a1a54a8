"""Settings shared by every environment; every deployment difference comes from ``env``.

Embedded defaults (nothing set): SQLite under ``var/``, the in-memory channel layer, a
local-memory cache and Celery tasks run in-process. Setting ``DATABASE_URL``, ``REDIS_URL``
and ``CELERY_BROKER_URL`` switches each to its production backend.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from community.env import BASE_DIR, env

VAR_DIR = Path(env.str("COMMUNITY_VAR_DIR", default=str(BASE_DIR / "var")))

DJANGO_ENV = env.str("DJANGO_ENV", default="local")
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # relative times ("3 minutes ago", "3分前") with their catalogs
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "apps.accounts.apps.LoginProtectionConfig",  # django-axes, with a translated name
    # Project apps, in dependency order: later apps may call earlier apps' services.
    "apps.common",
    "apps.accounts",
    "apps.titles",
    "apps.players",
    "apps.chat",
    "apps.game_events",
    "apps.moderation",
    "apps.ugc",
    "apps.portal",
    "apps.guilds",
    "apps.api",
    "apps.realtime",
    "apps.ops",
]

MIDDLEWARE = [
    # First: every response (redirects and refusals too) carries its id and is measured.
    "apps.ops.middleware.RequestIdMiddleware",
    # /healthz answers here, before everything below (apps/api/middleware.py).
    "apps.api.middleware.LivenessMiddleware",
    # A rendered REST response leaves DRF's view/response cycle at once (apps/api/middleware.py).
    "apps.api.middleware.ViewCycleRelease",
    "django.middleware.security.SecurityMiddleware",
    "apps.api.middleware.ChunkedBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, without the language-in-the-path lookups (apps/common/locale_middleware.py).
    "apps.common.locale_middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the policy built once (apps/portal/csp.py).
    "apps.portal.csp.PolicyCSPMiddleware",
    # An API request carrying a player token or a title key goes from here to the view: what
    # follows serves the portal's session (apps/api/middleware.py).
    "apps.api.middleware.BearerApiShortcut",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the signed-in player's own language and time zone win.
    "apps.players.preferences.PlayerPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: a banned or suspended player's open session ends at once.
    "apps.moderation.middleware.SanctionedSessionMiddleware",
    # Last of the portal's, as django-axes asks: turns a refused login into
    # apps.accounts.lockout's answer.
    "axes.middleware.AxesMiddleware",
    "apps.api.middleware.BearerApiShortcutEnd",
]

ROOT_URLCONF = "community.urls"
WSGI_APPLICATION = "community.wsgi.application"
ASGI_APPLICATION = "community.asgi.application"

# Field errors under their field, tied to it for screen readers (apps/portal/forms.py).
FORM_RENDERER = "apps.portal.forms.PortalFormRenderer"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Under ASGI every sync ORM call may run on a fresh thread, so persistent connections leak
# (daphne#442); PostgreSQL uses psycopg 3's pool instead and CONN_MAX_AGE stays 0.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=10)
# Fail fast while the database is down (apps/common/outage.py, docs/operations.md, "Database
# outages"): a connection attempt gives up after DATABASE_CONNECT_TIMEOUT_SECONDS (libpq) and
# a wait for a pooled connection after DATABASE_POOL_TIMEOUT_SECONDS; after a failure, new
# connections fail at once for DATABASE_OUTAGE_RETRY_SECONDS before one caller tries again.
# The pool stops its own reconnect attempts after DATABASE_POOL_RECONNECT_SECONDS (their
# back-off would otherwise delay the recovery by up to minutes); the next request starts anew.
DATABASE_CONNECT_TIMEOUT_SECONDS = env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=2)
DATABASE_POOL_TIMEOUT_SECONDS = env.float("DATABASE_POOL_TIMEOUT_SECONDS", default=2.0)
DATABASE_POOL_RECONNECT_SECONDS = env.float("DATABASE_POOL_RECONNECT_SECONDS", default=5.0)
DATABASE_OUTAGE_RETRY_SECONDS = env.float("DATABASE_OUTAGE_RETRY_SECONDS", default=2.0)
# A pooled connection idle for this long is checked (one round trip) before it is handed out;
# one returned more recently is not (apps/common/postgresql/pool.py). 0 checks every checkout.
DATABASE_POOL_CHECK_IDLE_SECONDS = env.float("DATABASE_POOL_CHECK_IDLE_SECONDS", default=1.0)
# The hot reads (apps.common.compiled_query) run as prepared statements: PostgreSQL parses and
# plans each once per connection (apps/common/postgresql/base.py, prepared_cursor). Turn off
# behind a transaction-mode pooler that cannot keep them (PgBouncer before 1.22, or without
# max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if env.str("DATABASE_URL", default=""):
    _database = env.db_url("DATABASE_URL")
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with the outage breaker in front of every new connection.
        _database["ENGINE"] = "apps.common.postgresql"
        _database["CONN_MAX_AGE"] = 0
        # Pooled connections are checked before use, those idle a while only
        # (apps/common/postgresql/pool.py).
        _database["CONN_HEALTH_CHECKS"] = True
        _options = _database.setdefault("OPTIONS", {})
        _options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT_SECONDS)
        if DATABASE_PREPARED_STATEMENTS:
            # Django's own cursors bind on the client and prepare nothing whatever this says;
            # only prepared_cursor's statements are prepared, on their first run.
            _options.setdefault("prepare_threshold", 1)
        if DATABASE_POOL_MAX_SIZE > 0:
            _options["pool"] = {
                "min_size": 1,
                "max_size": DATABASE_POOL_MAX_SIZE,
                "timeout": DATABASE_POOL_TIMEOUT_SECONDS,
                "reconnect_timeout": DATABASE_POOL_RECONNECT_SECONDS,
            }
else:
    # SQLite creates its file but not its folder: a fresh clone has no var/ until something
    # makes it, and every entry point (manage.py, pytest, make) must work from a fresh clone.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "community.sqlite3",
        # SQLite serialises writers; a busy timeout makes concurrent writers wait, not fail.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and channel layer ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "community",
            "TIMEOUT": 300,
            # Fail fast when Redis is down rather than hang a request (readyz reports it).
            "OPTIONS": {
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
                "health_check_interval": 5,
            },
        }
    }
    # The channel layer is channels-redis's, with a cheaper group_send (apps/realtime/layer.py).
    # More than one Redis instance shards the channel layer: channels-redis spreads groups and
    # channels over its hosts (docs/operations.md, "Scaling out"). Default: REDIS_URL alone.
    CHANNEL_LAYER_URLS = env.list("CHANNEL_LAYER_URLS", default=[REDIS_URL])
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "apps.realtime.layer.ChannelLayer",
            "CONFIG": {
                # redis-py's pool raises instead of waiting when exhausted; a connect burst
                # needs headroom (stack-pitfalls §1.1). redis-py 8 reads with a 5 s timeout,
                # as long as channels_redis' own blocking receive: a loaded consumer then dies
                # with "Timeout reading from Redis", so reads get a longer bound.
                # After a Redis restart no pooled connection is used stale: each is checked
                # (PING) when idle longer than the interval, and a command that meets a dead
                # one reconnects and runs once more instead of failing (apps/realtime/outage.py).
                "hosts": [
                    {
                        "address": url,
                        "max_connections": 1000,
                        "socket_timeout": 30,
                        "socket_connect_timeout": 2,
                        "socket_keepalive": True,
                        "health_check_interval": 5,
                        "retry": Retry(NoBackoff(), 1),
                        "retry_on_error": [RedisConnectionError],
                    }
                    for url in CHANNEL_LAYER_URLS
                ],
                "prefix": "community:asgi",
                "capacity": 1000,
                "expiry": 60,
                # Must not be lower than Daphne's websocket timeout (channels_redis README).
                "group_expiry": 86400,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process through the normal task API (embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Tasks are written to be idempotent, so a task whose worker died is redelivered (celery#1628).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# The visibility timeout must exceed the hard limit, or a running late-ack task is re-queued
# and runs twice at once (celery#4984).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2 + 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every login attempt while the account or the client address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.UsernameOrEmailBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Login lockout (django-axes, apps/accounts/lockout.py): after LIMIT failed logins for one
# account or from one client address within the cool-off, both are refused for the cool-off.
AXES_FAILURE_LIMIT = env.int("LOGIN_LOCKOUT_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOGIN_LOCKOUT_COOLOFF_SECONDS", default=900))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "apps.common.client_address.client_address_of_request"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
# Attempts during a lockout are refused but do not prolong it; a success resets nothing, or an
# attacker with one account could clear its address's count by logging in to it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
# Successful logins are not logged (personal data we have no use for).
AXES_DISABLE_ACCESS_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # log lines name only the masked lockout keys, not the user agent
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email -------------------------------------------------------------------------------------
# Account emails (password reset, signup) go through Django's email backend from a Celery task.
# Unset EMAIL_HOST: printed to the console (embedded default). Set: sent by SMTP.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Game Community <noreply@localhost>")
# Password reset links expire after this many seconds (Django's default: three days).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3 * 24 * 3600)
# Signup links (apps/accounts/signup.py) expire after this many seconds.
ACCOUNTS_SIGNUP_LINK_MAX_AGE_SECONDS = env.int(
    "ACCOUNTS_SIGNUP_LINK_MAX_AGE_SECONDS", default=3 * 24 * 3600
)

# --- I18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The product's languages (catalogs, automod rules, per-language content). LANGUAGES adds the
# pseudo-locale where it is enabled: models take their choices from PRODUCT_LANGUAGES, never
# from LANGUAGES, or migrations would differ between environments.
PRODUCT_LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LANGUAGES = list(PRODUCT_LANGUAGES)
LOCALE_PATHS = [BASE_DIR / "locale"]
# The pseudo-locale en-xa (apps/ops/pseudo_locale.py, `manage.py pseudo_locale`): developers and
# the translation gate test view pages in it; production never offers it.
PSEUDO_LOCALE_ENABLED = env.bool("PSEUDO_LOCALE_ENABLED", default=DJANGO_ENV != "production")
PSEUDO_LOCALE_DIR = VAR_DIR / "locale"
if PSEUDO_LOCALE_ENABLED:
    # Its name is already pseudo: never translated.
    LANGUAGES.append(("en-xa", "\uff3bƤšéûđö\uff3d"))  # type: ignore[arg-type]
    LOCALE_PATHS.append(PSEUDO_LOCALE_DIR)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve from the finders when collectstatic has not run (make run, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Client address ----------------------------------------------------------------------------
# Reverse proxies in front of the app that append (or set) X-Forwarded-For. 0: the header is
# ignored and the connecting peer is the client. Throttles, the login lockout and logs all read
# the client address through apps.common.client_address (docs/operations.md).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- REST API ---------------------------------------------------------------------------------
# Seconds a process keeps an API token's row between requests (apps/accounts/token_cache.py:
# any change to the token, its user, player or sanctions is seen at once through Redis; this
# bounds only what a write that could not reach Redis leaves behind). 0: ask every request.
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=10)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.PlayerTokenAuthentication",
        "apps.titles.authentication.TitleKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Bodies are JSON (the avatar upload alone is multipart): form encodings cannot say "an
    # empty list" or "a number", and every endpoint validates one way.
    "DEFAULT_PARSER_CLASSES": ["apps.api.parsers.JSONParser"],
    # DRF's JSON bytes, encoded by orjson (apps/api/renderers.py), and the browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "apps.api.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's, with the usual Accept headers answered without parsing (apps/api/negotiation.py).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apps.api.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.api.throttling.AnonRateThrottle",
        "apps.api.throttling.UserRateThrottle",
        "apps.api.throttling.ScopedRateThrottle",
    ],
    # Our throttles resolve the client with apps.common.client_address; this keeps any DRF
    # class that does not on the same proxy rule.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        "auth": env.str("API_THROTTLE_AUTH", default="20/min"),
    },
    "EXCEPTION_HANDLER": "apps.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# JSON bodies nested deeper than this are refused with `json_too_deep` (apps/api/parsers.py).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
# A body sent chunked (no Content-Length) is read up to this size (apps/api/middleware.py).
HTTP_CHUNKED_BODY_MAX_BYTES = env.int("HTTP_CHUNKED_BODY_MAX_BYTES", default=8 << 20)
SPECTACULAR_SETTINGS = {
    "TITLE": "Game Community API",
    "DESCRIPTION": (
        "REST API of the game community service. Errors use one envelope: "
        '`{"error": {"code": "...", "message": "...", "details": {...}}}`; '
        "see docs/api.md for the code table."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI assets are served from our static files, never a CDN (CSP, closed networks).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Websockets -------------------------------------------------------------------------------
# Browsers always send Origin on websocket handshakes; these origins may use the session cookie.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=[])
WEBSOCKET_AUTH_TIMEOUT_SECONDS = env.float("WEBSOCKET_AUTH_TIMEOUT_SECONDS", default=10.0)
# Redis outages (apps/realtime/outage.py): each Daphne process checks this often that Redis
# still knows it (a restart forgets groups), and retries with jittered back-off up to the cap.
REALTIME_REDIS_PROBE_SECONDS = env.float("REALTIME_REDIS_PROBE_SECONDS", default=1.0)
REALTIME_REDIS_BACKOFF_MAX_SECONDS = env.float("REALTIME_REDIS_BACKOFF_MAX_SECONDS", default=2.0)
# A socket refused while Redis is unreachable (close 1013) is told to come back after a random
# delay in this range (`details.retry_after_ms`), so refused clients do not return together.
REALTIME_RECONNECT_MIN_MS = env.int("REALTIME_RECONNECT_MIN_MS", default=1000)
REALTIME_RECONNECT_MAX_MS = env.int("REALTIME_RECONNECT_MAX_MS", default=10000)
# Slow consumers: a socket whose unsent frames (written but not yet taken by the network)
# exceed either bound is closed with 4010 (docs/websocket-protocol.md, "Close codes").
WEBSOCKET_SEND_QUEUE_MAX_BYTES = env.int("WEBSOCKET_SEND_QUEUE_MAX_BYTES", default=1024 * 1024)
WEBSOCKET_SEND_QUEUE_MAX_FRAMES = env.int("WEBSOCKET_SEND_QUEUE_MAX_FRAMES", default=2000)

# --- Security headers that hold everywhere ----------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# django-csp 4 puts a per-response nonce where its NONCE constant stands (and only when a
# template used it). 'self' in connect-src covers ws:/wss: to this origin (CSP Level 3).
CONTENT_SECURITY_POLICY: dict[str, dict[str, list[Any]]] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "apps.common.logging.JsonFormatter"},
    },
    "filters": {
        "context_ids": {"()": "apps.common.logging.ContextIdsFilter"},
        # A database outage is logged once per state change, not per request or socket.
        "database_outage": {"()": "apps.common.outage.OutageLogFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context_ids", "database_outage"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
        # Failures and lockouts (username and address masked); not its per-login clean-up lines.
        "axes": {"level": "WARNING"},
        # The pool warns on every reconnect attempt; apps.common.outage logs the outage once.
        "psycopg.pool": {"level": "ERROR"},
    },
}

# --- Metrics (docs/operations.md, "Metrics and alerts") ------------------------------------------
# Scrapers send it as a bearer token to /metrics (gunicorn, Daphne); without it /metrics exists
# only in DEBUG. The Celery worker (and the game-event consumer inside it) serves its metrics
# on METRICS_PORT (0: off) on the host's loopback, or METRICS_ADDRESS.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_PORT = env.int("METRICS_PORT", default=0)
METRICS_ADDRESS = env.str("METRICS_ADDRESS", default="127.0.0.1")

# --- OpenTelemetry (docs/operations.md, "OpenTelemetry") ------------------------------------------
# Off unless one is set: the same metrics as /metrics, and spans of requests and tasks, to an
# OTLP/HTTP endpoint (a collector; OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME and the
# OTEL_TRACES_SAMPLER variables are read by the SDK itself) and/or to Application Insights.
OTEL_EXPORTER_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
APPLICATIONINSIGHTS_CONNECTION_STRING = env.str("APPLICATIONINSIGHTS_CONNECTION_STRING", default="")
# With the component's local auth disabled (ours, infra/azure): send with DefaultAzureCredential
# (the managed identity, AZURE_CLIENT_ID) instead of the connection string's key.
APPLICATIONINSIGHTS_ENTRA_AUTH = env.bool("APPLICATIONINSIGHTS_ENTRA_AUTH", default=False)
# The OpenTelemetry variable (milliseconds; the SDK's default is 60 s).
OTEL_METRIC_EXPORT_INTERVAL_MS = env.int("OTEL_METRIC_EXPORT_INTERVAL", default=60_000)

# --- Product limits -----------------------------------------------------------------------------
TITLE_CREDENTIAL_ROTATION_GRACE = timedelta(
    seconds=env.int("TITLE_CREDENTIAL_ROTATION_GRACE_SECONDS", default=24 * 3600)
)

# Websocket frame limits, passed to Daphne by community.server and announced in `welcome`.
WEBSOCKET_MAX_MESSAGE_BYTES = env.int("WEBSOCKET_MAX_MESSAGE_BYTES", default=64 * 1024)
# Daphne's default listen backlog of 50 stalls a reconnect burst (stack-pitfalls §1.2).
DAPHNE_LISTEN_BACKLOG = env.int("DAPHNE_LISTEN_BACKLOG", default=1024)
# Daphne's own access log: a plain NCSA line with the client's address for every HTTP request
# and three for every websocket (connecting, connected, disconnected), on stdout. Off by
# default: the product's logs are JSON lines without personal data (docs/operations.md, "Logs")
# and open sockets are counted by metrics; on for a debugging session.
DAPHNE_ACCESS_LOG = env.bool("DAPHNE_ACCESS_LOG", default=False)

# --- Chat -------------------------------------------------------------------------------------
# Limits are announced to clients in the websocket `welcome` frame (docs/websocket-protocol.md).
CHAT_MESSAGE_MAX_LENGTH = env.int("CHAT_MESSAGE_MAX_LENGTH", default=2000)
CHAT_SUBSCRIPTIONS_PER_SOCKET = env.int("CHAT_SUBSCRIPTIONS_PER_SOCKET", default=100)
CHAT_SOCKETS_PER_PLAYER = env.int("CHAT_SOCKETS_PER_PLAYER", default=10)
# A socket's slot in the per-player cap is refreshed while it is open and expires after this.
CHAT_SOCKET_SLOT_TTL_SECONDS = env.int("CHAT_SOCKET_SLOT_TTL_SECONDS", default=90)
# Token buckets: a burst of `capacity` sends, refilled at `per_second`.
CHAT_RATE_PLAYER_CAPACITY = env.int("CHAT_RATE_PLAYER_CAPACITY", default=10)
CHAT_RATE_PLAYER_PER_SECOND = env.float("CHAT_RATE_PLAYER_PER_SECOND", default=2.0)
CHAT_RATE_CHANNEL_CAPACITY = env.int("CHAT_RATE_CHANNEL_CAPACITY", default=200)
CHAT_RATE_CHANNEL_PER_SECOND = env.float("CHAT_RATE_CHANNEL_PER_SECOND", default=100.0)
# `typing` frames per player per channel (token bucket); the excess is acknowledged and dropped.
CHAT_TYPING_BURST = env.int("CHAT_TYPING_BURST", default=3)
CHAT_TYPING_PER_SECOND = env.float("CHAT_TYPING_PER_SECOND", default=0.5)
# `subscribe` with last_seq replays at most this many missed messages; beyond it the client
# is told to fetch history.
CHAT_RESUME_MAX_MESSAGES = env.int("CHAT_RESUME_MAX_MESSAGES", default=500)
CHAT_HISTORY_PAGE_MAX = env.int("CHAT_HISTORY_PAGE_MAX", default=100)
CHAT_TOKEN_TTL_SECONDS = env.int("CHAT_TOKEN_TTL_SECONDS", default=300)
CHAT_HEARTBEAT_SECONDS = env.int("CHAT_HEARTBEAT_SECONDS", default=30)
CHAT_REACTION_EMOJI = env.list(
    "CHAT_REACTION_EMOJI", default=["👍", "❤️", "😂", "😮", "😢", "🎉", "🔥", "GG"]
)
# Group commit (apps/chat/commit.py): each process stores waiting messages together, up to
# MAX_BATCH per transaction; a sender waits at most TIMEOUT for its commit. Off: one
# transaction per message.
CHAT_GROUP_COMMIT = env.bool("CHAT_GROUP_COMMIT", default=True)
CHAT_GROUP_COMMIT_MAX_BATCH = env.int("CHAT_GROUP_COMMIT_MAX_BATCH", default=500)
CHAT_GROUP_COMMIT_TIMEOUT_SECONDS = env.float("CHAT_GROUP_COMMIT_TIMEOUT_SECONDS", default=10.0)
# The committer gives its database connection back after this long without messages.
CHAT_GROUP_COMMIT_IDLE_CLOSE_SECONDS = env.float(
    "CHAT_GROUP_COMMIT_IDLE_CLOSE_SECONDS", default=5.0
)
# Each Daphne process re-joins its fan-out groups this often, so a Redis restart (which loses
# group membership) heals without a Daphne restart; clients fill the gap by resume.
CHAT_FANOUT_REFRESH_SECONDS = env.float("CHAT_FANOUT_REFRESH_SECONDS", default=30.0)
# How long a process holds frames that came after a hole in a channel's seq, waiting for the
# missing ones (usually another process's, still on the channel layer), before it reads those
# from the database: twice the layer's recent lag, within these bounds.
CHAT_FANOUT_HOLE_WAIT_SECONDS = env.float("CHAT_FANOUT_HOLE_WAIT_SECONDS", default=0.2)
CHAT_FANOUT_HOLE_WAIT_MAX_SECONDS = env.float("CHAT_FANOUT_HOLE_WAIT_MAX_SECONDS", default=2.0)

# --- Game events ----------------------------------------------------------------------------------
# Service Bus consumer (docs/events.md). Unset connection string: no consumer; titles use HTTP
# ingest (POST /api/v1/events) and the simulator feeds events in process.
SERVICEBUS_CONNECTION_STRING = env.str("SERVICEBUS_CONNECTION_STRING", default="")
# Production on Azure: no key at all. The namespace's host name (…servicebus.windows.net) and a
# managed identity with the Azure Service Bus Data Receiver role; the token comes from
# SERVICEBUS_CREDENTIAL, a callable returning an azure-identity credential (docs/deploy-azure.md).
SERVICEBUS_FULLY_QUALIFIED_NAMESPACE = env.str("SERVICEBUS_FULLY_QUALIFIED_NAMESPACE", default="")
SERVICEBUS_CREDENTIAL = env.str(
    "SERVICEBUS_CREDENTIAL", default="azure.identity.DefaultAzureCredential"
)
# TLS to the namespace (always, on Azure); off only for a local emulator on plain TCP.
SERVICEBUS_USE_TLS = env.bool("SERVICEBUS_USE_TLS", default=True)
# Read from a topic subscription (both set) or else from a queue.
SERVICEBUS_TOPIC = env.str("SERVICEBUS_TOPIC", default="game-events")
SERVICEBUS_SUBSCRIPTION = env.str("SERVICEBUS_SUBSCRIPTION", default="community")
SERVICEBUS_QUEUE = env.str("SERVICEBUS_QUEUE", default="")
# Title slugs whose events this entity may carry ("*" = every active title). Service Bus SAS
# keys authenticate the sender, not the title, so the source is checked against this list.
SERVICEBUS_SOURCE_TITLES = env.list("SERVICEBUS_SOURCE_TITLES", default=["*"])
SERVICEBUS_RECEIVE_BATCH_SIZE = env.int("SERVICEBUS_RECEIVE_BATCH_SIZE", default=32)
# Prefetched messages' locks tick while buffered (stack-pitfalls §1.5): keep it small.
SERVICEBUS_PREFETCH = env.int("SERVICEBUS_PREFETCH", default=0)
# An idle consumer receives for this long in all (in calls of at most 0.25 s), then loops.
SERVICEBUS_MAX_WAIT_SECONDS = env.float("SERVICEBUS_MAX_WAIT_SECONDS", default=5.0)
# Group commit: while messages keep arriving, the consumer goes on receiving for up to this
# long (seconds) or this many messages and records them in one transaction — what makes small
# receive batches (1) cheap. 0 seconds: one transaction per receive call.
SERVICEBUS_GROUP_WAIT_SECONDS = env.float("SERVICEBUS_GROUP_WAIT_SECONDS", default=0.2)
SERVICEBUS_GROUP_MAX = env.int("SERVICEBUS_GROUP_MAX", default=1024)
# AutoLockRenewer keeps a received batch's locks alive this long at most.
SERVICEBUS_LOCK_RENEWAL_SECONDS = env.float("SERVICEBUS_LOCK_RENEWAL_SECONDS", default=300.0)
# Consumer processes each `celery -A community worker` supervises (0: none).
GAME_EVENTS_CONSUMERS = env.int("GAME_EVENTS_CONSUMERS", default=1)
# Largest accepted event (serialized bytes) and HTTP ingest batch.
GAME_EVENTS_MAX_EVENT_BYTES = env.int("GAME_EVENTS_MAX_EVENT_BYTES", default=64 * 1024)
GAME_EVENTS_HTTP_MAX_BATCH = env.int("GAME_EVENTS_HTTP_MAX_BATCH", default=500)
GAME_EVENTS_HTTP_MAX_BODY_BYTES = env.int("GAME_EVENTS_HTTP_MAX_BODY_BYTES", default=4 << 20)
# An event's ``time`` may lie at most this far ahead of our clock (a game server's clock skew).
GAME_EVENTS_MAX_FUTURE_SECONDS = env.int("GAME_EVENTS_MAX_FUTURE_SECONDS", default=300)
# Effects are applied by a Celery task in batches of this many events per transaction.
GAME_EVENTS_APPLY_BATCH_SIZE = env.int("GAME_EVENTS_APPLY_BATCH_SIZE", default=500)
# One apply run stops starting batches after this many events or seconds (its soft time limit
# is 120 s); the rest goes to the next run.
GAME_EVENTS_APPLY_RUN_MAX_EVENTS = env.int("GAME_EVENTS_APPLY_RUN_MAX_EVENTS", default=5000)
GAME_EVENTS_APPLY_RUN_SECONDS = env.float("GAME_EVENTS_APPLY_RUN_SECONDS", default=30.0)
# While an apply task is queued and not started, inbox commits queue no other; after this
# long a commit queues one anyway (a lost task; beat also runs one every minute).
GAME_EVENTS_APPLY_WAKEUP_TTL_SECONDS = env.int("GAME_EVENTS_APPLY_WAKEUP_TTL_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["game-events-apply-pending"] = {
    # Safety net: applies rows whose apply task was lost (crash between commit and publish).
    "task": "game_events.apply_pending",
    "schedule": 60.0,
}

# --- Players ----------------------------------------------------------------------------------
# A websocket counts as online this long after its last heartbeat (clients ping every 30 s).
PLAYERS_PRESENCE_TTL_SECONDS = env.float("PLAYERS_PRESENCE_TTL_SECONDS", default=90.0)
# A game session with no event for this long is ended by the sweep (its server crashed).
PLAYERS_GAME_SESSION_TTL_SECONDS = env.int("PLAYERS_GAME_SESSION_TTL_SECONDS", default=4 * 3600)
PLAYERS_MAX_PENDING_FRIEND_REQUESTS = env.int("PLAYERS_MAX_PENDING_FRIEND_REQUESTS", default=50)
PLAYERS_SHOWCASE_MAX = 6
PLAYERS_AVATAR_MAX_BYTES = env.int("PLAYERS_AVATAR_MAX_BYTES", default=2 * 1024 * 1024)
# Decompression-bomb guard: refuse images with more pixels than this before decoding them.
PLAYERS_AVATAR_MAX_PIXELS = env.int("PLAYERS_AVATAR_MAX_PIXELS", default=4096 * 4096)
PLAYERS_IDENTITY_CLAIM_CODE_TTL = timedelta(minutes=15)
# Display names (and guild names) nobody may take: staff words and the brand; every title's
# name and slug is added at run time (apps.titles.selectors.reserved_names). Compared word by
# word after normalization and confusable folding (docs/players.md, "Display names").
# RESERVED_NAMES_EXTRA (comma-separated) adds more without a code change.
RESERVED_NAMES = [
    *("admin", "administrator", "moderator", "mod", "mods", "support", "staff", "official"),
    *("system", "sysop", "gm", "game master", "developer", "community manager"),
    *("customer service", "help desk", "helpdesk", "Game Community"),
    *env.list("RESERVED_NAMES_EXTRA", default=[]),
]
# After a deletion request the account can still be restored for this long; then it is erased.
PLAYERS_DELETION_GRACE = timedelta(days=env.int("PLAYERS_DELETION_GRACE_DAYS", default=14))
CELERY_BEAT_SCHEDULE.update(
    {
        "players-presence-sweep": {"task": "players.presence_sweep", "schedule": 30.0},
        "players-deletion-purge": {"task": "players.deletion_purge", "schedule": 3600.0},
    }
)

# --- Moderation (docs/moderation.md) ----------------------------------------------------------
# The longest suspension a moderator may issue; longer ones and bans need a senior moderator.
MODERATION_MODERATOR_MAX_SUSPENSION_HOURS = env.int(
    "MODERATION_MODERATOR_MAX_SUSPENSION_HOURS", default=72
)
# Reports a player may file: a burst, refilled at this rate per hour (report spam).
MODERATION_REPORTS_BURST = env.int("MODERATION_REPORTS_BURST", default=5)
MODERATION_REPORTS_PER_HOUR = env.int("MODERATION_REPORTS_PER_HOUR", default=20)
# Distinct reporters that hide a target pending review (per title in the admin).
MODERATION_ESCALATION_REPORTERS = env.int("MODERATION_ESCALATION_REPORTERS", default=5)
# A moderator's claim on a report lapses after this long.
MODERATION_CLAIM_MINUTES = env.int("MODERATION_CLAIM_MINUTES", default=30)
# Appeal links of banned or suspended players (no session): how long one is valid, and how
# often links may be used (per sanction and per client address: a burst, refilled per hour).
MODERATION_APPEAL_LINK_DAYS = env.int("MODERATION_APPEAL_LINK_DAYS", default=30)
MODERATION_APPEAL_LINK_BURST = env.int("MODERATION_APPEAL_LINK_BURST", default=10)
MODERATION_APPEAL_LINK_PER_HOUR = env.int("MODERATION_APPEAL_LINK_PER_HOUR", default=30)
# One OpenAPI enum for the reason categories (reports call it category, sanctions
# reason_category).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(  # type: ignore[attr-defined]
    {"ReasonCategoryEnum": "apps.moderation.models.ReasonCategory"}
)
# Automod: other processes see rule edits within this many seconds; links to domains a title
# has not allowed are flagged (or "block" / "off") unless its settings say otherwise.
MODERATION_AUTOMOD_RECHECK_SECONDS = env.float("MODERATION_AUTOMOD_RECHECK_SECONDS", default=1.0)
MODERATION_LINK_ACTION = env.str("MODERATION_LINK_ACTION", default="flag")
# Spam for titles without their own settings: the same text more than N times a minute
# (0: off) and more than N messages in S seconds (0: off; chat's rate limit still applies).
MODERATION_REPEAT_LIMIT = env.int("MODERATION_REPEAT_LIMIT", default=5)
MODERATION_FLOOD_MESSAGES = env.int("MODERATION_FLOOD_MESSAGES", default=0)
MODERATION_FLOOD_SECONDS = env.int("MODERATION_FLOOD_SECONDS", default=10)
CELERY_BEAT_SCHEDULE.update(
    {"moderation-cleanup": {"task": "moderation.cleanup", "schedule": 3600.0}}
)

# --- UGC (docs/ugc.md) ------------------------------------------------------------------------
# Files go to the "ugc" storage: Azure Blob Storage when a connection string or an account name
# + key is set (a private container; files are only ever served through short-lived SAS URLs),
# else the local filesystem under UGC_STORAGE_LOCATION, served by signed links to a Django
# view. Never under MEDIA_ROOT: that folder is served publicly under DEBUG.
UGC_AZURE_CONNECTION_STRING = env.str("UGC_AZURE_CONNECTION_STRING", default="")
UGC_AZURE_ACCOUNT_NAME = env.str("UGC_AZURE_ACCOUNT_NAME", default="")
UGC_AZURE_ACCOUNT_KEY = env.str("UGC_AZURE_ACCOUNT_KEY", default="")
UGC_AZURE_CONTAINER = env.str("UGC_AZURE_CONTAINER", default="ugc")
UGC_STORAGE_LOCATION = Path(env.str("UGC_STORAGE_LOCATION", default=str(VAR_DIR / "ugc")))
UGC_SIGNED_URL_TTL_SECONDS = env.int("UGC_SIGNED_URL_TTL_SECONDS", default=300)
if UGC_AZURE_CONNECTION_STRING or UGC_AZURE_ACCOUNT_NAME:
    STORAGES["ugc"] = {
        "BACKEND": "storages.backends.azure_storage.AzureStorage",
        "OPTIONS": {
            "connection_string": UGC_AZURE_CONNECTION_STRING or None,
            "account_name": UGC_AZURE_ACCOUNT_NAME or None,
            "account_key": UGC_AZURE_ACCOUNT_KEY or None,
            "azure_container": UGC_AZURE_CONTAINER,
            "expiration_secs": UGC_SIGNED_URL_TTL_SECONDS,
            # Names are server-generated and random (never user-influenced, stack-pitfalls
            # §4.5), so a save need not first ask whether the name exists.
            "overwrite_files": True,
            "upload_max_conn": env.int("UGC_AZURE_UPLOAD_CONCURRENCY", default=2),
            "timeout": env.int("UGC_AZURE_TIMEOUT_SECONDS", default=60),
        },
    }
    if UGC_AZURE_ACCOUNT_NAME and not (UGC_AZURE_CONNECTION_STRING or UGC_AZURE_ACCOUNT_KEY):
        # No key (Azure, managed identity): requests carry Entra tokens and download links
        # are user delegation SAS (django-storages asks for the key with the credential).
        from azure.identity import DefaultAzureCredential

        STORAGES["ugc"]["OPTIONS"]["token_credential"] = DefaultAzureCredential()
    # Thumbnails are redirects to SAS URLs on the blob endpoint: let the portal show them.
    _parts = dict(
        part.split("=", 1) for part in UGC_AZURE_CONNECTION_STRING.split(";") if "=" in part
    )
    _blob_url = urlsplit(
        _parts.get("BlobEndpoint")
        or f"https://{UGC_AZURE_ACCOUNT_NAME or _parts.get('AccountName')}.blob."
        f"{_parts.get('EndpointSuffix', 'core.windows.net')}"
    )
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(
        f"{_blob_url.scheme}://{_blob_url.netloc}"
    )
else:
    STORAGES["ugc"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(UGC_STORAGE_LOCATION)},
    }
# The Azure SDK logs every storage request with its headers at INFO.
cast(dict[str, Any], LOGGING["loggers"])["azure.core.pipeline.policies.http_logging_policy"] = {
    "level": "WARNING"
}
# Where request bodies and chunked uploads are assembled before validation (local disk).
UGC_SPOOL_DIR = env.str("UGC_SPOOL_DIR", default="") or None
# Largest file per kind (bytes).
UGC_MAX_BYTES = {
    "screenshot": env.int("UGC_MAX_BYTES_SCREENSHOT", default=20 << 20),
    "artwork": env.int("UGC_MAX_BYTES_ARTWORK", default=30 << 20),
    "replay": env.int("UGC_MAX_BYTES_REPLAY", default=100 << 20),
    "level": env.int("UGC_MAX_BYTES_LEVEL", default=50 << 20),
    "mod": env.int("UGC_MAX_BYTES_MOD", default=512 << 20),
}
# Decompression-bomb guard for images: refuse more pixels than this before decoding (8K UHD).
UGC_IMAGE_MAX_PIXELS = env.int("UGC_IMAGE_MAX_PIXELS", default=7680 * 4320)
# Archives (levels, mods, replays): checked from the central directory, then every entry is
# decompressed into a counter (never to disk) to prove the declared sizes.
UGC_ARCHIVE_MAX_ENTRIES = env.int("UGC_ARCHIVE_MAX_ENTRIES", default=10_000)
UGC_ARCHIVE_MAX_UNCOMPRESSED_BYTES = env.int("UGC_ARCHIVE_MAX_UNCOMPRESSED_BYTES", default=2 << 30)
UGC_ARCHIVE_MAX_RATIO = env.int("UGC_ARCHIVE_MAX_RATIO", default=100)
# Resumable uploads: chunk size offered, lifetime of an unfinished session.
UGC_UPLOAD_CHUNK_BYTES = env.int("UGC_UPLOAD_CHUNK_BYTES", default=8 << 20)
UGC_UPLOAD_SESSION_TTL_SECONDS = env.int("UGC_UPLOAD_SESSION_TTL_SECONDS", default=24 * 3600)
# Unfinished sessions one player may hold, and the bytes they may reserve in all (staging
# space is bounded per player; `too_many_uploads`).
UGC_UPLOAD_SESSIONS_MAX_OPEN = env.int("UGC_UPLOAD_SESSIONS_MAX_OPEN", default=4)
UGC_UPLOAD_SESSIONS_MAX_BYTES = env.int("UGC_UPLOAD_SESSIONS_MAX_BYTES", default=2 << 30)
# Upload rate limit per player and title (items and new versions; docs/ugc.md, "Upload rate
# limit"): a token bucket of UGC_UPLOAD_RATE_COUNT uploads, refilled at that many per window.
UGC_UPLOAD_RATE_COUNT = env.int("UGC_UPLOAD_RATE_COUNT", default=30)
UGC_UPLOAD_RATE_WINDOW_SECONDS = env.int("UGC_UPLOAD_RATE_WINDOW_SECONDS", default=3600)
# Stored files no row points at (a crash between storing and committing) are deleted once
# older than this by the sweep, which looks at the last UGC_ORPHAN_SWEEP_DAYS days of files.
UGC_ORPHAN_GRACE_SECONDS = env.int("UGC_ORPHAN_GRACE_SECONDS", default=3600)
UGC_ORPHAN_SWEEP_DAYS = env.int("UGC_ORPHAN_SWEEP_DAYS", default=2)
# Names of the UGC enums in the OpenAPI schema (chat and players have their own "kind" and
# "visibility").
cast(dict[str, Any], SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})).update(
    {
        "UgcKindEnum": ["screenshot", "artwork", "replay", "level", "mod", "clip"],
        "UgcVisibilityEnum": ["public", "unlisted", "friends", "private"],
        "ProfileVisibilityEnum": ["self", "full", "limited"],
    }
)
# Clip links: https only, to these hosts (and their subdomains).
UGC_CLIP_HOSTS = env.list(
    "UGC_CLIP_HOSTS",
    default=["youtube.com", "youtu.be", "twitch.tv", "vimeo.com", "streamable.com"],
)
# Trending: each like/favourite/subscription/comment/download counts its weight, halved every
# half-life; only the window's activity counts. Recomputed by the beat job below.
UGC_TRENDING_HALF_LIFE_HOURS = env.float("UGC_TRENDING_HALF_LIFE_HOURS", default=24.0)
UGC_TRENDING_WINDOW_DAYS = env.int("UGC_TRENDING_WINDOW_DAYS", default=7)
CELERY_BEAT_SCHEDULE.update(
    {
        "ugc-trending-recompute": {"task": "ugc.trending_recompute", "schedule": 600.0},
        "ugc-storage-sweep": {"task": "ugc.storage_sweep", "schedule": 3600.0},
    }
)

# Guilds (docs/guilds.md).
GUILD_CAPACITY_DEFAULT = env.int("GUILD_CAPACITY_DEFAULT", default=50)
GUILD_CAPACITY_MAX = env.int("GUILD_CAPACITY_MAX", default=500)
# How many guilds of one primary title a player may belong to at once.
GUILD_MEMBERSHIPS_PER_TITLE = env.int("GUILD_MEMBERSHIPS_PER_TITLE", default=1)
GUILD_INVITE_TTL_HOURS = env.int("GUILD_INVITE_TTL_HOURS", default=72)
# A disbanded guild's name and tag stay taken this long (nobody impersonates it at once).
GUILD_NAME_COOLDOWN_DAYS = env.int("GUILD_NAME_COOLDOWN_DAYS", default=30)
GUILD_REGIONS = ["eu", "na", "sa", "asia", "oce", "africa"]
# Leaderboard seasons: key, first and last day (UTC, inclusive). A match counts in the season
# its event time falls in, and always in the all-time board.
GUILD_SEASONS = env.json(
    "GUILD_SEASONS",
    default=[{"key": "2026-h2", "starts": "2026-07-01", "ends": "2026-12-31"}],
)
