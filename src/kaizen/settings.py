"""Django settings built from :mod:`kaizen.conf`. Nothing here reads the environment directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from kaizen import conf

CONFIG = conf.load()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR: Path = CONFIG["DATA_DIR"]

SECRET_KEY = conf.secret_key(CONFIG)
DEBUG = bool(CONFIG["DEBUG"])
ALLOWED_HOSTS: list[str] = list(CONFIG["ALLOWED_HOSTS"])
CSRF_TRUSTED_ORIGINS: list[str] = list(CONFIG["CSRF_TRUSTED_ORIGINS"])

INSTALLED_APPS = [
    # kaizen.core first so that its management commands (flush) take precedence.
    "kaizen.core",
    "kaizen.accounts",
    "kaizen.cmdb",
    "kaizen.portfolio",
    "kaizen.tickets",
    "kaizen.approvals",
    "kaizen.requests",
    "kaizen.improvement",
    "kaizen.problems",
    "kaizen.changes",
    "kaizen.releases",
    "kaizen.knowledge",
    "kaizen.slm",
    "kaizen.monitoring",
    "kaizen.portal",
    "kaizen.webhooks",
    "kaizen.search",
    "kaizen.intake",
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
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    "kaizen.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kaizen.core.middleware.UserPreferencesMiddleware",
    "kaizen.core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kaizen.urls"
WSGI_APPLICATION = "kaizen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kaizen.core.context_processors.navigation_context",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    db: dict[str, Any] = dj_database_url.parse(url, conn_max_age=0)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        db["OPTIONS"] = {
            # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers wait
            # (up to "timeout") instead of failing with "database is locked" on upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=30000;"
            ),
        }
        db["TEST"] = {"NAME": str(Path(db["NAME"]).with_name("test-" + Path(db["NAME"]).name))}
        # Kept open like PostgreSQL's: a new SQLite connection runs the PRAGMAs and parses the
        # whole schema again on its first statement, which cost each request milliseconds.
        db["CONN_MAX_AGE"] = 60
    elif db["ENGINE"] in {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}:
        db["ENGINE"] = "django.db.backends.postgresql"
        db["CONN_MAX_AGE"] = 60
        db["CONN_HEALTH_CHECKS"] = True
    db["ATOMIC_REQUESTS"] = False
    return db


DATABASES = {"default": _database(CONFIG["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = CONFIG["LANGUAGE"]
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CONFIG["TIME_ZONE"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "files"

MAX_REQUEST_BYTES = int(CONFIG["MAX_REQUEST_BYTES"])
MAX_IMPORT_BYTES = int(CONFIG["MAX_IMPORT_BYTES"])
IMPORT_PATHS = ("/api/v1/cmdb/import/", "/api/v1/events/", "/api/v1/mailboxes/")
"""Paths allowed MAX_IMPORT_BYTES (event intake: each integration sets its own lower limit; a raw
message upload is bounded again by the mail parser's 25 MiB)."""
ATTACHMENT_MAX_BYTES = int(CONFIG["ATTACHMENT_MAX_BYTES"])
ATTACHMENT_ROOT = DATA_DIR / "attachments"
UPLOAD_PATH_PATTERN = (
    r"^/(api/v1/(incidents|requests|problems|tickets)/\d+/attachments/"
    r"|desk/tickets/\d+/(attachments|comment)/|portal/(new/|catalogue/\d+/|tickets/\d+/reply/))"
)
"""Paths whose bodies may carry one attachment (limit: ATTACHMENT_MAX_BYTES plus form overhead)."""
PUBLIC_URL = str(CONFIG["PUBLIC_URL"]).rstrip("/")
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Security headers. No inline scripts or styles anywhere: CSP forbids them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "kaizen.core.ui.pages.csrf_failure"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE = bool(CONFIG["SECURE"])
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31_536_000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kaizen.core.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "kaizen.core.api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kaizen.core.api.problems.exception_handler",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kaizen ITSM API",
    "DESCRIPTION": (
        "REST API of Kaizen ITSM. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `kaizen token create USERNAME`). Errors are RFC 9457 problem+json. "
        "Every mutable record has a `version`: send it back (body field or `If-Match`) "
        "when updating; a stale version gets 409."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "kaizen.tickets.choices.Kind",
        "ImpactEnum": "kaizen.tickets.choices.Impact",
        "AlertSeverityEnum": "kaizen.monitoring.choices.Severity",
        "MailStateEnum": "kaizen.intake.choices.MailState",
        "FaqStateEnum": "kaizen.knowledge.choices.FaqState",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}


def _huey(url: str, *, results: bool = False) -> Any:
    """Build the job queue for a broker URL.

    Kaizen's jobs report through the database and the log, never through huey's result store, so
    results are off: nothing would ever read them and they would pile up in the broker.
    """
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    if url.startswith("memory://"):
        return MemoryHuey("kaizen", immediate=True, results=results)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("kaizen", url=url, results=results)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("kaizen", filename=str(path), timeout=30, results=results)
    raise conf.ConfigError(f"KAIZEN_BROKER_URL: unsupported scheme in {url!r}")


HUEY = _huey(CONFIG["BROKER_URL"])
BROKER_URL = CONFIG["BROKER_URL"]
OUTBOX_SWEEP_SECONDS = int(CONFIG["OUTBOX_SWEEP_SECONDS"])
WEBHOOK_TIMEOUT = int(CONFIG["WEBHOOK_TIMEOUT"])
PROBLEM_REMINDER_DAYS = int(CONFIG["PROBLEM_REMINDER_DAYS"])
WEB_WORKERS = int(CONFIG["WEB_WORKERS"])
FORWARDED_ALLOW_IPS: list[str] = list(CONFIG["FORWARDED_ALLOW_IPS"])
WEB_THREADS = int(CONFIG["WEB_THREADS"])
JOB_WORKERS = int(CONFIG["JOB_WORKERS"])


def _email(url: str) -> dict[str, Any]:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "memory": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+starttls": "django.core.mail.backends.smtp.EmailBackend",
    }
    if scheme not in backends:
        raise conf.ConfigError(f"KAIZEN_EMAIL_URL: unsupported scheme {scheme!r}")
    out: dict[str, Any] = {"EMAIL_BACKEND": backends[scheme]}
    if scheme == "file":
        out["EMAIL_FILE_PATH"] = parts.path or str(DATA_DIR / "mail")
    elif scheme.startswith("smtp"):
        out.update(
            EMAIL_HOST=parts.hostname or "127.0.0.1",
            EMAIL_PORT=parts.port or {"smtps": 465, "smtp+starttls": 587}.get(scheme, 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=scheme == "smtps",
            EMAIL_USE_TLS=scheme == "smtp+starttls",
            EMAIL_TIMEOUT=30,
        )
    return out


globals().update(_email(CONFIG["EMAIL_URL"]))
DEFAULT_FROM_EMAIL = CONFIG["EMAIL_FROM"]
SERVER_EMAIL = CONFIG["EMAIL_FROM"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "kaizen": {"handlers": ["console"], "level": CONFIG["LOG_LEVEL"], "propagate": False},
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
