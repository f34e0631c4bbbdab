"""Settings come from the environment (12-factor); the defaults run a local demo.

See README.md for every variable. Unset DATABASE_URL means an SQLite file in the project
folder; unset CELERY_BROKER_URL means Celery tasks run eagerly in-process.
"""

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url

from crm import task_names

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Without a key, management commands (migrate, makemigrations, shell) still run; anything that
# serves or signs refuses to start (crm/wsgi.py, crm/asgi.py, crm/celery.py).
SECRET_KEY_SET = bool(SECRET_KEY) or DEBUG
if not SECRET_KEY:
    SECRET_KEY = "django-insecure-local-development-only"

# HTTPS is defined below; without it the only sensible default is loopback.
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    "127.0.0.1,localhost" if DEBUG or not env_bool("HTTPS", not DEBUG) else "",
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "crm",
    "leads",
    "scoring",
    "assignment",
    "conversion",
]

MIDDLEWARE = [
    "crm.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Rule history records who made each change in admin.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it turns a login refused for too many failures into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# Persistent connections: opening a connection per request costs more than the capture itself.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue on the
    # timeout instead of one failing with "database is locked" when it upgrades its lock.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# STATIC_ROOT exists only after collectstatic; until then WhiteNoise serves from the finders.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Capture bodies above this size are refused with 413 before anything is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- HTTPS -----------------------------------------------------------------------------------
HTTPS = env_bool("HTTPS", not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Load balancers probe over plain HTTP inside the network; the Host header is still checked.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets the header itself; otherwise clients could spoof HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): every script and stylesheet comes from our own static
# files, so an injected <script> or inline handler never runs even if escaping were missed.
# Views that need more (the Swagger UI) widen it for themselves (crm/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Login lockout (django-axes) --------------------------------------------------------------
# Failed logins on every login page (the app's, admin's and the browsable API's) are counted
# per username, from any address, and per client address, over any usernames; reaching
# either limit refuses logins for that username or address, right password or not, until
# AXES_COOLOFF_TIME has passed since the last failure counted, or a manager deletes the
# access attempts in admin.
LOGIN_FAILURE_LIMITS = {
    "username": int(os.environ.get("LOGIN_FAILURES_PER_USERNAME", "5")),
    "ip_address": int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20")),
}
AXES_HANDLER = "crm.login_lockout.LoginLockoutHandler"
AXES_LOCKOUT_PARAMETERS = list(LOGIN_FAILURE_LIMITS)
# The lower limit: axes compares with this (crm/login_lockout.py) and admin lists attempts
# reaching it as locked out.
AXES_FAILURE_LIMIT = min(LOGIN_FAILURE_LIMITS.values())
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
# Attempts refused during a lockout do not extend it: it ends on time, whoever keeps trying.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The address the capture throttles count by, so NUM_PROXIES governs both.
AXES_CLIENT_IP_CALLABLE = "crm.login_lockout.client_address"
# The locked-out page, answering 429 (crm/login_lockout.py).
AXES_LOCKOUT_CALLABLE = "crm.login_lockout.lockout_response"
# Quiet: no banner at every start, and log lines name only what the lockout counts by.
AXES_VERBOSE = False

# --- Email -----------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 30
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CRM <crm@localhost>")

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Without a broker the tasks run in-process, so `make run` needs nothing but Python.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Run in-process, a task behaves as on a worker: retried, and dead-lettered if it still fails,
# rather than failing the request whose commit started it.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Tasks take ids, never model instances, and each write's tasks go through the outbox
# (crm/outbox.py). A task is acknowledged after it finishes, so a worker lost mid-task means
# a redelivery, which the consumer's dedupe record turns into a no-op (crm.celery.CrmTask).
# Follow-ups due in days are rows (leads.Task, nurture enrollments), never ETA messages.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# Longer than any task (the full rescore has its own limits, under this), or Redis redelivers
# a message whose task is still running.
# A broker that drops packets must not hold a request: publishing gives up after 2 s and the
# outbox relay sends the message later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Schedules live in the database, so ops edit them in admin (Periodic tasks).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Cache -----------------------------------------------------------------------------------
# Throttle counters must be shared by every gunicorn worker and host, so production points
# CACHE_URL at Redis; unset, each process counts on its own (fine for one process).
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        # An unreachable Redis costs a request at most this long (throttles then let it pass).
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an unauthenticated API call then answers 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.permissions.IsSalesUser"],
    # DRF's JSON, form and multipart parsers, with JSON nesting bounded (crm/json_input.py).
    "DEFAULT_PARSER_CLASSES": [
        "crm.json_input.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "crm.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular, plus the error responses DRF gives on its own (crm/openapi.py).
    "DEFAULT_SCHEMA_CLASS": "crm.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per capture key on the capture and events APIs, and per client address on web-to-lead
    # forms (leads/throttling.py). A key's default is far above the load benchmark's 400
    # captures a second, so only a runaway or stolen key meets it.
    "DEFAULT_THROTTLE_RATES": {
        "capture_key": os.environ.get("THROTTLE_CAPTURE_KEY", "60000/minute"),
        "capture_form": os.environ.get("THROTTLE_CAPTURE_FORM", "60/minute"),
    },
    # Proxies in front of the app that append to X-Forwarded-For; with 0 the client address is
    # the socket's peer and the header, which any client can send, is ignored.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
}
# Each process trusts a capture key it has verified for this many seconds without reading it
# again (leads/api/authentication.py): a key revoked elsewhere stops working within this time.
# An expired key is refused at once. 0 reads the key on every request.
CAPTURE_KEY_CACHE_SECONDS = float(os.environ.get("CAPTURE_KEY_CACHE_SECONDS", "5"))

SPECTACULAR_SETTINGS = {
    "TITLE": "Lead-management CRM API",
    "DESCRIPTION": "Lead capture for marketing sites, and the leads API for sales reps.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1 is JSON Schema: it can say which names a free-form object takes (custom fields).
    "OAS_VERSION": "3.1.0",
    # The schema and docs stay public, but a capture key reads nothing, them included.
    "SERVE_PERMISSIONS": ["crm.permissions.NotCaptureKey"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Lead workflow ---------------------------------------------------------------------------
# Celery task names started, in order, once a change to a lead commits (a capture, a new
# activity, an edit); each takes the lead id.
LEAD_CHANGED_TASKS: list[str] = [task_names.LEAD_SCORE]
# Started once a lead's new score commits, and once a bulk rescore has finished.
LEAD_SCORED_TASKS: list[str] = [task_names.LEAD_ROUTE]
LEADS_RESCORED_TASKS: list[str] = [task_names.LEADS_ROUTE_READY]
# Database sessions a bulk rescore runs its chunks on at once (PostgreSQL; SQLite uses one).
# Each keeps one database core busy: more than the database server's cores only queues.
RESCORE_WORKERS = int(os.environ.get("RESCORE_WORKERS", "2"))
