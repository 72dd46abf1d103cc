"""Django settings, from environment variables only (see ioc/config.py)."""

from __future__ import annotations

import sys

import dj_database_url
from django.utils.translation import gettext_lazy as _

from ioc import config

try:
    CONF = config.load()
    VAR_DIR = CONF["IOC_VAR_DIR"]
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    SECRET_KEY = config.secret_key(VAR_DIR, CONF["IOC_SECRET_KEY"])
except config.ConfigError as exc:  # fail fast, in both languages
    sys.stderr.write(f"{exc}\n")
    raise SystemExit(2) from None

BASE_DIR = config.BASE_DIR
DEBUG = CONF["IOC_DEBUG"]
ALLOWED_HOSTS = CONF["IOC_ALLOWED_HOSTS"]
CSRF_TRUSTED_ORIGINS = CONF["IOC_CSRF_TRUSTED_ORIGINS"]
IOC_AREA = CONF["IOC_AREA"]
MAP_TILE_URL = CONF["IOC_MAP_TILE_URL"]
MAP_TILE_ATTRIBUTION = CONF["IOC_MAP_TILE_ATTRIBUTION"]
WAREHOUSE_PATH = CONF["IOC_WAREHOUSE_PATH"] or VAR_DIR / "warehouse.duckdb"
WAREHOUSE_URL = CONF["IOC_WAREHOUSE_URL"]  # empty: the DuckDB file above

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "ioc.core",
    "ioc.accounts",
    "ioc.jobs",
    "ioc.warehouse",
    "ioc.operations",
    "ioc.integrations",
    "ioc.dashboards",
    "ioc.feedback",
    "ioc.maps",
    "ioc.cameras",
    "ioc.portal",
    "ioc.web",
    "ioc.demo",
    # The portal's CMS (Wagtail): after our apps, so our templates win.
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    # Side-by-side translation of pages (source text beside the translation); its locales
    # app replaces wagtail.locales.
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ioc.core.middleware.VietnameseFirstLocaleMiddleware",
    "ioc.portal.cache.PortalCacheMiddleware",  # public portal pages for readers, from cache
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ioc.core.middleware.RequestContextMiddleware",
    "ioc.accounts.middleware.StaffAreaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ioc.urls"
ASGI_APPLICATION = "ioc.asgi.application"
WSGI_APPLICATION = "ioc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ioc.core.context_processors.platform",
            ],
        },
    },
]

