"""Settings for optout_site, read from the environment.

With no environment at all this is the embedded default that `make run` uses:
SQLite, Celery tasks run eagerly in-process, email printed to the console. The full
stack is switched on by DATABASE_URL, REDIS_URL and SMTP_* variables (see README).
Production (DEBUG off) refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no variable; unset or empty is the default, anything unknown an error."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in TRUE | FALSE:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is not understood: use one of "
            f"{', '.join(sorted(TRUE))} or {', '.join(sorted(FALSE))}."
        )
    return value in TRUE


def env_int(name: str, default: int) -> int:
    """A whole-number variable; unset or empty is the default, anything else an error."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
else:
    # A fixed key is fine for a local embedded run: nothing there is secret.
    SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-" + "x" * 40
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The product's name, in one place: header, page titles, email subjects and senders.
SITE_NAME = env("SITE_NAME", "AI Opt-Out Guide")
# Who runs the site, as the About page says it (set it for your deployment).
SITE_OPERATOR = env("SITE_OPERATOR", "the maintainers of the open-source AI Opt-Out Guide project")
# Who is told about a reported problem; empty means every active staff user with an email.
STAFF_EMAILS = env_list("STAFF_EMAILS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "guides",
    "tracker",
    "watcher",
]

MIDDLEWARE = [
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "optout_site.bad_requests.UnreadableRequestMiddleware",
    "optout_site.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tracker.visitors.VisitorCookieMiddleware",
    "optout_site.errorpages.ErrorPagesMiddleware",
]

ROOT_URLCONF = "optout_site.urls"
WSGI_APPLICATION = "optout_site.wsgi.application"

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
                "django.template.context_processors.csp",
                "guides.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tracker.User"
# Sessions read from the cache (Redis in production), written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Flash messages live in a cookie, so a page with one pending is never served from cache.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
LOGIN_URL = "tracker:signin"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "optout_site.redis_cache.ReusingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", "optout"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"

# Email: Django 6.1 MAILERS. SMTP when SMTP_HOST is set, the console otherwise.
if env("SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env("SMTP_HOST"),
                "port": env_int("SMTP_PORT", 587),
                "username": env("SMTP_USER"),
                "password": env("SMTP_PASSWORD"),
                "use_tls": env_bool("SMTP_TLS", default=False),
                "timeout": env_int("SMTP_TIMEOUT", 20),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "optout_site.console_mail.EmailBackend"}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <reminders@optout.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Cookies and transport security.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
BEHIND_PROXY = env_bool("BEHIND_PROXY")  # one trusted reverse proxy in front of gunicorn
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Strict CSP: everything from our own origin, no inline script, nothing third-party.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# The anonymous visitor cookie (signed, HttpOnly, a year).
VISITOR_COOKIE_NAME = "visitor"
VISITOR_COOKIE_AGE = 365 * 24 * 3600
REGION_COOKIE_NAME = "region"

CONTENT_DIR = BASE_DIR / "guides" / "content"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
if CELERY_TASK_ALWAYS_EAGER:
    # In-process tasks (make run): no "Task … succeeded" line per task, and no broker
    # warning, since there is no broker on purpose.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}

# --- Reminders (tracker/reminders.py, tracker/tasks.py) -------------------------------
from celery.schedules import crontab  # noqa: E402

# Reminder ids per send task; each task sends its chunk over one SMTP connection.
REMINDER_CHUNK_SIZE = env_int("REMINDER_CHUNK_SIZE", 500)
# Reminders an address's server refused for good (5xx: each is failed at once, never
# retried) before the address is marked failing and gets no more email.
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 3)
# First retry delay in seconds after a transient SMTP error; doubles per retry, capped
# at REMINDER_STUCK_AFTER (the sweeper takes over from there).
REMINDER_RETRY_DELAY = env_int("REMINDER_RETRY_DELAY", 30)
# Seconds a row may sit in pending (immediate) or sending before the sweeper re-enqueues it.
REMINDER_STUCK_AFTER = env_int("REMINDER_STUCK_AFTER", 600)
# A change dated more than this many days before it was published is history, not news:
# loading a new platform's past changes emails nobody.
REMINDER_NEWS_DAYS = env_int("REMINDER_NEWS_DAYS", 30)
# How long a subscription confirmation link works, and how many a day one address gets.
REMINDER_CONFIRM_HOURS = env_int("REMINDER_CONFIRM_HOURS", 48)
REMINDER_CONFIRM_PER_DAY = env_int("REMINDER_CONFIRM_PER_DAY", 5)
CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] = 5
CELERY_BEAT_SCHEDULE = {
    "sweep-reminders": {"task": "tracker.sweep_reminders", "schedule": 60.0},
    "weekly-digests": {
        "task": "tracker.send_weekly_digests",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    "recheck-nudges": {
        "task": "tracker.send_recheck_nudges",
        "schedule": crontab(minute=30, hour=7),
    },
    "purge-stale-links": {
        "task": "tracker.purge_stale_links",
        "schedule": crontab(minute=15, hour=3),
    },
    "purge-stale-visitors": {
        "task": "tracker.purge_stale_visitors",
        "schedule": crontab(minute=45, hour=3),
    },
    # Requests past their reply date: one email each (tracker/overdue.py).
    "overdue-requests": {"task": "tracker.find_overdue_requests", "schedule": crontab(minute=20)},
}
# --- end Reminders --------------------------------------------------------------------

# --- Watcher (watcher/watch.py, watcher/tasks.py) ------------------------------------
# Every WATCH_* default is here; the watcher reads settings.WATCH_* and nothing else.
# How often beat checks every watched page, and what a check may cost the platform.
WATCH_EVERY_HOURS = env_int("WATCH_EVERY_HOURS", 6)
WATCH_TIMEOUT = env_int("WATCH_TIMEOUT", 15)  # seconds per request (and per render)
WATCH_MAX_BYTES = env_int("WATCH_MAX_BYTES", 3_000_000)  # bigger pages are "too_large"
WATCH_HOST_DELAY = env_int("WATCH_HOST_DELAY", 2)  # seconds between requests to one host
WATCH_HOST_SPACING = env_int("WATCH_HOST_SPACING", 30)  # seconds between checks of one host
WATCH_BACKOFF = env_int("WATCH_BACKOFF", 5)  # seconds before the one retry of a failed request
# Failed checks in a row before editors hear "this page can no longer be watched".
WATCH_ALERT_AFTER = env_int("WATCH_ALERT_AFTER", 4)
# A version seen this recently that gave way to the stable one again is a flip, not news.
WATCH_FLIP_DAYS = env_int("WATCH_FLIP_DAYS", 7)
WATCH_KEEP_DAYS = env_int("WATCH_KEEP_DAYS", 90)  # snapshots nothing refers to
# Headless Chromium for pages declared `js: true` (watcher/render.py).
WATCH_CHROMIUM = env("WATCH_CHROMIUM", "/usr/bin/chromium")
# Origins ("http://127.0.0.1", any port) exempt from the https and public-address rules.
# For the test suite's local server only: a system check refuses it with DEBUG off.
WATCH_ALLOWED_TEST_ORIGINS: list[str] = []
CELERY_BEAT_SCHEDULE["watch-pages"] = {
    "task": "watcher.watch_all",
    "schedule": WATCH_EVERY_HOURS * 3600.0,
}
# --- end Watcher ----------------------------------------------------------------------
