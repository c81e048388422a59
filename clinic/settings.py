"""Settings for the clinic, read from the environment only (see README "Modes and variables").

Without any variable set this is the embedded default: SQLite, a filesystem Celery broker, console email, debug
off and a secret key made once for this install (var/secret_key). Production sets DATABASE_URL, REDIS_URL,
EMAIL_URL, DJANGO_SECRET_KEY and CLINIC_PUBLIC_URL (https://...).
"""

import warnings
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from clinic.phones import known_region, region_of_time_zone
from clinic.secret_key import install_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# Local state of the embedded mode (SQLite file, broker folders, beat schedule); absent in a fresh clone. Importing
# settings creates nothing: each folder is made where it is used (clinic.apps, clinic.celery).
VAR_DIR = Path(env.str("CLINIC_VAR_DIR", default=str(BASE_DIR / "var")))


def _env_or_fail(parse, name: str, sentence: str, **kwargs):
    """Parse one variable; a malformed value stops start-up with one sentence instead of a traceback."""
    try:
        return parse(name, **kwargs)
    except (ImproperlyConfigured, ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{sentence} ({exc})") from None


# Debug pages (tracebacks, settings) only when someone asks for them.
_debug = env.str("DJANGO_DEBUG", default="false").strip().lower()
if _debug not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
    raise ImproperlyConfigured(f"DJANGO_DEBUG must be true or false, not {_debug!r}.")
DEBUG = _debug in ("true", "1", "yes", "on")


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    # Never a key from the repository: anyone could sign links with it. Several hosts sharing one database must
    # set DJANGO_SECRET_KEY instead (docker-compose.yml does).
    SECRET_KEY = install_secret_key(VAR_DIR / "secret_key")
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters in production.")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

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
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "simple_history",
    "axes",
    "clinic",
    "patients",
    "treatments",
    "scheduling",
    "messaging",
    "care",
    "waitlist",
    "portal",
    "exchange",
    "frontdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clinic.budget.RequestBudgetMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinic.middleware.RequestSizeLimitMiddleware",
    "clinic.privacy.ClinicalAnswerNoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "clinic.middleware.SignInPageThrottleMiddleware",
    "axes.middleware.AxesMiddleware",
    "clinic.admin_zones.AdminTimeZoneMiddleware",
]

ROOT_URLCONF = "clinic.urls"

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

WSGI_APPLICATION = "clinic.wsgi.application"

# --- database -------------------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "clinic.sqlite3"
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # an unknown scheme is reported below in one sentence
    DATABASES = {
        "default": _env_or_fail(
            env.db_url,
            "DATABASE_URL",
            "DATABASE_URL is not a valid database URL such as postgres://user:pass@host:5432/name",
            default=f"sqlite:///{SQLITE_PATH}",
        )
    }
_engine = DATABASES["default"].get("ENGINE", "")
if _engine == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so concurrent bookings serialise instead of
    # failing with "database is locked" half-way through; WAL lets readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so tests with several threads (each its own connection) share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif _engine in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
else:
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://...) or SQLite (sqlite:///...).")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- time -----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"  # stored instants are UTC; a location's own zone drives hours, day views and emails
USE_I18N = True
USE_TZ = True
CLINIC_DEFAULT_TIME_ZONE = env.str("CLINIC_DEFAULT_TIME_ZONE", default="Europe/London")
try:
    ZoneInfo(CLINIC_DEFAULT_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"CLINIC_DEFAULT_TIME_ZONE {CLINIC_DEFAULT_TIME_ZONE!r} is not an IANA time zone such as Europe/London."
    ) from None
# The country whose national phone format the search reads ("07700 900123" in GB): the default zone's country.
CLINIC_PHONE_REGION = env.str("CLINIC_PHONE_REGION", default="").upper() or region_of_time_zone(
    CLINIC_DEFAULT_TIME_ZONE
)
if CLINIC_PHONE_REGION and not known_region(CLINIC_PHONE_REGION):
    raise ImproperlyConfigured(f"CLINIC_PHONE_REGION {CLINIC_PHONE_REGION!r} is not a country code such as GB.")

