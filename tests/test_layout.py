"""The layout and the one-way dependencies of shared/DESIGN.md, checked on the code itself."""

from __future__ import annotations

import ast
import platform
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
APPS = ["cms", "supporters", "campaigns", "donations"]
# What each app may import from the project (DESIGN.md, "Layout").
ALLOWED = {
    "cms": set(),
    "supporters": set(),
    "donations": {"supporters", "cms"},
    "campaigns": {"donations", "supporters", "cms"},
}
PROJECT_PACKAGES = {*APPS, "config", "bench", "tests"}


def project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & PROJECT_PACKAGES


def test_the_top_level_layout_is_as_designed():
    for name in ["config", "platform", *APPS, "templates", "tests", "bench", "docs"]:
        assert (ROOT / name).is_dir(), name
    for name in ["docker-compose.yml", "pyproject.toml", "Makefile", "README.md", ".ci/run", "manage.py"]:
        assert (ROOT / name).is_file(), name
    for name in ["settings.py", "urls.py", "celery.py", "wsgi.py", "asgi.py"]:
        assert (ROOT / "config" / name).is_file(), name
    assert (ROOT / "platform" / "Dockerfile").is_file()


def test_platform_is_not_a_python_package():
    assert not (ROOT / "platform" / "__init__.py").exists()
    # The standard library module is the one that gets imported.
    assert Path(platform.__file__).parent != ROOT / "platform"
    assert callable(platform.python_version)


@pytest.mark.parametrize("app", APPS)
def test_each_app_is_installed_with_its_own_migrations(app):
    assert apps.get_app_config(app).path == str(ROOT / app)
    assert (ROOT / app / "migrations" / "__init__.py").is_file()


@pytest.mark.parametrize("app", APPS)
def test_dependencies_point_one_way(app):
    offenders = {}
    for path in (ROOT / app).rglob("*.py"):
        bad = project_imports(path) - ALLOWED[app] - {app}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_nothing_imports_config_but_the_entry_points():
    entry_points = {"manage.py"}
    offenders = []
    for app in [*APPS, "bench"]:
        for path in (ROOT / app).rglob("*.py"):
            if "config" in project_imports(path):
                offenders.append(str(path.relative_to(ROOT)))
    for path in ROOT.glob("*.py"):
        if path.name not in entry_points and "config" in project_imports(path):
            offenders.append(path.name)
    assert offenders == []


def test_transactional_tests_restore_the_migrated_rows():
    """A transactional test without serialized_rollback lets the flush re-seed rows that the next one reloads."""
    offenders = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "django_db(transaction=True" in line and "serialized_rollback=True" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
