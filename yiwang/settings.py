"""Yiwang settings.

Every environment variable the project reads is read here, with a development default.
In production (DEBUG off) a missing SECRET_KEY is a hard failure, never a silent default.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 (DEBUG only)
SECRET_KEY: str = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "axes",
    "django_otp",
    "yiwang.core",
    "yiwang.org",
    "yiwang.catalog",
    "yiwang.cases",
    "yiwang.supervision",
    "yiwang.portal",
    "yiwang.licenses",
    "yiwang.payments",
    "yiwang.hall",
    "yiwang.api",
    "yiwang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yiwang.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yiwang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Databases: SQLite by default (embedded mode), PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work: Celery over Redis when REDIS_URL is set, otherwise the same task
# functions run in-process (CELERY_TASK_ALWAYS_EAGER) and `make run` needs no broker.
REDIS_URL: str = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"

# Electronic supervision: the unit printed on notices ({region} is the case's region) and
# the working days a department has to reply to one.
SUPERVISION_ISSUING_UNIT: str = env.str("SUPERVISION_ISSUING_UNIT", default="{region}政务服务中心电子监察室")
SUPERVISION_REPLY_WORKDAYS: int = env.int("SUPERVISION_REPLY_WORKDAYS", default=3)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Security baseline (DOMAIN.md, local defaults): 5 failures lock for 30 minutes;
# sessions end after 30 idle minutes.
AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME: float = env.float("AXES_COOLOFF_HOURS", default=0.5)
# Lock the account, not the address: a service hall or a village office puts many people
# behind one IP, and locking the address would lock all of them out.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

EMAIL_BACKEND: str = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "yiwang.api.schema.ApiSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Token first: its WWW-Authenticate challenge makes an anonymous request a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "yiwang.api.problems.problem_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Yiwang API",
    "DESCRIPTION": "Cases (办件) and service items of Yiwang. Errors are RFC 9457 problem+json; "
    "see /api/docs/ for the error codes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["yiwang.api.schema.only_api_v1"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "yiwang.cases.models.CaseState",
        "ChannelEnum": "yiwang.cases.models.Channel",
        "ApplicantKindEnum": "yiwang.cases.models.ApplicantKind",
        "DecisionEnum": "yiwang.cases.models.Decision",
        "DeliveryMethodEnum": "yiwang.cases.models.DeliveryMethod",
        "SuspensionKindEnum": "yiwang.cases.models.SuspensionKind",
    },
}

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------------------------------
# Notification channels (yiwang.core.notify, yiwang.core.sms): inbox, email and SMS.
# The outbox is delivered every minute by the periodic task deliver_notifications.
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="一网通办 <noreply@localhost>")
EMAIL_HOST: str = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT: int = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER: str = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD: str = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS: bool = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL: bool = env.bool("EMAIL_USE_SSL", default=False)
# A worker must never hang on a mail server: every send is bounded.
EMAIL_TIMEOUT: int = env.int("EMAIL_TIMEOUT", default=30)
SMS_BACKEND: str = env.str("SMS_BACKEND", default="yiwang.core.sms.LogBackend")
SMS_GATEWAY_URL: str = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_SECRET: str = env.str("SMS_GATEWAY_SECRET", default="")
SMS_GATEWAY_TIMEOUT: float = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
SMS_SIGN_NAME: str = env.str("SMS_SIGN_NAME", default="一网通办")
if SMS_BACKEND.endswith("HttpGatewayBackend") and not (SMS_GATEWAY_URL and SMS_GATEWAY_SECRET):
    raise ImproperlyConfigured("SMS_GATEWAY_URL and SMS_GATEWAY_SECRET must be set for the SMS gateway.")
# After this many failed attempts (retried after 1, 5, 30, 120, 720 minutes) a message is failed.
NOTIFY_MAX_ATTEMPTS: int = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
# Emails end with the link of the notification on this site, e.g. https://zwfw.example.gov.cn
NOTIFY_SITE_URL: str = env.str("NOTIFY_SITE_URL", default="").rstrip("/")
# --------------------------------------------------------------------- end notification channels

# ---------------------------------------------------------------------------------------
# The citizen portal (yiwang.portal), e-licenses, payments and the service hall.
# Ratings: 4 = the seeds' 满意/基本满意/一般/不满意, 5 = the national 好差评 scale.
PORTAL_RATING_SCALE: int = env.int("PORTAL_RATING_SCALE", default=4)
if PORTAL_RATING_SCALE not in (4, 5):
    raise ImproperlyConfigured("PORTAL_RATING_SCALE is 4 or 5.")
# A poor rating is answered and rectified within this many working days (DOMAIN: 5 to 15).
PORTAL_RATING_FOLLOWUP_WORKDAYS: int = env.int("PORTAL_RATING_FOLLOWUP_WORKDAYS", default=5)
# A consultation is answered within this many working days.
PORTAL_CONSULT_ANSWER_WORKDAYS: int = env.int("PORTAL_CONSULT_ANSWER_WORKDAYS", default=3)
# A file accepted in an earlier case is offered for reuse for this many days.
PORTAL_MATERIAL_REUSE_DAYS: int = env.int("PORTAL_MATERIAL_REUSE_DAYS", default=365)
# Real-name verification through a provider: empty = on-site verification only.
PORTAL_REALNAME_BACKEND: str = env.str("PORTAL_REALNAME_BACKEND", default="")
PORTAL_REALNAME_URL: str = env.str("PORTAL_REALNAME_URL", default="")
PORTAL_REALNAME_SECRET: str = env.str("PORTAL_REALNAME_SECRET", default="")
PORTAL_REALNAME_TIMEOUT: float = env.float("PORTAL_REALNAME_TIMEOUT", default=10.0)
LOGIN_REDIRECT_URL = "/account/"
# Payment gateway adapter; the sandbox gateway runs inside this site and signs its
# callbacks with PAYMENT_SANDBOX_SECRET like a real gateway does.
PAYMENT_GATEWAY: str = env.str("PAYMENT_GATEWAY", default="yiwang.payments.gateways.SandboxGateway")
PAYMENT_SANDBOX_SECRET: str = env.str("PAYMENT_SANDBOX_SECRET", default="sandbox-" + SECRET_KEY[:32])
# The sandbox takes no money: a production site (DEBUG off) must name a real gateway, or
# say explicitly that it is a training site.
if (
    not DEBUG
    and PAYMENT_GATEWAY.endswith(".SandboxGateway")
    and not env.bool("PAYMENT_SANDBOX_ALLOWED", default=False)
):
    raise ImproperlyConfigured(
        "PAYMENT_GATEWAY is the sandbox, which takes no money: configure a real payment gateway, "
        "or set PAYMENT_SANDBOX_ALLOWED=true for a training site."
    )
# Appointments: how many working days ahead a citizen may book.
HALL_BOOKING_WORKDAYS_AHEAD: int = env.int("HALL_BOOKING_WORKDAYS_AHEAD", default=10)
# ------------------------------------------------------------------ end portal and hall