# --- static files ---------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "clinic.staticfiles.ForgivingManifestStaticFilesStorage"
    },
}
# Files not collected yet are still served from the apps' folders (a start without collectstatic is no 500).
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/desk/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- email ----------------------------------------------------------------------------------------------
EMAIL_CONFIG = _env_or_fail(
    env.email_url,
    "EMAIL_URL",
    "EMAIL_URL is not a valid email URL such as smtp://user:pass@host:587 or consolemail://",
    default="consolemail://",
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("CLINIC_FROM_EMAIL", default="Clinic <appointments@clinic.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Every SMTP operation gives up after this long, so a hung mail server cannot hold a worker (or a claim) for ever.
EMAIL_TIMEOUT = env.float("CLINIC_EMAIL_TIMEOUT_SECONDS", default=15)
CLINIC_PUBLIC_URL = env.str("CLINIC_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Celery ---------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # The embedded broker: kombu's filesystem transport, good for one machine with a real worker and beat.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
# A web process publishing while the broker is down fails at once instead of retrying for seconds inside the
# request; the reminder outbox sweep sends later. Workers reconnect with their own retry policy.
CELERY_BROKER_TRANSPORT_OPTIONS["max_retries"] = 0
# A hung broker (accepting connections, never answering) must not hold a request either: every socket operation
# gives up after this long. Above the 1 s a worker's BRPOP waits, so an idle worker's poll never trips it.
CLINIC_BROKER_TIMEOUT_SECONDS = env.float("CLINIC_BROKER_TIMEOUT_SECONDS", default=1.5)
# One budget per request for every wait on the throttle cache and the broker together (clinic.budget): a hung
# Redis costs a request at most this long, whatever it asked of it.
CLINIC_REQUEST_BUDGET_SECONDS = env.float("CLINIC_REQUEST_BUDGET_SECONDS", default=1.0)
# (Set for every transport: a process may publish to Redis through CELERY_BROKER_WRITE_URL; others ignore them.)
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    socket_timeout=CLINIC_BROKER_TIMEOUT_SECONDS, socket_connect_timeout=CLINIC_BROKER_TIMEOUT_SECONDS
)
CELERY_BROKER_CONNECTION_TIMEOUT = CLINIC_BROKER_TIMEOUT_SECONDS
# One queue name for every task; tests give their worker processes a queue of their own on a shared Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CLINIC_CELERY_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The static, version-controlled beat schedule (one beat process only).
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-reminders": {
        "task": "scheduling.tasks.dispatch_due_reminders",
        # One minute in production; tests of the sweep shorten it.
        "schedule": timedelta(seconds=env.float("CLINIC_REMINDER_SWEEP_SECONDS", default=60)),
    },
    "flag-plans-with-closing-windows": {
        "task": "scheduling.tasks.flag_plans_with_closing_windows",
        "schedule": crontab(hour=2, minute=0),
    },
    "rescreen-at-local-midnight": {
        # Every quarter hour: each location is re-screened in the quarter after its own midnight.
        "task": "scheduling.tasks.rescreen_at_local_midnight",
        "schedule": crontab(minute="*/15"),
    },
    "sweep-waitlist": {
        "task": "scheduling.tasks.sweep_waitlist",
        "schedule": timedelta(seconds=env.float("CLINIC_WAITLIST_SWEEP_SECONDS", default=60)),
    },
    "sweep-webhooks": {
        "task": "messaging.tasks.sweep_webhooks",
        "schedule": timedelta(seconds=env.float("CLINIC_WEBHOOK_SWEEP_SECONDS", default=30)),
    },
    "sweep-online-booking-requests": {
        # Expired online requests free their slots (offered to the waitlist); link emails held back are sent.
        "task": "portal.tasks.sweep_booking_requests",
        "schedule": timedelta(seconds=env.float("CLINIC_ONLINE_SWEEP_SECONDS", default=60)),
    },
    "prune-expired-idempotency-keys": {
        "task": "clinic.tasks.prune_expired_idempotency_keys",
        "schedule": crontab(hour=3, minute=0),
    },
}

