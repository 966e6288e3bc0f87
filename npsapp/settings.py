"""npsapp settings, driven by environment variables with working defaults.

With no environment set the app runs embedded: SQLite, Celery tasks executed eagerly,
email printed to the console. Setting DATABASE_URL and CELERY_BROKER_URL switches to
PostgreSQL, Redis and real workers; nothing else differs.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Strict boolean: a typo is a configuration error, not False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# .env.example's value: a copy of the example that was not filled in must not start.
SECRET_KEY_PLACEHOLDER = "change-me-to-a-long-random-string"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if SECRET_KEY == SECRET_KEY_PLACEHOLDER:
    raise ImproperlyConfigured(
        "SECRET_KEY is still the placeholder of .env.example: set it to a long random string, e.g. "
        "the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the app refuses to start on the public development "
            "key: set SECRET_KEY to a long random string (python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'), or DEBUG=true for development."
        )
    # Development only (DEBUG): a fixed key so sessions survive restarts of the embedded server.
    SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Before the admin, as django-modeltranslation asks: it patches the admin's forms.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "accounts",
    "crm",
    "surveys",
    "followups",
    "integrations",
    "campaigns",
    "conversations",
    "chatalerts",
    "triggers",
    # Its management commands: run_embedded (the development server with the beat schedule).
    "npsapp",
    "insights",
    # Rooms above the apps they read (see the import-linter contracts in pyproject.toml).
    "reporting",
    "customerview",
    "privacy",
    "demo",
]

MIDDLEWARE = [
    # First: /healthz/ answers without the host check and the HTTPS redirect (compose's check).
    "npsapp.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "npsapp.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks, so it sees the authentication result.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "npsapp.urls"
WSGI_APPLICATION = "npsapp.wsgi.application"

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
                "npsapp.context_processors.roles",
            ],
            # |datetime_with_zone in every template (dates customers read carry their zone).
            "builtins": ["npsapp.dates"],
        },
    },
]

# --- Database: SQLite unless DATABASE_URL is set -------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            # A persistent connection the server closed (restart, failover, pg_terminate_backend)
            # is checked and replaced at the start of the next request, instead of failing it.
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles the dashboard's aggregates for seconds to save milliseconds:
        # measured 5.5 s with it and 2.9 s without on the same query (bench/dashboard.py).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Behind PgBouncer in transaction pooling mode, consecutive transactions may run on different
    # server connections: Django's own server-side cursors (WITH HOLD outside a transaction) would
    # be lost between them. The exports keep streaming with a cursor that lives inside their one
    # transaction (surveys/exports.py); no statement is prepared in a session (npsapp/compiled.py).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_TRANSACTION_POOLING", False)
    # A streaming replica for the reads that may be a little stale (npsapp/replicas.py).
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
    if DATABASE_REPLICA_URL:
        DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
        DATABASES["replica"]["OPTIONS"] = {**DATABASES["replica"].get("OPTIONS", {}), "options": "-c jit=off"}
        # Taken to be reached as the primary is (through a transaction pooler when
        # DATABASE_TRANSACTION_POOLING is set): then no session state is kept between transactions
        # (server-side cursors, prepared statements: npsapp/compiled.py).
        DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"]
        # Tests run on one database: the replica alias is the primary there.
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # The embedded server writes from request threads and from the beat schedule's thread
            # (npsapp/scheduler.py): take the write lock when a transaction begins, and wait for it,
            # rather than fail with "database is locked" when a reader turns writer.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_ROUTERS = ["npsapp.replicas.ReplicaRouter"]
# The dashboard says its figures may be behind when the replica lags more than this.
NPSAPP_REPLICA_LAG_WARNING_SECONDS = env_int("NPSAPP_REPLICA_LAG_WARNING_SECONDS", 60)

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A staff session ends after this many hours without a request (npsapp.middleware).
NPSAPP_SESSION_IDLE_HOURS = env_int("NPSAPP_SESSION_IDLE_HOURS", 12)
if NPSAPP_SESSION_IDLE_HOURS <= 0:
    raise ImproperlyConfigured("NPSAPP_SESSION_IDLE_HOURS must be at least 1")
SESSION_COOKIE_AGE = NPSAPP_SESSION_IDLE_HOURS * 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures lock the username+address pair for an hour, and failures
# across usernames from one address (password spraying) lock the address past their own cap.
# The address is the client's by the customer pages' rule (NPSAPP_CLIENT_IP_HEADER's last hop),
# so behind the proxy one attacker does not lock a username out for everyone.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
NPSAPP_LOGIN_FAILURES_PER_ADDRESS = env_int("NPSAPP_LOGIN_FAILURES_PER_ADDRESS", 20)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "surveys.ratelimit.client_ip"
AXES_HANDLER = "npsapp.login_throttle.LoginThrottleHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Unambiguous dates in both languages ("7 Dec 2026, 13:30", "7 déc. 2026, 13:30"), never US numeric.
FORMAT_MODULE_PATH = ["npsapp.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
# Texts an admin writes for customers (survey questions, thanks, invitation email) exist in each
# language (django-modeltranslation: question_en, question_fr…). A page reads its own language,
# and the other one only where its own is empty.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "fr")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en", "fr")}
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email: console in development --------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "npsapp <noreply@localhost>")

# --- Celery: eager unless CELERY_BROKER_URL is set ------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# A customer's request must never hang on the broker: connect fast, fail fast, and let the
# reconciliation beat task pick up whatever was not published.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,
    # Longer than any task runs, so late-acked messages are not redelivered while running.
    "visibility_timeout": 3600,
}
# After one failed or slow call to Redis (publish or cache), a process leaves Redis alone for
# this long, then tries once again (npsapp/breaker.py).
NPSAPP_REDIS_BREAKER_SECONDS = env_int("NPSAPP_REDIS_BREAKER_SECONDS", 30)
NPSAPP_BEAT_INTERVAL_SECONDS = env_int("NPSAPP_BEAT_INTERVAL_SECONDS", 60)
# Detractor responses older than this with no ticket are picked up by the beat task.
NPSAPP_RECONCILE_AFTER_SECONDS = env_int("NPSAPP_RECONCILE_AFTER_SECONDS", 60)
# The business calendar (by name) that says when deadline emails may go out for surveys on an
# elapsed clock; empty: 08:00-20:00 Europe/Paris every day.
NPSAPP_NOTIFICATION_CALENDAR = os.environ.get("NPSAPP_NOTIFICATION_CALENDAR", "")
# Theme discovery: "tfidf" (default, fast) or "embedding" (multilingual sentence encoder); see bench/themes.py.
NPSAPP_THEMES_PIPELINE = os.environ.get("NPSAPP_THEMES_PIPELINE", "tfidf")
if NPSAPP_THEMES_PIPELINE not in ("tfidf", "embedding"):
    raise ImproperlyConfigured("NPSAPP_THEMES_PIPELINE must be tfidf or embedding")
NPSAPP_THEMES_DAYS = env_int("NPSAPP_THEMES_DAYS", 90)
# Triggered surveys go out in the customer's local morning on weekdays (hours [start, end)).
NPSAPP_TRIGGER_SEND_HOURS = (env_int("NPSAPP_TRIGGER_SEND_START_HOUR", 9), env_int("NPSAPP_TRIGGER_SEND_END_HOUR", 11))
if not 0 <= NPSAPP_TRIGGER_SEND_HOURS[0] < NPSAPP_TRIGGER_SEND_HOURS[1] <= 24:
    raise ImproperlyConfigured("NPSAPP_TRIGGER_SEND_START_HOUR must be before NPSAPP_TRIGGER_SEND_END_HOUR (0-24)")
CELERY_BEAT_SCHEDULE = {
    "tickets-reconcile": {
        "task": "followups.tasks.tickets_reconcile_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    "nps-rollup-refresh": {
        "task": "reporting.tasks.nps_rollup_refresh_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    "reporting-rollups-refresh": {
        "task": "reporting.tasks.reporting_rollups_refresh_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    # Answers queued on the doorbell whose drain message was lost (npsapp/doorbell.py).
    "answers-announce": {
        "task": "surveys.tasks.responses_announce_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    "themes-tag-new-responses": {
        "task": "surveys.tasks.responses_tag_new_with_themes_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    # Warnings before the first-contact deadline, then breaches (replaces cases-mark-breached).
    "cases-check-deadlines": {
        "task": "followups.tasks.tickets_check_deadlines_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    # Notifications held outside the calendar go out as one digest per person once it opens.
    "cases-notification-digest": {
        "task": "followups.tasks.notifications_digest_task",
        "schedule": 5 * 60,
    },
    # Trigger rules: surveys sent N days after a purchase, a resolved case (the recovery
    # re-survey) or a customer event, in the customer's weekday morning unless a rule says otherwise.
    "triggers-evaluate": {
        "task": "triggers.tasks.triggers_evaluate_task",
        "schedule": 5 * 60,
    },
    "conversations-reconcile": {
        "task": "conversations.tasks.messages_reconcile_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    "webhooks-retry": {
        "task": "integrations.tasks.webhook_deliveries_retry_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    "campaigns-start-due": {
        "task": "campaigns.tasks.campaigns_start_due_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    "campaigns-send-reminders": {
        "task": "campaigns.tasks.invitations_remind_due_task",
        "schedule": NPSAPP_BEAT_INTERVAL_SECONDS,
    },
    "responses-retention": {
        "task": "privacy.tasks.responses_retention_task",
        "schedule": crontab(minute=30, hour=3),
    },
    # The at-risk flags of every customer, as of the new day (the rules that count days change with the clock).
    "at-risk-refresh": {
        "task": "customerview.tasks.risk_refresh_all_task",
        "schedule": crontab(minute=45, hour=2),
    },
    # Theme discovery over the last NPSAPP_THEMES_DAYS days, and matching of any answer missed.
    "themes-discover-nightly": {
        "task": "insights.tasks.themes_discover_nightly_task",
        "schedule": crontab(minute=15, hour=2),
    },
    # Monday 07:00 in TIME_ZONE (CELERY_TIMEZONE).
    "weekly-digest": {
        "task": "reporting.tasks.weekly_digest_task",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
}

# --- Cache: Redis when configured, local memory otherwise -------------------------------------
REDIS_CACHE_URL = os.environ.get("REDIS_CACHE_URL", "")
if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            # Fails open: while Redis fails or hangs, it acts as an empty cache (npsapp/cache.py).
            "BACKEND": "npsapp.cache.FailOpenRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            # Rate limits read the cache on customers' answers: fail fast, never hang them.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered template fragments, in each process's memory: a trip to Redis would cost more than
# rendering them. Their keys name everything they depend on (templates/surveys/public_base.html).
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "npsapp-fragments",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# --- REST framework -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["integrations.permissions.TokenScopePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.ApiTokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_token": os.environ.get("API_RATE_LIMIT", "1200/min")},
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "integrations.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "npsapp API",
    "DESCRIPTION": "Customers and purchases in; responses, NPS and follow-up cases out.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Privacy --------------------------------------------------------------------------------------
# Responses older than this many months are anonymised by a daily task (0: keep for ever).
NPSAPP_RETENTION_MONTHS = env_int("NPSAPP_RETENTION_MONTHS", 0)

# --- Security -------------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and env_bool("HTTPS", False))
SESSION_COOKIE_SECURE = env_bool("HTTPS", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: everything from our own origin, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Every line once: the root handler prints everything, so Django's "django" logger loses the
# console handler of Django's default configuration (it printed each django.* line a second
# time under DEBUG) and keeps only its emails to ADMINS. django.server (runserver's request
# lines) keeps Django's own handler and format, and does not propagate.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        # Personal survey links are masked in every log line (npsapp/logredact.py).
        "redact_personal_links": {"()": "npsapp.logredact.RedactPersonalLinks"},
    },
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_personal_links"]},
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_personal_links"],
        },
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false", "redact_personal_links"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Domain defaults ---------------------------------------------------------------------------------
NPSAPP_LINK_VALID_DAYS = env_int("NPSAPP_LINK_VALID_DAYS", 30)
# A customer is not invited again within this many days, whatever the survey (a survey may set its own).
NPSAPP_CONTACT_FATIGUE_DAYS = env_int("NPSAPP_CONTACT_FATIGUE_DAYS", 90)
# Below this many answers an NPS is flagged as a small sample, and no change or breakdown
# group is called significant when either side is below it.
NPSAPP_SMALL_SAMPLE = env_int("NPSAPP_SMALL_SAMPLE", 30)
# bench/submit.py only: adds /bench/ok/, a view returning "ok", as the baseline it measures against.
NPSAPP_BENCH_BARE_VIEW = env_bool("NPSAPP_BENCH_BARE_VIEW", False)

# --- Conversations with customers -----------------------------------------------------------------
# A customer's personal reply link (and reply-to address) works this many days after the email.
NPSAPP_REPLY_LINK_DAYS = env_int("NPSAPP_REPLY_LINK_DAYS", 90)
# Replies by email: outbound emails get Reply-To reply+<token>@<domain> when the domain is set,
# and the mail gateway POSTs them to /conversations/inbound/ with this shared secret
# (X-Npsapp-Inbound-Secret header). Unset secret: the endpoint refuses everything.
NPSAPP_INBOUND_EMAIL_DOMAIN = os.environ.get("NPSAPP_INBOUND_EMAIL_DOMAIN", "")
NPSAPP_INBOUND_EMAIL_SECRET = os.environ.get("NPSAPP_INBOUND_EMAIL_SECRET", "")
# Customer pages: answers accepted per minute on one personal link, and per client address
# on a public feedback page. Behind a reverse proxy, name the header it sets with the
# client's address (e.g. HTTP_X_FORWARDED_FOR; its last hop is used), else every
# customer shares the proxy's address.
NPSAPP_RATE_LINK_POSTS_PER_MINUTE = env_int("NPSAPP_RATE_LINK_POSTS_PER_MINUTE", 10)
NPSAPP_RATE_PUBLIC_POSTS_PER_MINUTE = env_int("NPSAPP_RATE_PUBLIC_POSTS_PER_MINUTE", 5)
NPSAPP_CLIENT_IP_HEADER = os.environ.get("NPSAPP_CLIENT_IP_HEADER", "")
