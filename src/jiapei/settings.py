"""Django settings for jiapei.

Every value that differs between deployments is read from the environment here and nowhere else.
The defaults give a working single-machine installation on SQLite under ``./var``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("JIAPEI_DATA_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _secret_key() -> str:
    """Return the secret key from the environment, or a per-installation key kept in DATA_DIR.

    A key is never committed: development installations get a random one written on first use.
    """
    key = os.environ.get("JIAPEI_SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("JIAPEI_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("JIAPEI_ALLOWED_HOSTS", "*").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "jiapei.core",
    "jiapei.accounts",
    "jiapei.registry",
    "jiapei.outbox",
    "jiapei.training",
    "jiapei.audit",
    "jiapei.stages",
    "jiapei.exams",
    "jiapei.fraud",
    "jiapei.workorders",
    "jiapei.supervision",
    "jiapei.reports",
    "jiapei.integrations.national",
    "jiapei.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jiapei.urls"
WSGI_APPLICATION = "jiapei.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'jiapei.sqlite3'}"),
        # Persistent connections: opening one per request cost ingest about a third of its
        # database time (bench/README.md). Health checks drop a connection the server closed.
        conn_max_age=_env_int("JIAPEI_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web process share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Static files (the admin's) are served from the installed package: no collectstatic, no CDN.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("JIAPEI_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = _env_int("JIAPEI_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)

# The province this installation serves (GB/T 2260 code); its regions are seeded from fixtures.
JIAPEI_PROVINCE = os.environ.get("JIAPEI_PROVINCE", "430000")

# Timing-platform interface (standards.md §2.1): accepted clock skew for `ts`, in seconds.
JIAPEI_SIGNATURE_WINDOW_SECONDS = _env_int("JIAPEI_SIGNATURE_WINDOW_SECONDS", 300)

# The national platform (全国驾培平台): "fake" issues numbers locally; "http" calls the real one.
JIAPEI_NATIONAL_BACKEND = os.environ.get("JIAPEI_NATIONAL_BACKEND", "fake")
JIAPEI_NATIONAL_URL = os.environ.get("JIAPEI_NATIONAL_URL", "")
JIAPEI_NATIONAL_CERT_SERIAL = os.environ.get("JIAPEI_NATIONAL_CERT_SERIAL", "")
JIAPEI_NATIONAL_KEY_FILE = os.environ.get("JIAPEI_NATIONAL_KEY_FILE", "")

# Outbox relay: how long a claimed message is leased, and the retry schedule's bounds.
JIAPEI_OUTBOX_LEASE_SECONDS = _env_int("JIAPEI_OUTBOX_LEASE_SECONDS", 60)
JIAPEI_OUTBOX_MAX_BACKOFF_SECONDS = _env_int("JIAPEI_OUTBOX_MAX_BACKOFF_SECONDS", 3600)
JIAPEI_OUTBOX_HTTP_TIMEOUT_SECONDS = _env_int("JIAPEI_OUTBOX_HTTP_TIMEOUT_SECONDS", 10)
# The police platform (互联网交通安全综合服务管理平台): "http" posts to JIAPEI_POLICE_URL (in demos
# and joint debugging, `jiapei police-sim`); "fake" keeps messages in memory (tests).
JIAPEI_POLICE_BACKEND = os.environ.get("JIAPEI_POLICE_BACKEND", "http")
JIAPEI_POLICE_URL = os.environ.get("JIAPEI_POLICE_URL", "http://127.0.0.1:8123")
# The police platform's calls into jiapei (pre-entry checks, exam results) carry this bearer
# token; without one configured, a per-installation token is generated in DATA_DIR.
JIAPEI_POLICE_TOKEN = os.environ.get("JIAPEI_POLICE_TOKEN", "")
# Share of clean stage records drawn for manual review, and per-city overrides ({"430100": 0.6}).
JIAPEI_STAGE_MANUAL_SHARE = float(os.environ.get("JIAPEI_STAGE_MANUAL_SHARE", "0.1"))
JIAPEI_STAGE_MANUAL_SHARE_BY_CITY: dict[str, float] = {}
# Seed 000 §三(四): students whose police business began before this date (ISO) are pushed as
# transition cases; "" = no cut-over configured.
JIAPEI_STAGE_TRANSITION_BEFORE = os.environ.get("JIAPEI_STAGE_TRANSITION_BEFORE", "")

# "http" posts callbacks to the timing platforms; "record" keeps them in memory (tests only).
JIAPEI_CALLBACK_BACKEND = os.environ.get("JIAPEI_CALLBACK_BACKEND", "http")

# Hours-fraud detection (seed 002). A scanned day is compared with the photos of this many days
# before it, and with the GNSS tracks of the (shorter, because tracks are the bulk) track
# look-back. Detector thresholds: {"photos": {"field": value}, …} (see fraud/params.py).
JIAPEI_FRAUD_LOOKBACK_DAYS = _env_int("JIAPEI_FRAUD_LOOKBACK_DAYS", 30)
JIAPEI_FRAUD_TRACK_LOOKBACK_DAYS = _env_int("JIAPEI_FRAUD_TRACK_LOOKBACK_DAYS", 14)
JIAPEI_FRAUD_PARAMS: dict[str, dict[str, object]] = {}
# Work orders: the finding severities that open one, and the days a county has to decide it.
JIAPEI_WORKORDER_SEVERITIES = ("high", "medium")
JIAPEI_WORKORDER_DEADLINE_DAYS = _env_int("JIAPEI_WORKORDER_DEADLINE_DAYS", 7)
# Share of a month's teaching logs audited by hand where a city set no policy.
JIAPEI_MANUAL_AUDIT_SHARE = float(os.environ.get("JIAPEI_MANUAL_AUDIT_SHARE", "0.2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JIAPEI_LOG_LEVEL", "INFO")},
    # One line per outbound request is noise; failures are logged by the outbox relay.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