# --- cache ----------------------------------------------------------------------------------------------
# The DRF throttles count requests in the cache, so with several web processes it must be shared: Redis when there
# is one (keys under their own prefix, beside the broker's), this process's memory in embedded mode (one web
# process). A hung Redis gives up as the broker does; the throttles then let the request through (clinic.api).
CLINIC_CACHE_KEY_PREFIX = "clinic-cache"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CLINIC_CACHE_KEY_PREFIX,
            # Only web requests count rates here: a hung Redis costs one at most the request's budget.
            "OPTIONS": {
                "socket_timeout": min(CLINIC_BROKER_TIMEOUT_SECONDS, CLINIC_REQUEST_BUDGET_SECONDS),
                "socket_connect_timeout": min(CLINIC_BROKER_TIMEOUT_SECONDS, CLINIC_REQUEST_BUDGET_SECONDS),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


# --- the clinic's own knobs -----------------------------------------------------------------------------
CLINIC_SLOT_STEP_MINUTES = env.int("CLINIC_SLOT_STEP_MINUTES", default=15)
CLINIC_MIN_NOTICE_MINUTES = env.int("CLINIC_MIN_NOTICE_MINUTES", default=60)
CLINIC_REMINDER_OFFSETS_HOURS = env.list("CLINIC_REMINDER_OFFSETS_HOURS", cast=int, default=[48, 2])
CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS = env.int("CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS", default=300)
# One send is a handful of SMTP round trips, each bounded by EMAIL_TIMEOUT; a claim shorter than that would expire
# under a worker still sending, and a second worker would send the same email again.
if CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS < 4 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        "CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS must be at least 4 times CLINIC_EMAIL_TIMEOUT_SECONDS "
        f"({CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS} < 4 x {EMAIL_TIMEOUT:g})."
    )