# --- databases -------------------------------------------------------------------------------
if CONF["IOC_DATABASE_URL"]:
    DATABASES = {"default": dj_database_url.parse(CONF["IOC_DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and CONF["IOC_DATABASE_POOL"]:
        # Threads of the web process, live streams and the worker share a pool of connections;
        # persistent connections per thread would not be bounded (docs/adr/0010).
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": CONF["IOC_DATABASE_POOL"],
            "timeout": 20,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "ioc.core.sqlite",  # Django's, with writers queued (see its docstring)
            "NAME": VAR_DIR / "ioc.sqlite3",
            # The web threads live long (ioc.asgi): each keeps its connection open.
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                # WAL: readers never wait for the writer; IMMEDIATE: no upgrade deadlocks.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
if "sqlite" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"].setdefault("TEST", {"NAME": str(VAR_DIR / "test.sqlite3")})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if CONF["IOC_REDIS_URL"]:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONF["IOC_REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- accounts and security -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "ioc.web.views.csrf_failure"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:ioc-home"
LOGOUT_REDIRECT_URL = "web:home"
AXES_FAILURE_LIMIT = CONF["IOC_LOGIN_FAILURE_LIMIT"]
AXES_COOLOFF_TIME = CONF["IOC_LOGIN_COOLOFF_MINUTES"] / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
IOC_PROXY_COUNT = CONF["IOC_PROXY_COUNT"]
# One definition of the client's address for the login throttle and the audit log.
AXES_CLIENT_IP_CALLABLE = "ioc.core.middleware.client_ip"
AXES_VERBOSE = False
IOC_STAFF_REQUIRE_OTP = CONF["IOC_STAFF_REQUIRE_OTP"]

# Background jobs: Django's tasks API (the django-tasks backport). The database backend
# needs no server; `ioc worker` processes (or the worker embedded in `ioc serve`) run them.
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "redis": "django_tasks_rq.RQBackend",
            "rabbitmq": "ioc.integrations.amqp.RabbitMQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[CONF["IOC_TASKS_BACKEND"]],
        "QUEUES": ["default", "sync"],
    }
}
# RQ (the redis backend): one Redis queue per task queue.
RQ_QUEUES = {
    name: {"URL": CONF["IOC_REDIS_URL"] or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 3600}
    for name in ("default", "sync")
}
if CONF["IOC_TASKS_BACKEND"] == "redis" and not CONF["IOC_REDIS_URL"]:
    raise SystemExit(
        "IOC_TASKS_BACKEND=redis cần IOC_REDIS_URL / IOC_TASKS_BACKEND=redis needs IOC_REDIS_URL"
    )
IOC_AMQP_URL = CONF["IOC_AMQP_URL"]
if CONF["IOC_TASKS_BACKEND"] == "rabbitmq" and not IOC_AMQP_URL:
    raise SystemExit(
        "IOC_TASKS_BACKEND=rabbitmq cần IOC_AMQP_URL /"
        " IOC_TASKS_BACKEND=rabbitmq needs IOC_AMQP_URL"
    )
IOC_EMBEDDED_WORKER = CONF["IOC_EMBEDDED_WORKER"]
IOC_SCHEDULER_SECONDS = CONF["IOC_SCHEDULER_SECONDS"]
IOC_PUBLIC_URL = CONF["IOC_PUBLIC_URL"].rstrip("/")
IOC_SMS_BACKEND = CONF["IOC_SMS_BACKEND"]
IOC_WEB_THREADS = CONF["IOC_WEB_THREADS"]
IOC_FEEDBACK_PER_HOUR = CONF["IOC_FEEDBACK_PER_HOUR"]
IOC_FEEDBACK_CAPTCHA_AFTER = CONF["IOC_FEEDBACK_CAPTCHA_AFTER"]
IOC_OPEN311_JURISDICTION = CONF["IOC_OPEN311_JURISDICTION"]
IOC_FFMPEG = CONF["IOC_FFMPEG"]
IOC_CAMERA_DETECTOR = CONF["IOC_CAMERA_DETECTOR"]
IOC_CAMERA_PROBE_SECONDS = CONF["IOC_CAMERA_PROBE_SECONDS"]
IOC_CAMERA_PROBE_TIMEOUT = CONF["IOC_CAMERA_PROBE_TIMEOUT"]
IOC_CAMERA_PROBE_CONCURRENCY = CONF["IOC_CAMERA_PROBE_CONCURRENCY"]
IOC_CAMERA_SNAPSHOT_SECONDS = CONF["IOC_CAMERA_SNAPSHOT_SECONDS"]
IOC_CAMERA_URL_SECONDS = CONF["IOC_CAMERA_URL_SECONDS"]
IOC_CAMERA_RELAYS = CONF["IOC_CAMERA_RELAYS"]
IOC_CAMERA_RELAY_IDLE_SECONDS = CONF["IOC_CAMERA_RELAY_IDLE_SECONDS"]
EMAIL_HOST = CONF["IOC_EMAIL_HOST"]
EMAIL_PORT = CONF["IOC_EMAIL_PORT"]
EMAIL_HOST_USER = CONF["IOC_EMAIL_USER"]
EMAIL_HOST_PASSWORD = CONF["IOC_EMAIL_PASSWORD"]
EMAIL_USE_TLS = bool(EMAIL_HOST)
DEFAULT_FROM_EMAIL = SERVER_EMAIL = CONF["IOC_EMAIL_FROM"]
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
OTP_TOTP_ISSUER = "IOC"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # one operator shift
SESSION_COOKIE_SECURE = CONF["IOC_SECURE_COOKIES"]
CSRF_COOKIE_SECURE = CONF["IOC_SECURE_COOKIES"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
if CONF["IOC_SECURE_COOKIES"]:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- the portal (Wagtail) --------------------------------------------------------------------
WAGTAIL_SITE_NAME = CONF["IOC_PORTAL_NAME"]
WAGTAILADMIN_BASE_URL = CONF["IOC_PUBLIC_URL"].rstrip("/") or "http://127.0.0.1:8000"
WAGTAILADMIN_LOGIN_URL = "/accounts/login/"  # ours: throttled, second factor, audited
# Pages in Vietnamese, and in English where an editor has translated them (the introduction,
# the contact page): the visitor's language picks the translation, Vietnamese otherwise.
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
# A new translation is a draft until the board publishes it, not a live copy of the
# Vietnamese text at an English address (wagtail-localize's default).
WAGTAILLOCALIZE_SYNC_LIVE_STATUS_ON_TRANSLATE = False
WAGTAIL_ALLOW_UNICODE_SLUGS = False  # "tin-kinh-te", not "tin-kinh-tế" (see PortalPage)
WAGTAIL_ENABLE_UPDATE_CHECK = False  # no calls home from a closed network
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_MODERATION_ENABLED = True
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"  # through Django: permission checks, no direct links
WAGTAILDOCS_DOCUMENT_FORM_BASE = "ioc.portal.forms.DocumentForm"  # content checked, not only names
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "doc", "xlsx", "xls", "odt", "ods"]
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "avif"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = CONF["IOC_PORTAL_UPLOAD_MB"] * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILIMAGES_AVIF_QUALITY = 60
WAGTAILIMAGES_WEBP_QUALITY = 78
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        "WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea",
        "OPTIONS": {
            "features": ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]
        },
    }
}
IOC_PORTAL_UPLOAD_MB = CONF["IOC_PORTAL_UPLOAD_MB"]
IOC_PORTAL_CACHE_SECONDS = CONF["IOC_PORTAL_CACHE_SECONDS"]
IOC_PORTAL_VIDEO_HOSTS = CONF["IOC_PORTAL_VIDEO_HOSTS"]
# Wagtail's admin lists pages in its own permitted languages; ours are Vietnamese and English.
WAGTAILADMIN_PERMITTED_LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]

# --- language and time -----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "ioc" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = CONF["IOC_TIME_ZONE"]
FORMAT_MODULE_PATH = ["ioc.formats"]
USE_THOUSAND_SEPARATOR = True

# --- static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "ioc" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": CONF["IOC_LOG_LEVEL"]},
    # httpx logs every request at INFO: a thousand camera probes a minute, agency API pages.
    # wagtail logs every page created at INFO: hundreds in a demo build.
    "loggers": {
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

if CONF["_unknown"]:
    sys.stderr.write(
        "Cảnh báo / warning: biến môi trường không được khai báo / undeclared variables: "
        + ", ".join(CONF["_unknown"])
        + "\n"
    )
