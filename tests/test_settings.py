"""Settings from the environment: clear errors for bad values, and a production profile that passes --deploy."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import ConfigError, EnvReader, redact

ROOT = Path(__file__).resolve().parent.parent
# Variables the settings read; a subprocess starts without any of them unless a test sets them.
SETTINGS_VARIABLES = {
    "DJANGO_ENV", "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
    "CELERY_BROKER_URL", "EMAIL_URL", "TIME_ZONE", "LANGUAGE_CODE", "HTTPS", "BENCH_ENDPOINTS", "PAGE_CACHE_SECONDS",
    "DJANGO_ALLOW_ASYNC_UNSAFE", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE", "SANDBOX_PAYMENTS", "LEDGER_SIGNING_KEY", "LEDGER_SIGNING_KEY_FILE", "STATIC_COMPRESS",
    "PYTEST_XDIST_WORKER",  # a subprocess is a run of its own, not this test worker
}  # fmt: skip


def clean_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env["VAR_DIR"] = str(ROOT / "var")
    env.update(overrides)
    return env


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean_env(**env), capture_output=True, text=True, timeout=120
    )


def production_env(**overrides: str) -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "donate.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{ROOT}/var/production-check.sqlite3"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "STRIPE_SECRET_KEY": "sk_live_" + "x" * 24,
        "STRIPE_PUBLISHABLE_KEY": "pk_live_" + "x" * 24,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "x" * 32,
        "LEDGER_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        **overrides,
    }


# -- The reader itself --------------------------------------------------------


def reader(**values: str) -> EnvReader:
    return EnvReader(values)


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("ON", True), ("1", True), ("no", False), ("0", False)])
def test_booleans_accept_the_usual_words(raw, expected):
    assert reader(DEBUG=raw).bool("DEBUG", not expected) is expected


def test_a_malformed_boolean_is_named():
    env = reader(DEBUG="maybe")
    env.bool("DEBUG", False)
    with pytest.raises(ConfigError, match=r"DEBUG: expected true or false .* got 'maybe'"):
        env.raise_if_errors()


def test_integers_are_checked_and_bounded():
    env = reader(A="ten", B="-3")
    assert env.int("A", 5) == 5
    assert env.int("B", 5, minimum=0) == 5
    message = "\n".join(env.errors)
    assert "A: expected a whole number, got 'ten'" in message
    assert "B: expected a whole number at least 0, got -3" in message


def test_lists_split_on_commas_and_drop_blanks():
    assert reader(ALLOWED_HOSTS=" a.org, ,b.org ").list("ALLOWED_HOSTS") == ["a.org", "b.org"]


@pytest.mark.parametrize("url", ["foo", "mysql://u@h/db", "postgres://h:5432/"])
def test_bad_database_urls_are_refused(url):
    env = reader(DATABASE_URL=url)
    assert env.database("DATABASE_URL", "sqlite:////tmp/x.sqlite3") == {}
    assert env.errors and env.errors[0].startswith("DATABASE_URL:")


def test_database_urls_are_parsed():
    config = reader(DATABASE_URL="postgres://app:pw@db.internal:5433/charity").database("DATABASE_URL", "")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["HOST"], config["PORT"], config["USER"]) == ("charity", "db.internal", 5433, "app")
    sqlite = reader().database("DATABASE_URL", "sqlite:////srv/site/db.sqlite3")
    assert sqlite == {**sqlite, "ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/site/db.sqlite3"}


def test_passwords_never_appear_in_messages():
    env = reader(DATABASE_URL="mysql://app:hunter2@db/charity")
    env.database("DATABASE_URL", "")
    assert "hunter2" not in env.errors[0]
    assert "app:***@db" in env.errors[0]
    assert redact("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"


@pytest.mark.parametrize("url", ["http://localhost:6379", "redis://localhost:6379/cache", "localhost"])
def test_bad_redis_urls_are_refused(url):
    env = reader(REDIS_URL=url)
    assert env.redis_url("REDIS_URL") is None
    assert env.errors[0].startswith("REDIS_URL:")


def test_time_zone_and_choices_are_checked():
    env = reader(TIME_ZONE="Mars/Olympus", LANGUAGE_CODE="fr")
    assert env.timezone("TIME_ZONE", "UTC") == "UTC"
    assert env.choice("LANGUAGE_CODE", "en", ("en", "ar")) == "en"
    assert "TIME_ZONE: expected an IANA time zone" in env.errors[0]
    assert "LANGUAGE_CODE: expected one of en, ar, got 'fr'" in env.errors[1]


def test_email_urls(tmp_path):
    assert reader().email("EMAIL_URL", tmp_path)["EMAIL_FILE_PATH"] == str(tmp_path)
    smtp = reader(EMAIL_URL="smtp+tls://mailer:pw@smtp.example.org:587").email("EMAIL_URL", tmp_path)
    assert smtp["EMAIL_HOST"] == "smtp.example.org" and smtp["EMAIL_USE_TLS"] is True
    assert reader(EMAIL_URL="filemail:///srv/mail").email("EMAIL_URL", tmp_path)["EMAIL_FILE_PATH"] == "/srv/mail"
    env = reader(EMAIL_URL="carrier-pigeon://loft")
    env.email("EMAIL_URL", tmp_path)
    assert env.errors[0].startswith("EMAIL_URL: expected an email URL")


def test_secret_key_rules(tmp_path):
    env = reader()
    env.secret_key(required=True, insecure_default="x")
    assert env.errors[0].startswith("SECRET_KEY: is required when DEBUG is off")
    weak = reader(SECRET_KEY="short")
    weak.secret_key(required=True, insecure_default="x")
    assert "too weak" in weak.errors[0]
    key_file = tmp_path / "key"
    key_file.write_text("k" * 10 + secrets.token_urlsafe(50))
    from_file = reader(SECRET_KEY_FILE=str(key_file))
    assert from_file.secret_key(required=True, insecure_default="x") == key_file.read_text()
    assert not from_file.errors


# -- Start-up, as an operator sees it ---------------------------------------


def test_bad_environment_stops_start_up_with_a_plain_message():
    result = run(["manage.py", "check"], DATABASE_URL="mysql//nowhere", DEBUG="perhaps", TIME_ZONE="Atlantis")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL: expected a database URL" in result.stderr
    assert "DEBUG: expected true or false" in result.stderr
    assert "TIME_ZONE: expected an IANA time zone" in result.stderr


def test_production_lists_every_missing_variable():
    result = run(["manage.py", "migrate"], DJANGO_ENV="production")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
        assert f"{name}: is required" in result.stderr


def test_celery_worker_with_a_bad_environment_says_why():
    result = run(["-m", "celery", "-A", "config", "worker", "--pool=solo"], REDIS_URL="http://wrong")
    assert result.returncode == 2
    assert "REDIS_URL: expected a Redis URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_takes_real_gifts_unless_told_it_is_a_test_site():
    without = production_env(STRIPE_SECRET_KEY="", STRIPE_PUBLISHABLE_KEY="", STRIPE_WEBHOOK_SECRET="")
    result = run(["manage.py", "check"], **without)
    assert result.returncode == 2
    assert "STRIPE_SECRET_KEY: is required in production" in result.stderr
    assert run(["manage.py", "check"], **without, SANDBOX_PAYMENTS="true").returncode == 0


def test_stripe_keys_come_as_a_set():
    result = run(["manage.py", "check"], STRIPE_SECRET_KEY="sk_test_abc", STRIPE_PUBLISHABLE_KEY="oops")
    assert result.returncode == 2
    assert "STRIPE_PUBLISHABLE_KEY: is required with STRIPE_SECRET_KEY" in result.stderr
    assert "STRIPE_WEBHOOK_SECRET: is required with STRIPE_SECRET_KEY" in result.stderr


def test_benchmark_views_are_refused_in_production():
    result = run(["manage.py", "check"], **production_env(BENCH_ENDPOINTS="true"))
    assert result.returncode == 2
    assert "BENCH_ENDPOINTS: must be off in production" in result.stderr


def test_production_profile_passes_deploy_checks_with_zero_warnings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({"
    "'debug': s.DEBUG, 'cache': s.CACHES['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL,"
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'hsts': s.SECURE_HSTS_SECONDS, 'ssl': s.SECURE_SSL_REDIRECT,"
    "'cookie_secure': s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE, 'email': s.EMAIL_BACKEND,"
    "'db': s.DATABASES['default']['ENGINE']}))"
)


def show_settings(**env: str) -> dict[str, object]:
    result = run(["-c", SHOW_SETTINGS], DJANGO_SETTINGS_MODULE="config.settings", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_needs_no_services():
    shown = show_settings()
    assert shown["debug"] is True
    assert shown["db"] == "django.db.backends.sqlite3"
    assert shown["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert shown["eager"] is True
    assert shown["email"] == "django.core.mail.backends.filebased.EmailBackend"
    assert shown["hsts"] == 0


def test_redis_url_switches_on_the_shared_cache_and_the_broker():
    shown = show_settings(REDIS_URL="redis://cache.internal:6379/4")
    assert shown["cache"] == "django_redis.cache.RedisCache"
    # The broker gets the next database, so flushing the cache never drops tasks.
    assert shown["broker"] == "redis://cache.internal:6379/5"
    assert shown["eager"] is False


def test_production_is_https_only():
    shown = show_settings(**production_env())
    assert shown["debug"] is False
    assert shown["ssl"] is True
    assert shown["cookie_secure"] is True
    assert shown["hsts"] == 31_536_000