# A failed send waits base * 2**(attempts - 1) seconds (at most the maximum) before the next try; it is retried
# until the appointment starts, when a reminder stops being useful.
CLINIC_REMINDER_RETRY_BASE_SECONDS = env.float("CLINIC_REMINDER_RETRY_BASE_SECONDS", default=60)
CLINIC_REMINDER_RETRY_MAX_SECONDS = env.float("CLINIC_REMINDER_RETRY_MAX_SECONDS", default=1800)
CLINIC_CANCELLATION_POLICY_HOURS = env.int("CLINIC_CANCELLATION_POLICY_HOURS", default=24)
# Check-in opens this many minutes before an appointment's start (no-show and complete only after the start).
CLINIC_CHECK_IN_OPENS_MINUTES = env.int("CLINIC_CHECK_IN_OPENS_MINUTES", default=120)
CLINIC_EMAIL_LINK_MAX_AGE_DAYS = env.int("CLINIC_EMAIL_LINK_MAX_AGE_DAYS", default=30)
# A freed slot is offered to this many waitlist entries at once; each offer is valid this long after its email.
CLINIC_WAITLIST_PARALLEL_OFFERS = env.int("CLINIC_WAITLIST_PARALLEL_OFFERS", default=3)
CLINIC_WAITLIST_OFFER_MINUTES = env.int("CLINIC_WAITLIST_OFFER_MINUTES", default=30)
# How far ahead the reschedule page looks for alternatives to an appointment outside a plan.
CLINIC_RESCHEDULE_HORIZON_DAYS = env.int("CLINIC_RESCHEDULE_HORIZON_DAYS", default=28)
# Webhooks: https to public addresses only, unless receivers inside the clinic's network (and tests) are allowed;
# a failed delivery waits base * 2**(attempts - 1) seconds (at most the maximum), for a day, then fails; an endpoint
# failing for CLINIC_WEBHOOK_DISABLE_AFTER_HOURS is disabled.
CLINIC_WEBHOOKS_ALLOW_PRIVATE = env.bool("CLINIC_WEBHOOKS_ALLOW_PRIVATE", default=False)
CLINIC_WEBHOOK_TIMEOUT_SECONDS = env.float("CLINIC_WEBHOOK_TIMEOUT_SECONDS", default=10)
CLINIC_WEBHOOK_RETRY_BASE_SECONDS = env.float("CLINIC_WEBHOOK_RETRY_BASE_SECONDS", default=30)
CLINIC_WEBHOOK_RETRY_MAX_SECONDS = env.float("CLINIC_WEBHOOK_RETRY_MAX_SECONDS", default=3600)
CLINIC_WEBHOOK_GIVE_UP_HOURS = env.float("CLINIC_WEBHOOK_GIVE_UP_HOURS", default=24)
CLINIC_WEBHOOK_DISABLE_AFTER_HOURS = env.float("CLINIC_WEBHOOK_DISABLE_AFTER_HOURS", default=24)
CLINIC_IDEMPOTENCY_TTL_HOURS = env.int("CLINIC_IDEMPOTENCY_TTL_HOURS", default=24)
# An online booking request holds its slot this long while the patient confirms by email.
CLINIC_ONLINE_HOLD_MINUTES = env.int("CLINIC_ONLINE_HOLD_MINUTES", default=15)
# How far ahead an appointment may be booked or moved.
CLINIC_BOOKING_HORIZON_DAYS = env.int("CLINIC_BOOKING_HORIZON_DAYS", default=730)
# API tokens expire this long after sign-in.
CLINIC_TOKEN_TTL_HOURS = env.float("CLINIC_TOKEN_TTL_HOURS", default=12)
# Request bodies above this size are refused (413) before they are read.
CLINIC_MAX_BODY_BYTES = env.int("CLINIC_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = CLINIC_MAX_BODY_BYTES

# --- REST framework and OpenAPI -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clinic.api.authentication.TokenWithRolesAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Scoped rates (clinic.api.throttling), per user or, signed out, per address. Generous by default so that a
    # busy desk, the test suite and the benchmarks never meet them; tighten with the variables.
    "DEFAULT_THROTTLE_RATES": {
        "sign_in": env.str("CLINIC_THROTTLE_SIGN_IN", default="60/min"),
        "booking": env.str("CLINIC_THROTTLE_BOOKING", default="600/min"),
        # The public online-booking API and pages, per client address: requests made, and pages / lists read.
        "public": env.str("CLINIC_THROTTLE_PUBLIC", default="30/hour"),
        "public_read": env.str("CLINIC_THROTTLE_PUBLIC_READ", default="600/hour"),
        # Online booking requests per email address (whoever sends them).
        "public_email": env.str("CLINIC_THROTTLE_PUBLIC_EMAIL", default="10/hour"),
        "export": env.str("CLINIC_THROTTLE_EXPORT", default="30/hour"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["clinic.api.permissions.HasRole"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["clinic.api.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "clinic.api.filters.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["clinic.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "clinic.api.schema.ClinicAutoSchema",
    "EXCEPTION_HANDLER": "clinic.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic booking and treatment-plan API",
    "DESCRIPTION": "Patients, screening, treatment plans, availability and bookings for regenerative therapies. "
    "Every error has the shape of the Error component.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from drf-spectacular-sidecar through our static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # API clients use tokens; the session auth that browser pages use is not part of the documented contract.
    "AUTHENTICATION_WHITELIST": ["clinic.api.authentication.TokenWithRolesAuthentication"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PATH_CONVERTER_OVERRIDES": {"id": int},  # clinic.api.converters.IdConverter: an integer, as <int:...> was
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "clinic.api.schema.mark_clinical_only_fields",
        "clinic.api.schema.query_parameters_as_sent",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CancelledByEnum": "scheduling.choices.CancelledBy",
        "AppointmentStatusEnum": "scheduling.choices.AppointmentStatus",
        "ReminderStatusEnum": "scheduling.choices.ReminderStatus",
        "PlanStatusEnum": "treatments.choices.PlanStatus",
        "SessionStatusEnum": "treatments.choices.SessionStatus",
        "ProductSourceEnum": "treatments.choices.ProductSource",
        "ConditionSourceEnum": "patients.choices.ConditionSource",
    },
}

# --- security -------------------------------------------------------------------------------------------
# Failed sign-ins are counted in the database every web process shares (not the cache: a lockout must hold
# whether or not Redis is configured, and survive its restart).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("CLINIC_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# By the pair: a stranger guessing the shared desk account's password locks out themselves, not the whole desk.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "clinic.api.auth.lockout_response"
# How many reverse proxies stand in front of the web processes (0: none, X-Forwarded-For is never read). Throttles
# and the lockout read the client's address through clinic.client_address alone.
CLINIC_TRUSTED_PROXIES = _env_or_fail(
    env.int, "CLINIC_TRUSTED_PROXIES", "CLINIC_TRUSTED_PROXIES must be a whole number of proxies", default=0
)
if CLINIC_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("CLINIC_TRUSTED_PROXIES must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "clinic.client_address.client_address"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS settings follow the address people use: `make run` serves plain http on 127.0.0.1, where a redirect to
# https or secure-only cookies would lock everyone out; a public https address turns all of them on.
_https = CLINIC_PUBLIC_URL.startswith("https://")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=_https)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks probe the container over plain http
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=_https)
if _https:
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# No inline script anywhere: scripts come from our own static files only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

KNOX_TOKEN_MODEL = "clinic.ApiToken"
# One sign-in lifetime for API tokens and browser sessions alike: CLINIC_TOKEN_TTL_HOURS from sign-in, not renewed
# by use (README "Modes and variables").
SESSION_COOKIE_AGE = int(CLINIC_TOKEN_TTL_HOURS * 3600)
SESSION_SAVE_EVERY_REQUEST = False
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=CLINIC_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
