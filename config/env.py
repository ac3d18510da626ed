"""Reading settings from the environment.

Every knob in settings.py comes through :class:`EnvReader`, which checks the
value and, instead of letting a library fail later with a traceback from deep
inside, collects a plain message naming the variable and what it expects.
All mistakes are reported together, so one start-up shows every problem.

django-environ does the URL parsing (databases, email); this module adds the
validation it leaves out (it silently accepts ``DEBUG=maybe`` or
``DATABASE_URL=foo``).
"""

from __future__ import annotations

import os
import sys
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}

DATABASE_SCHEMES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
}
REDIS_SCHEMES = {"redis", "rediss", "unix"}
EMAIL_SCHEMES = {"smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail"}


class ConfigError(ImproperlyConfigured):
    """The environment does not describe a site that can start."""


def redact(url: str) -> str:
    """The URL with any password replaced, safe to print in an error message."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class EnvReader:
    """Typed, validated access to environment variables.

    Each method returns a usable value even when the variable is wrong (the
    default), and records the problem; :meth:`raise_if_errors` then stops
    start-up with every problem listed.
    """

    def __init__(self, environ_: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ_ is None else environ_
        self.errors: list[str] = []

    # -- plumbing ---------------------------------------------------------

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def error(self, name: str, message: str) -> None:
        self.errors.append(f"{name}: {message}")

    def raise_if_errors(self) -> None:
        if self.errors:
            lines = "\n".join(f"  - {e}" for e in self.errors)
            raise ConfigError(
                "The site cannot start because of its environment settings:\n"
                f"{lines}\n"
                "See docs/configuration.md for every variable and its format."
            )

    # -- scalar values ----------------------------------------------------

    def str(self, name: str, default: str | None = None, *, required: bool = False, why: str = "") -> str | None:
        value = self.raw(name)
        if value is None:
            if required:
                self.error(name, f"is required{why}.")
            return default
        return value

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.error(name, f"expected true or false (or 1/0, yes/no, on/off), got {value!r}.")
        return default

    def int(self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.error(name, f"expected a whole number, got {value!r}.")
            return default
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.error(name, f"expected a whole number {bounds}, got {number}.")
            return default
        return number

    def choice(self, name: str, default: str, choices: list[str] | tuple[str, ...]) -> str:
        value = self.raw(name)
        if value is None:
            return default
        if value not in choices:
            self.error(name, f"expected one of {', '.join(choices)}, got {value!r}.")
            return default
        return value

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self.raw(name)
        if value is None:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def timezone(self, name: str, default: str) -> str:
        value = self.raw(name)
        if value is None:
            return default
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.error(name, f"expected an IANA time zone such as UTC or Asia/Amman, got {value!r}.")
            return default
        return value

    # -- URLs -------------------------------------------------------------

    def database(self, name: str, default: str) -> dict[str, Any]:
        url = self.raw(name) or default
        scheme = url.split("://", 1)[0] if "://" in url else ""
        expected = (
            "expected a database URL such as sqlite:////absolute/path/db.sqlite3 "
            "or postgres://user:password@host:5432/dbname"
        )
        if scheme not in DATABASE_SCHEMES:
            self.error(name, f"{expected}, got {redact(url)!r}.")
            return {}
        config = environ.Env.db_url_config(url)
        if not config.get("NAME"):
            self.error(name, f"names no database; {expected}.")
            return {}
        config["ENGINE"] = DATABASE_SCHEMES[scheme]
        return config

    def redis_url(self, name: str) -> str | None:
        url = self.raw(name)
        if url is None:
            return None
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in REDIS_SCHEMES:
            self.error(name, f"expected a Redis URL such as redis://127.0.0.1:6379/0, got {redact(url)!r}.")
            return None
        if scheme != "unix":
            path = urlsplit(url).path.strip("/")
            if path and not path.isdigit():
                self.error(name, f"the path must be a database number such as /0, got {redact(url)!r}.")
                return None
        return url

    def email(self, name: str, default_file_path: Path) -> dict[str, Any]:
        url = self.raw(name)
        if url is None:
            return {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(default_file_path),
            }
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in EMAIL_SCHEMES:
            self.error(
                name,
                "expected an email URL such as smtp+tls://user:password@smtp.example.org:587, "
                f"filemail:///absolute/folder or consolemail://, got {redact(url)!r}.",
            )
            return {}
        config = environ.Env.email_url_config(url)
        if scheme == "filemail":
            # django-environ drops the leading slash of an absolute path.
            path = urlsplit(url).path or str(default_file_path)
            config["EMAIL_FILE_PATH"] = path
        return {key: value for key, value in config.items() if value is not None}

    # -- secrets ----------------------------------------------------------

    def secret_key(self, *, required: bool, insecure_default: str) -> str:
        """SECRET_KEY, or the contents of the file named by SECRET_KEY_FILE."""
        value = self.raw("SECRET_KEY")
        file_name = self.raw("SECRET_KEY_FILE")
        if value is None and file_name is not None:
            try:
                value = Path(file_name).read_text().strip() or None
            except OSError as exc:
                self.error("SECRET_KEY_FILE", f"cannot read {file_name!r}: {exc.strerror}.")
                return insecure_default
        if value is None:
            if required:
                self.error(
                    "SECRET_KEY",
                    "is required when DEBUG is off: set it (or SECRET_KEY_FILE) to a random string of "
                    "at least 50 characters, for example the output of "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                )
            return insecure_default
        if required and (len(value) < 50 or len(set(value)) < 5 or value.startswith("django-insecure")):
            self.error(
                "SECRET_KEY",
                "is too weak for a site with DEBUG off: use at least 50 random characters "
                "(not starting with 'django-insecure').",
            )
        return value


def settings_or_exit() -> None:
    """Load Django settings; on a configuration error print it plainly and exit.

    Entry points (manage.py, wsgi, asgi, celery) call this first, so a bad
    environment stops start-up with the message and no traceback.
    """
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - forces settings.py to load
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2) from None
