"""Settings for the whole site, every knob read from the environment.

Two profiles, chosen by DJANGO_ENV:

- ``development`` (the default): DEBUG on, SQLite under var/, local-memory
  cache, Celery tasks run eagerly in the web process, email written to
  var/mail/. ``make run`` needs nothing else.
- ``production``: DEBUG off, and SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
  REDIS_URL are required; HTTPS-only cookies, HSTS and SSL redirect are on.
  ``manage.py check --deploy`` passes with zero warnings (tests/test_settings.py).

docs/configuration.md lists every variable.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import EnvReader

BASE_DIR = Path(__file__).resolve().parent.parent
env = EnvReader()

DJANGO_ENV = env.choice("DJANGO_ENV", "development", ("development", "production"))
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", not PRODUCTION)
VAR_DIR = Path(env.str("VAR_DIR", str(BASE_DIR / "var")))
# Under pytest-xdist (``make test`` runs the suite in two processes) each worker is a test run of
# its own: its files under var/test-workers/<worker> and its own Redis databases (pytest-django
# gives each its own test database).
TEST_WORKER = env.str("PYTEST_XDIST_WORKER", "")
WORKER_DIR = VAR_DIR / "test-workers" / TEST_WORKER if TEST_WORKER else VAR_DIR

SECRET_KEY = env.secret_key(
    required=not DEBUG,
    insecure_default="django-insecure-development-only-key-never-use-when-debug-is-off",
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    env.error("ALLOWED_HOSTS", "is required when DEBUG is off: a comma-separated list such as donate.example.org.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")
BASE_URL = env.str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# -- Applications ---------------------------------------------------------

INSTALLED_APPS = [
    # Ours, in dependency order (see shared/DESIGN.md): campaigns may use
    # donations, supporters and cms; donations may use supporters and cms.
    "campaigns",
    "donations",
    "supporters",
    "cms",
    # Wagtail
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.redirects",
    "wagtail.locales",
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
    "django_filters",
    # Forms, security
    "django_countries",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_ratelimit",
    "rest_framework",
    "drf_spectacular",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # Answers /healthz before host validation, so container probes work.
    "config.health.HealthCheckMiddleware",
    # Answers the polled public JSON (counts, march status) from its cache before everything else.
    "cms.public_json.PublicJSONCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so a cached page still gets every header the others add.
    "cms.page_cache.PageCacheMiddleware",
]

if not DEBUG:
    # Serves collected static files (compressed, cache-busted) from gunicorn.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# -- Database -------------------------------------------------------------

_default_sqlite = VAR_DIR / "db.sqlite3"
if PRODUCTION and not env.raw("DATABASE_URL"):
    env.error("DATABASE_URL", "is required in production, for example postgres://user:password@host:5432/dbname.")
DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{_default_sqlite}")}
_db = DATABASES["default"]
if _db.get("ENGINE") == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db.setdefault("OPTIONS", {}).update(
        {
            # Wait for a writer instead of failing at once, and let readers
            # work during writes (the dev server and the tests are threaded).
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory, so a live server thread and a Celery worker
    # process started by a test see the same data.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
if _db:
    # Reuse connections between requests (the SQLite pragmas above run once
    # per connection, not once per request).
    _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", 60, minimum=0)
    _db["CONN_HEALTH_CHECKS"] = True

# -- Cache and Celery -----------------------------------------------------

REDIS_URL = env.redis_url("REDIS_URL")
if PRODUCTION and not REDIS_URL:
    env.error(
        "REDIS_URL",
        "is required in production (shared cache for rate limits, and the Celery broker), "
        "for example redis://redis:6379/0.",
    )


def _next_redis_db(url: str) -> str:
    """The same server, next database number: flushing the cache never drops queued tasks."""
    if url.startswith("unix://"):
        return url
    head, _sep, number = url.rpartition("/")
    if "://" in head and number.isdigit():
        return f"{head}/{int(number) + 1}"
    return f"{url.rstrip('/')}/1"


if REDIS_URL and TEST_WORKER.removeprefix("gw").isdigit():
    # Worker n: databases 2n and 2n + 1 above the one given (a test's cache flush is its own).
    for _step in range(2 * int(TEST_WORKER.removeprefix("gw"))):
        REDIS_URL = _next_redis_db(REDIS_URL)

# System checks that do not apply to the configuration in use (each explained where it is added).
SILENCED_SYSTEM_CHECKS: list[str] = []
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", "site"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    # Sessions read from Redis, written through to the database (so a cache flush logs nobody out).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "site"}}
    # The embedded default is one process (runserver), so a per-process
    # cache is shared by every request; production requires Redis.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]
if _db.get("ENGINE") == "django.db.backends.sqlite3":
    # The Insights facts' covering indexes (INCLUDE columns) are a PostgreSQL speed-up; SQLite keeps
    # the index on its key columns, which answers the same queries.
    SILENCED_SYSTEM_CHECKS += ["models.W040"]

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL") or (_next_redis_db(REDIS_URL) if REDIS_URL else "memory://")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and not env.raw("CELERY_BROKER_URL")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "cms.tasks.heartbeat", "schedule": 60.0},
    "webhook-events-sweep": {"task": "donations.tasks.webhook_events_sweep", "schedule": 60.0},
    "sandbox-renewals": {"task": "donations.tasks.sandbox_renewals", "schedule": 3600.0},
    "sandbox-payouts": {"task": "donations.tasks.sandbox_payouts_pay", "schedule": 86400.0},
}

# Full-page cache for anonymous visitors, cleared whenever content is published.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", 0 if DEBUG else 300, minimum=0)
# The longest the polled public JSON is shared (cms/public_json.py); any fold or publish refreshes it sooner.
PUBLIC_JSON_CACHE_SECONDS = env.int("PUBLIC_JSON_CACHE_SECONDS", 5, minimum=0)

# -- Email ----------------------------------------------------------------

EMAIL_DIR = WORKER_DIR / "mail"
globals().update(env.email("EMAIL_URL", EMAIL_DIR))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "donations@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = 10

# -- Internationalisation -------------------------------------------------

LANGUAGES = [("en", _("English")), ("ar", _("Arabic"))]
LANGUAGE_CODE = env.choice("LANGUAGE_CODE", "en", [code for code, _name in LANGUAGES])
TIME_ZONE = env.timezone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILSIMPLETRANSLATION_SYNC_PAGE_TREE = False

# -- Static and media -----------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", str(VAR_DIR / "static")))
NODE_MODULES = BASE_DIR / "node_modules"
# Installed from the npm registry by `make assets`, served by us: no CDN.
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/noto-sans-arabic", NODE_MODULES / "@fontsource" / "noto-sans-arabic"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(WORKER_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", DEBUG)
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", str(WORKER_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Evidence files and exports: not served by any URL, only through views that check permissions.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # Pre-compressed gzip and brotli copies for WhiteNoise, unless told not to (the benchmarks,
            # which never fetch static files, skip the half minute compressing takes).
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_COMPRESS", True)
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000  # Wagtail's page editor posts many fields.

# -- Forms ----------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# -- Authentication -------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"

# -- Security -------------------------------------------------------------

HTTPS = env.bool("HTTPS", PRODUCTION)
BEHIND_PROXY = env.bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# The client address for rate limits and velocity checks (the last proxy hop when BEHIND_PROXY).
RATELIMIT_IP_META_KEY = "cms.http.client_ip"

SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No framing; Wagtail's preview views set SAMEORIGIN for themselves.
X_FRAME_OPTIONS = "DENY"

# Hosts our own embed block may frame (privacy-enhanced players only).
EMBED_FRAME_SOURCES = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'", *EMBED_FRAME_SOURCES],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        **({"upgrade-insecure-requests": True} if HTTPS else {}),
    },
}

RATELIMIT_VIEW = "cms.views.rate_limited"

# bench/ mounts a bare view as the framework floor; never in production.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", False)
if PRODUCTION and BENCH_ENDPOINTS:
    env.error("BENCH_ENDPOINTS", "must be off in production (it exposes benchmark-only views).")
ADMIN_LOGIN_RATE = env.str("ADMIN_LOGIN_RATE", "10/m")

# -- Donations ------------------------------------------------------------

# Stripe when a secret key is set; otherwise the sandbox gateway (TEST MODE).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", "")
# Only for tests against the localstripe emulator: where the Stripe API is.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", "")
if STRIPE_SECRET_KEY:
    if not STRIPE_SECRET_KEY.startswith(("sk_", "rk_")):
        env.error("STRIPE_SECRET_KEY", "expected a Stripe secret key starting with sk_ (or a restricted key, rk_).")
    if not STRIPE_PUBLISHABLE_KEY.startswith("pk_"):
        env.error("STRIPE_PUBLISHABLE_KEY", "is required with STRIPE_SECRET_KEY: the publishable key, pk_...")
    if not STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
        env.error(
            "STRIPE_WEBHOOK_SECRET", "is required with STRIPE_SECRET_KEY: the endpoint's signing secret, whsec_..."
        )
SANDBOX_PAYMENTS = env.bool("SANDBOX_PAYMENTS", not PRODUCTION)
if PRODUCTION and not STRIPE_SECRET_KEY and not SANDBOX_PAYMENTS:
    env.error(
        "STRIPE_SECRET_KEY",
        "is required in production to take real gifts (or set SANDBOX_PAYMENTS=true for a test-mode site).",
    )
SANDBOX_DISPUTE_DELAY_SECONDS = env.int("SANDBOX_DISPUTE_DELAY_SECONDS", 120, minimum=0)
# Card-testing defence: this many failed payments within the window blocks the address and the email.
DONATION_VELOCITY_LIMIT = env.int("DONATION_VELOCITY_LIMIT", 5, minimum=1)
DONATION_VELOCITY_WINDOW_SECONDS = env.int("DONATION_VELOCITY_WINDOW_SECONDS", 600, minimum=1)
DONATION_VELOCITY_BLOCK_SECONDS = env.int("DONATION_VELOCITY_BLOCK_SECONDS", 86_400, minimum=1)
# A CAPTCHA check for the donation form: the dotted path of a function(request) -> bool. Off when empty.
DONATION_CAPTCHA_VERIFIER = env.str("DONATION_CAPTCHA_VERIFIER", "")
# -- The ledger ---------------------------------------------------------------

# The Ed25519 key that signs the ledger's checkpoints: base64 of its 32-byte private seed
# (`manage.py ledger_keygen` prints one), or a file holding it, made on first use if missing
# (var/ledger-signing.key by default). Production asks for one of the two explicitly.
LEDGER_SIGNING_KEY = env.str("LEDGER_SIGNING_KEY", "")
LEDGER_SIGNING_KEY_FILE = Path(env.str("LEDGER_SIGNING_KEY_FILE", str(WORKER_DIR / "ledger-signing.key")))
if PRODUCTION and not LEDGER_SIGNING_KEY and not env.raw("LEDGER_SIGNING_KEY_FILE"):
    env.error(
        "LEDGER_SIGNING_KEY",
        "is required in production (base64 of an Ed25519 seed: manage.py ledger_keygen), "
        "or LEDGER_SIGNING_KEY_FILE naming a file that holds one (made on first use if missing).",
    )
LEDGER_CHECKPOINT_SECONDS = env.int("LEDGER_CHECKPOINT_SECONDS", 300, minimum=10)
CELERY_BEAT_SCHEDULE["ledger-checkpoint"] = {
    "task": "donations.tasks.ledger_checkpoint_publish",
    "schedule": float(LEDGER_CHECKPOINT_SECONDS),
}
# The tax sentence printed on every receipt; empty means a neutral default, translated.
RECEIPT_TAX_STATEMENT = env.str("RECEIPT_TAX_STATEMENT", "")
CELERY_BEAT_SCHEDULE["card-expiry-warnings"] = {
    "task": "donations.tasks.card_expiry_warnings_send",
    "schedule": 86_400.0,
}
# How long the update-card link in a dunning email works, in days.
PORTAL_CARD_LINK_DAYS = env.int("PORTAL_CARD_LINK_DAYS", 30, minimum=1, maximum=90)
CELERY_BEAT_SCHEDULE["receipt-statements-after-year-end"] = {
    "task": "donations.tasks.statement_batch_after_year_end",
    "schedule": 86_400.0,
}

# -- Insights (donations/insights/) ------------------------------------------
# How often new and changed gifts are folded into the analytics rollups (fresh within a minute).
INSIGHTS_FOLD_SECONDS = env.int("INSIGHTS_FOLD_SECONDS", 30, minimum=5)
CELERY_BEAT_SCHEDULE["insights-fold"] = {
    "task": "donations.tasks.insights_fold",
    "schedule": float(INSIGHTS_FOLD_SECONDS),
}
# The weekly digest to staff with the analytics permission: checked hourly, sent once per week.
CELERY_BEAT_SCHEDULE["insights-digest"] = {"task": "donations.tasks.insights_digest_send", "schedule": 3600.0}

# Blocks other apps add to the shared page body (config wires them; cms never imports them).
CMS_EXTRA_BLOCKS = [("donate", "donations.blocks.DonateBlock")]
# What `manage.py load_demo` runs, in dependency order.
DEMO_LOADERS = [
    "cms.demo.load_demo",
    "donations.demo.load_demo",
    "donations.demo.load_demo_gifts",
    "campaigns.demo.load_demo",
    "donations.demo.load_demo_insights",
]

# -- Sign-in (supporters/) ----------------------------------------------------

# Magic links by email for supporters (separate from staff accounts): how long a link works,
# how long a supporter session lasts, and how often a link may be asked for.
SUPPORTER_SIGNIN_LINK_SECONDS = env.int("SUPPORTER_SIGNIN_LINK_SECONDS", 900, minimum=60, maximum=86_400)
SUPPORTER_SESSION_SECONDS = env.int("SUPPORTER_SESSION_SECONDS", 4 * 3600, minimum=300, maximum=30 * 86_400)
SUPPORTER_SIGNIN_RATE_PER_EMAIL = env.str("SUPPORTER_SIGNIN_RATE_PER_EMAIL", "5/h")
SUPPORTER_SIGNIN_RATE_PER_IP = env.str("SUPPORTER_SIGNIN_RATE_PER_IP", "30/h")
for _rate_name in ("SUPPORTER_SIGNIN_RATE_PER_EMAIL", "SUPPORTER_SIGNIN_RATE_PER_IP"):
    _count, _slash, _period = globals()[_rate_name].partition("/")
    _unit_ok = _period[-1:] in ("s", "m", "h", "d") and (_period[:-1] == "" or _period[:-1].isdigit())
    if not (_count.isdigit() and _slash and _unit_ok):
        env.error(_rate_name, f"expected a rate such as 5/h or 20/10m, got {globals()[_rate_name]!r}.")
CELERY_BEAT_SCHEDULE["supporters-sign-in-links-purge"] = {
    "task": "supporters.tasks.sign_in_links_purge",
    "schedule": 86_400.0,
}

# -- Privacy rights (supporters/privacy.py) -------------------------------------

# How long the emailed link to a data export works (the file is deleted after), and how long
# the emailed link confirming an erasure request works.
PRIVACY_EXPORT_DAYS = env.int("PRIVACY_EXPORT_DAYS", 7, minimum=1, maximum=30)
PRIVACY_ERASURE_CONFIRM_HOURS = env.int("PRIVACY_ERASURE_CONFIRM_HOURS", 24, minimum=1, maximum=168)
CELERY_BEAT_SCHEDULE["privacy-exports-purge"] = {
    "task": "supporters.tasks.privacy_exports_purge",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["privacy-erasures-retry"] = {
    "task": "supporters.tasks.privacy_erasures_retry",
    "schedule": 3600.0,
}

# -- Proposals (campaigns/proposals/) -------------------------------------------

# How stale the public ranking may be, and how soon after a vote the counts are folded in.
PROPOSALS_RANKING_CACHE_SECONDS = env.int("PROPOSALS_RANKING_CACHE_SECONDS", 60, minimum=0)
PROPOSALS_FOLD_SECONDS = env.int("PROPOSALS_FOLD_SECONDS", 10, minimum=1)
CELERY_BEAT_SCHEDULE["proposals-vote-counts-fold"] = {
    "task": "campaigns.proposals.tasks.proposal_vote_counts_fold",
    "schedule": 60.0,
}
# The campaign page lists adopted proposals through this template library.
TEMPLATES[0]["OPTIONS"]["libraries"] = {"proposal_tags": "campaigns.proposals.templatetags"}
# -- Petitions (campaigns/petitions/) ----------------------------------------

# Days a signer has to press the confirm button in the emailed link; pending signatures then expire.
PETITION_CONFIRM_DAYS = env.int("PETITION_CONFIRM_DAYS", 7, minimum=1)
# Signing again with the same address mails again at most this often (a re-sent link or "already signed").
PETITION_RESEND_MINUTES = env.int("PETITION_RESEND_MINUTES", 10, minimum=0)
# How often confirmed signatures are folded into the counters, and the due mails sent.
PETITION_FOLD_SECONDS = env.int("PETITION_FOLD_SECONDS", 5, minimum=1)
PETITION_MAIL_SECONDS = env.int("PETITION_MAIL_SECONDS", 5, minimum=1)
# Confirmation mails are sent in batches by the periodic mailer (no Celery message per signature);
# off by default when Celery runs eagerly (no broker, no beat), so the embedded default still mails.
PETITION_MAIL_BATCHED = env.bool("PETITION_MAIL_BATCHED", not CELERY_TASK_ALWAYS_EAGER)
# Fold the counters right after each confirmation (only sensible without a beat process).
PETITION_FOLD_ON_CONFIRM = env.bool("PETITION_FOLD_ON_CONFIRM", CELERY_TASK_ALWAYS_EAGER)
# Signing limits, "count/seconds" in fixed windows (0/... switches one off): per client address and
# per email domain, a burst and a sustained limit. The big mailbox providers have no domain limit.
PETITION_RATE_IP_BURST = env.str("PETITION_RATE_IP_BURST", "10/60")
PETITION_RATE_IP_SUSTAINED = env.str("PETITION_RATE_IP_SUSTAINED", "100/3600")
PETITION_RATE_DOMAIN_BURST = env.str("PETITION_RATE_DOMAIN_BURST", "30/60")
PETITION_RATE_DOMAIN_SUSTAINED = env.str("PETITION_RATE_DOMAIN_SUSTAINED", "500/3600")
PETITION_RATE_DOMAIN_EXEMPT = env.list(
    "PETITION_RATE_DOMAIN_EXEMPT",
    ["gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com",
     "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.ru",
     "yandex.ru", "qq.com", "163.com"],
)  # fmt: skip
# Signatures are accepted into Redis with one round trip and written to the database in batches every
# PETITION_INTAKE_MS milliseconds (campaigns/petitions/intake.py); needs PostgreSQL and Redis. Off: one INSERT each.
PETITION_SIGN_BUFFERED = env.bool(
    "PETITION_SIGN_BUFFERED", bool(REDIS_URL) and _db.get("ENGINE") == "django.db.backends.postgresql"
)
PETITION_INTAKE_MS = env.int("PETITION_INTAKE_MS", 1000, minimum=100)
CELERY_BEAT_SCHEDULE["petitions-intake"] = {
    "task": "campaigns.petitions.tasks.petitions_intake_flush",
    "schedule": PETITION_INTAKE_MS / 1000,
}
CELERY_BEAT_SCHEDULE["petitions-fold"] = {
    "task": "campaigns.petitions.tasks.petitions_fold",
    "schedule": float(PETITION_FOLD_SECONDS),
}
CELERY_BEAT_SCHEDULE["petitions-mail"] = {
    "task": "campaigns.petitions.tasks.petitions_mail_drain",
    "schedule": float(PETITION_MAIL_SECONDS),
}
CELERY_BEAT_SCHEDULE["petitions-expire"] = {"task": "campaigns.petitions.tasks.petitions_expire", "schedule": 3600.0}
# -- Marches (campaigns/marches/) ----------------------------------------------

# How often the counters of virtual marches are folded in from new registrations and actions.
MARCH_FOLD_SECONDS = env.int("MARCH_FOLD_SECONDS", 5, minimum=1)
MARCH_FOLD_BATCH = env.int("MARCH_FOLD_BATCH", 5000, minimum=1)
# Fold after each registration or action too: for the embedded default, where no beat scheduler runs.
MARCH_FOLD_ON_WRITE = env.bool("MARCH_FOLD_ON_WRITE", CELERY_TASK_ALWAYS_EAGER)
# How long the public counts and the list of free times are served from the cache.
MARCH_COUNTS_CACHE_SECONDS = env.int("MARCH_COUNTS_CACHE_SECONDS", 60, minimum=1)
MARCH_TIMES_CACHE_SECONDS = env.int("MARCH_TIMES_CACHE_SECONDS", 5, minimum=0)
MARCH_SUMMARY_CACHE_SECONDS = env.int("MARCH_SUMMARY_CACHE_SECONDS", 300, minimum=0)
MARCH_SUMMARY_SAMPLE_LETTERS = env.int("MARCH_SUMMARY_SAMPLE_LETTERS", 5, minimum=0)
# How often the room's script asks for fresh counts (milliseconds).
MARCH_POLL_MILLISECONDS = env.int("MARCH_POLL_MILLISECONDS", 10_000, minimum=1000)
# Registrations per address (django-ratelimit rate).
MARCH_REGISTER_RATE = env.str("MARCH_REGISTER_RATE", "20/m")
MARCH_LETTER_SEND_SECONDS = env.int("MARCH_LETTER_SEND_SECONDS", 15, minimum=1)
CELERY_BEAT_SCHEDULE["march-counters-fold"] = {
    "task": "campaigns.marches.tasks.march_counters_fold",
    "schedule": float(MARCH_FOLD_SECONDS),
}
CELERY_BEAT_SCHEDULE["march-reminders"] = {"task": "campaigns.marches.tasks.march_reminders_send", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["march-letters"] = {
    "task": "campaigns.marches.tasks.march_letters_send_all",
    "schedule": float(MARCH_LETTER_SEND_SECONDS),
}
# The march room's polling script, served with the other static files.
STATICFILES_DIRS.append(("campaigns/marches", BASE_DIR / "campaigns" / "marches" / "static"))

# -- The JSON API (campaigns/api_urls.py) -----------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The public API is anonymous; staff use the Wagtail admin, not the API.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.FormParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Advocacy API",
    "DESCRIPTION": "Petitions, counts, signing (confirmed by email) and virtual march status.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "PREPROCESSING_HOOKS": ["campaigns.api_schema.only_public_api"],
    # Two "state" fields with different choices: each gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "PetitionStateEnum": "campaigns.petitions.models.PetitionPage.State",
        "MarchStateEnum": [("upcoming", "upcoming"), ("live", "live"), ("ended", "ended")],
    },
}

# -- Wagtail --------------------------------------------------------------

WAGTAIL_SITE_NAME = env.str("WAGTAIL_SITE_NAME", "Donations and advocacy")
WAGTAILADMIN_BASE_URL = BASE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# No calls home, and no avatars fetched from a third party.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_COMMENTS_ENABLED = True

# -- Logging --------------------------------------------------------------

LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Wagtail runs its search-index and reference-index jobs through
        # django-tasks, which logs every run at INFO.
        "django_tasks": {"level": "WARNING"},
    },
}

env.raise_if_errors()
