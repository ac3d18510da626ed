"""System checks: say plainly what is missing before a page fails to render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

REQUIRED_ASSETS = (
    "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap/dist/css/bootstrap.rtl.min.css",
    "bootstrap/dist/js/bootstrap.bundle.min.js",
    "@fontsource/noto-sans-arabic/arabic-400.css",
)


@checks.register(checks.Tags.staticfiles)
def front_end_packages_installed(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    missing = [name for name in REQUIRED_ASSETS if not (settings.NODE_MODULES / name).is_file()]
    if not missing:
        return []
    return [
        checks.Error(
            f"Front-end packages are missing from {settings.NODE_MODULES}: {', '.join(missing)}.",
            hint="Run `make assets` (it needs npm: on Debian, `apt-get install npm`).",
            id="cms.E001",
        )
    ]
