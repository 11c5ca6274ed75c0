"""Settings for refdesk, read from ``REFDESK_*`` environment variables.

Safe defaults for a laptop (SQLite in ``./data``, the in-memory channel layer, console
email); a refusal to start in production with debug on or an insecure secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"REFDESK_{name}", default).strip()


def _env_bool(name: str, *, default: bool = False) -> bool:
    value = _env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"REFDESK_{name} must be a whole number, not {value!r}") from exc


def _env_minutes(name: str, default: float) -> float:
    """A positive number of minutes; a fraction is allowed (tests shorten timers with it)."""
    value = _env(name)
    if not value:
        return default
    try:
        minutes = float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"REFDESK_{name} must be a number, not {value!r}") from exc
    if not 0 < minutes < 10_000:  # noqa: PLR2004
        raise ImproperlyConfigured(f"REFDESK_{name} must be a positive number of minutes")
    return minutes


def _env_page(name: str, default: int) -> int:
    value = _env_int(name, default)
    if not 1 <= value <= 1000:  # noqa: PLR2004
        raise ImproperlyConfigured(f"REFDESK_{name} must be between 1 and 1000, not {value}")
    return value


def _env_threads(name: str, default: int) -> int:
    value = _env_int(name, default)
    if not 0 <= value <= 32:  # noqa: PLR2004
        raise ImproperlyConfigured(f"REFDESK_{name} must be between 0 and 32, not {value}")
    return value


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in _env(name).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------

DEBUG = _env_bool("DEBUG")
TESTING = _env_bool("TESTING")
DATA_DIR = Path(_env("DATA_DIR", str(Path.cwd() / "data"))).resolve()

_INSECURE_SECRET = "refdesk-insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = _env("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "REFDESK_SECRET_KEY is required unless REFDESK_DEBUG=1 (a laptop). "
            'Make one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    SECRET_KEY = _INSECURE_SECRET
elif len(SECRET_KEY) < 32 and not DEBUG:  # noqa: PLR2004
    raise ImproperlyConfigured("REFDESK_SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS") or (
    ["127.0.0.1", "localhost", "[::1]"] if (DEBUG or TESTING) else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("REFDESK_ALLOWED_HOSTS is required outside debug (comma list).")

# Sites that may embed the patron widget in a frame and open patron sockets
# (scheme://host[:port], comma separated).
EMBED_ORIGINS = _env_list("EMBED_ORIGINS")
for _origin in EMBED_ORIGINS:
    if urlparse(_origin).scheme not in {"http", "https"} or not urlparse(_origin).netloc:
        raise ImproperlyConfigured(f"REFDESK_EMBED_ORIGINS: {_origin!r} is not scheme://host")

INSTALLED_APPS = [
    "django.contrib.admin",
    # The desk's lower apps, in their layers' order, before Django's auth: the accounts'
    # createsuperuser (which adds the librarian profile) is then the one that runs, as an
    # app listed earlier wins a command's name.
    "refdesk.core.apps.CoreConfig",
    "refdesk.campuses",
    "refdesk.directory.apps.DirectoryConfig",
    "refdesk.accounts.apps.AccountsConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "refdesk.snippets.apps.SnippetsConfig",
    "refdesk.chats.apps.ChatsConfig",
    "refdesk.tickets.apps.TicketsConfig",
    "refdesk.safety.apps.SafetyConfig",
    "refdesk.setup",
    "refdesk.widget",
    "refdesk.console.apps.ConsoleConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files (an SVG opened on its own, a script) carry
    # the policy too.
    "refdesk.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "refdesk.accounts.middleware.LoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "refdesk.urls"
ASGI_APPLICATION = "refdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
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

# ---------------------------------------------------------------------------
# Database: SQLite (WAL) in the data folder, or PostgreSQL from a URL
# ---------------------------------------------------------------------------

DATABASE_URL = _env("DATABASE_URL")
DATABASES: dict[str, dict[str, Any]]
if DATABASE_URL:
    import dj_database_url

    DATABASES = {"default": dict(dj_database_url.parse(DATABASE_URL, conn_max_age=600))}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("REFDESK_DATABASE_URL must be a postgresql:// URL.")
else:
    # Chats are personal data: the folder and the database are the server account's
    # alone. SQLite gives its log and shared-memory files the database file's mode, so
    # creating the (empty) database file owner-only covers all three.
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    _database_file = DATA_DIR / "refdesk.sqlite3"
    if not _database_file.exists():
        os.close(os.open(_database_file, os.O_CREAT | os.O_WRONLY, 0o600))
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "refdesk.sqlite3",
            # WAL lets readers run beside the one writer; synchronous=NORMAL in WAL keeps
            # every committed transaction across a crash of the process (not of the power).
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
            # timeout instead of failing with "database is locked" on lock upgrade.
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    # Deleted and overwritten content is zeroed, so purged patron text
                    # leaves no copy in the file's free space.
                    "PRAGMA secure_delete=ON;"
                    "PRAGMA busy_timeout=20000;"
                    # A thread checkpoints every second (core/checkpoint.py); this
                    # threshold is only the safety net if it cannot.
                    "PRAGMA wal_autocheckpoint=16000;"
                    "PRAGMA cache_size=-65536;"
                    "PRAGMA temp_store=MEMORY;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": str(DATA_DIR / "test-refdesk.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------
# Channel layer: in memory for one process, Redis for several
# ---------------------------------------------------------------------------

REDIS_URL = _env("REDIS_URL")
CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": _env("REDIS_PREFIX", "refdesk")},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            # Channels' in-memory layer sweeps every channel on every send and drops
            # messages silently when a queue is full; see core/layers.py.
            "BACKEND": "refdesk.core.layers.LocalChannelLayer",
            "CONFIG": {"capacity": 10_000},
        }
    }

# ---------------------------------------------------------------------------
# Accounts and sessions
# ---------------------------------------------------------------------------

# The only backend: every way of logging in (the desk's page, the admin's, code that calls
# authenticate()) goes through one throttle.
AUTHENTICATION_BACKENDS = ["refdesk.accounts.backends.ThrottledModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:console-show"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = _env_int("SESSION_HOURS", 12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# ---------------------------------------------------------------------------
# Security headers
# ---------------------------------------------------------------------------

SECURE = _env_bool("SECURE", default=not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = _env_int("HSTS_SECONDS", 0)
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

# ---------------------------------------------------------------------------
# Static files and email
# ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

EMAIL_URL = _env("EMAIL_URL")
DEFAULT_FROM_EMAIL = _env("FROM_EMAIL", "refdesk@localhost")
if EMAIL_URL:
    _email = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = _email.username or ""
    EMAIL_HOST_PASSWORD = _email.password or ""
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# ---------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = _env("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------
# The desk: limits and privacy
# ---------------------------------------------------------------------------


class DeskSettings(TypedDict):
    MAX_MESSAGE_CHARS: int
    MAX_FRAME_BYTES: int
    MAX_NAME_CHARS: int
    MAX_EMAIL_CHARS: int
    MAX_URL_CHARS: int
    RETENTION_DAYS: int
    RETENTION_OPEN_DAYS: int
    IP_SALT: str
    PRESENCE_TIMEOUT_SECONDS: int
    SWEEP_SECONDS: int
    TRUST_X_FORWARDED_FOR: bool
    FRAMES_PER_SECOND: float
    FRAMES_BURST: float
    NEW_CHATS_PER_BROWSER: int
    NEW_CHATS_BROWSER_WINDOW: int
    NEW_CHATS_PER_ADDRESS: int
    NEW_CHATS_ADDRESS_WINDOW: int
    NEW_TICKETS_PER_BROWSER: int
    NEW_TICKETS_BROWSER_WINDOW: int
    NEW_TICKETS_PER_ADDRESS: int
    NEW_TICKETS_ADDRESS_WINDOW: int
    STATUS_CHECKS_PER_BROWSER: int
    STATUS_CHECKS_BROWSER_WINDOW: int
    STATUS_CHECKS_PER_ADDRESS: int
    STATUS_CHECKS_ADDRESS_WINDOW: int
    LOGIN_FAILURES_BEFORE_LOCKOUT: int
    LOGIN_LOCKOUT_SECONDS: int
    LOGIN_FAILURES_PER_ADDRESS: int
    LOGIN_FAILURES_PER_ACCOUNT: int
    MESSAGES_PER_CHAT_MINUTE: int
    MAX_SOCKETS: int
    MAX_SOCKETS_PER_ADDRESS: int
    MAX_SOCKETS_PER_CHAT: int
    SOCKET_QUEUE_BYTES: int
    HEADER_TIMEOUT_SECONDS: int
    SNAPSHOT_WAITING: int
    SNAPSHOT_TICKETS: int
    READ_THREADS: int
    HOME_CAMPUS_SECONDS: int
    TICKET_OFFER_SECONDS: int
    TRANSFER_OFFER_SECONDS: int
    UNANSWERED_MINUTES: int
    AWAY_AFTER_MINUTES: float
    OFFLINE_GRACE_SECONDS: int
    PATRON_GONE_MINUTES: int
    DEAD_AIR_AMBER_SECONDS: int
    DEAD_AIR_RED_SECONDS: int
    SILENT_PATRON_MINUTES: float
    SILENT_PATRON_END_MINUTES: float
    SILENT_PATRON_AUTO: bool
    SAFETY_SCREENING: bool
    PUBLIC_URL: str


REFDESK: DeskSettings = {
    "MAX_MESSAGE_CHARS": 4000,
    "MAX_FRAME_BYTES": 64 * 1024,
    "MAX_NAME_CHARS": 120,
    "MAX_EMAIL_CHARS": 254,
    "MAX_URL_CHARS": 2000,
    "RETENTION_DAYS": _env_int("RETENTION_DAYS", 90),
    # A chat never ended or a ticket never closed is ended or closed, and purged, this
    # long after it was started or filed.
    "RETENTION_OPEN_DAYS": _env_int("RETENTION_OPEN_DAYS", 365),
    # Salt for hashing patron addresses; derived from the secret key unless given.
    "IP_SALT": _env("IP_SALT") or SECRET_KEY,
    # A console socket counts as online while its process keeps touching it.
    "PRESENCE_TIMEOUT_SECONDS": _env_int("PRESENCE_TIMEOUT_SECONDS", 60),
    "SWEEP_SECONDS": _env_int("SWEEP_SECONDS", 5),
    # Behind a reverse proxy, the patron's address is the last X-Forwarded-For entry.
    "TRUST_X_FORWARDED_FOR": _env_bool("TRUST_X_FORWARDED_FOR"),
    # Frames each socket may send: a steady rate and a burst (typing, quick replies).
    "FRAMES_PER_SECOND": float(_env_int("RATE_FRAMES_PER_SECOND", 10)),
    "FRAMES_BURST": float(_env_int("RATE_FRAMES_BURST", 20)),
    # New chats: per browser (its widget id), and per hashed address, which a whole campus
    # lab may share.
    "NEW_CHATS_PER_BROWSER": _env_int("RATE_CHATS_PER_BROWSER", 3),
    "NEW_CHATS_BROWSER_WINDOW": _env_int("RATE_CHATS_BROWSER_WINDOW", 600),
    "NEW_CHATS_PER_ADDRESS": _env_int("RATE_CHATS_PER_ADDRESS", 60),
    "NEW_CHATS_ADDRESS_WINDOW": _env_int("RATE_CHATS_ADDRESS_WINDOW", 3600),
    # Tickets from the offline form: a patron needs one, perhaps a correction or two, so a
    # browser gets three an hour. The address limit is for floods only: a campus lab or a
    # residence hall puts dozens of patrons behind one address, and a class of thirty that
    # all ask after hours must each get their ticket in.
    "NEW_TICKETS_PER_BROWSER": _env_int("RATE_TICKETS_PER_BROWSER", 3),
    "NEW_TICKETS_BROWSER_WINDOW": _env_int("RATE_TICKETS_BROWSER_WINDOW", 3600),
    "NEW_TICKETS_PER_ADDRESS": _env_int("RATE_TICKETS_PER_ADDRESS", 60),
    "NEW_TICKETS_ADDRESS_WINDOW": _env_int("RATE_TICKETS_ADDRESS_WINDOW", 3600),
    # The ask page's question on load, whether this browser may chat: once a page view,
    # so a browser gets a page view every twenty seconds, and an address (a campus lab)
    # many more.
    "STATUS_CHECKS_PER_BROWSER": _env_int("RATE_STATUS_PER_BROWSER", 30),
    "STATUS_CHECKS_BROWSER_WINDOW": _env_int("RATE_STATUS_BROWSER_WINDOW", 600),
    "STATUS_CHECKS_PER_ADDRESS": _env_int("RATE_STATUS_PER_ADDRESS", 600),
    "STATUS_CHECKS_ADDRESS_WINDOW": _env_int("RATE_STATUS_ADDRESS_WINDOW", 3600),
    # Log-ins (refdesk/accounts/throttle.py has the policy), failures counted in a sliding
    # six-hour window. After this many failures of one account from one address, that
    # account is locked at that address for LOGIN_LOCKOUT_SECONDS, doubling with each
    # further failure (up to an hour); other addresses are not locked out.
    "LOGIN_FAILURES_BEFORE_LOCKOUT": _env_int("RATE_LOGIN_FAILURES", 5),
    "LOGIN_LOCKOUT_SECONDS": _env_int("RATE_LOGIN_LOCKOUT", 60),
    # An address that failed this often for any names, or an account that failed this often
    # from anywhere, is under attack: a pair of the two that has failed is slowed down (ten
    # seconds a failure); one that never failed logs in at once.
    "LOGIN_FAILURES_PER_ADDRESS": _env_int("RATE_LOGIN_FAILURES_PER_ADDRESS", 30),
    "LOGIN_FAILURES_PER_ACCOUNT": _env_int("RATE_LOGIN_FAILURES_PER_ACCOUNT", 20),
    # A patron's messages into one chat, over all of its sockets in a process: a steady
    # rate of this many a minute, in bursts of as many.
    "MESSAGES_PER_CHAT_MINUTE": _env_int("RATE_MESSAGES_PER_CHAT_MINUTE", 30),
    # Websockets one process holds: in all (0: the open-file limit less a reserve for the
    # database, pages and static files), from one address (a campus lab shares one), and
    # on one patron token (a patron's tabs). See core/sockets.py.
    "MAX_SOCKETS": _env_int("MAX_SOCKETS", 0),
    "MAX_SOCKETS_PER_ADDRESS": _env_int("MAX_SOCKETS_PER_ADDRESS", 200),
    "MAX_SOCKETS_PER_CHAT": _env_int("MAX_SOCKETS_PER_CHAT", 8),
    # What may wait to be written to one socket whose client reads too slowly (or not at
    # all) before the server closes it with 4008; the client then resumes from its cursor.
    "SOCKET_QUEUE_BYTES": _env_int("SOCKET_QUEUE_BYTES", 1024 * 1024),
    # A connection must finish its request headers within this long, or it is closed.
    "HEADER_TIMEOUT_SECONDS": _env_int("HEADER_TIMEOUT_SECONDS", 10),
    # A console's snapshot carries the newest this many waiting chats and new tickets, with
    # their counts; older ones come a page of the same size at a time (queue.list,
    # ticket.list). A flood of chats then costs every console a page, not the whole flood.
    "SNAPSHOT_WAITING": _env_page("SNAPSHOT_WAITING", 100),
    "SNAPSHOT_TICKETS": _env_page("SNAPSHOT_TICKETS", 100),
    # Async code reaches the database on two lanes (core/db.py): one writer thread for
    # messages and short conditional updates, and this many reader threads, each with its
    # own connection, for snapshots, lists and searches. 0 puts reads on the writer's
    # thread (as before the lanes; for comparison only).
    "READ_THREADS": _env_threads("READ_THREADS", 2),
    # The library's rule for a chat (docs/protocol.md, "Operators, transfers and tickets"):
    # a new chat rings only for its own campus's librarians this long,
    "HOME_CAMPUS_SECONDS": _env_int("HOME_CAMPUS_SECONDS", 20),
    # a patron left waiting this long is offered to leave the question as a ticket,
    "TICKET_OFFER_SECONDS": _env_int("TICKET_OFFER_SECONDS", 60),
    # and a chat still unclaimed after this long ends unanswered (a ticket if there is an
    # email to answer).
    "UNANSWERED_MINUTES": _env_int("UNANSWERED_MINUTES", 15),
    # A transfer offered to a librarian waits this long for Accept or Decline.
    "TRANSFER_OFFER_SECONDS": _env_int("TRANSFER_OFFER_SECONDS", 60),
    # A console with no keyboard or pointer input this long goes away (the console's own
    # timer; a fraction of a minute is allowed).
    "AWAY_AFTER_MINUTES": _env_minutes("AWAY_AFTER_MINUTES", 30),
    # A librarian whose every console has gone this long is offline: their active chats go
    # back to their campus's queue.
    "OFFLINE_GRACE_SECONDS": _env_int("OFFLINE_GRACE_SECONDS", 60),
    # A waiting chat whose patron has been gone this long leaves the queue (patron_left).
    "PATRON_GONE_MINUTES": _env_int("PATRON_GONE_MINUTES", 3),
    # No dead air (docs/protocol.md, "Timers of an active chat"): a patron whose message has
    # waited this long for the librarian's reply turns the chat's badge amber (and the
    # composer offers "Still looking."), and this long red, when the server alerts the
    # holder's consoles and counts a dead-air moment.
    "DEAD_AIR_AMBER_SECONDS": _env_int("DEAD_AIR_AMBER_SECONDS", 60),
    "DEAD_AIR_RED_SECONDS": _env_int("DEAD_AIR_RED_SECONDS", 120),
    # Silent patrons: a patron who has not answered the librarian this long is asked
    # whether they are still there, and this long after that ending the chat is suggested.
    "SILENT_PATRON_MINUTES": _env_minutes("SILENT_PATRON_MINUTES", 3),
    "SILENT_PATRON_END_MINUTES": _env_minutes("SILENT_PATRON_END_MINUTES", 5),
    # With this on, the server itself asks the question and ends the chat as idle.
    "SILENT_PATRON_AUTO": _env_bool("SILENT_PATRON_AUTO"),
    # Each patron message is screened for abusive, threatening and crisis language, and a
    # hit alerts the librarian (docs/safety.md); off, messages are stored unscreened.
    "SAFETY_SCREENING": _env_bool("SAFETY_SCREENING", default=True),
    # The desk's public address, the base of the links in emails to patrons.
    "PUBLIC_URL": _env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No log line names a patron's address or token (see core/logs.py).
    "filters": {"redact": {"()": "refdesk.core.logs.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

if not (DEBUG or TESTING) and SECRET_KEY == _INSECURE_SECRET:
    raise ImproperlyConfigured("Refusing to start in production with the insecure secret.")
