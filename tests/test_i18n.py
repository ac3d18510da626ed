"""Both languages ship complete: every UI string has an Arabic translation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
ARABIC_PO = ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po"


def untranslated(po_file: Path) -> list[str]:
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def test_every_arabic_string_is_translated():
    assert untranslated(ARABIC_PO) == []


def test_compiled_catalog_is_in_use():
    with translation.override("ar"):
        assert translation.gettext("Skip to main content") == "تخطَّ إلى المحتوى الرئيسي"
        assert translation.gettext("Search this site") == "ابحث في هذا الموقع"


@pytest.mark.parametrize(("count", "expected"), [(0, "لا توجد نتائج"), (1, "نتيجة واحدة"), (2, "نتيجتان"),
                                                 (5, "5 نتائج"), (23, "23 نتيجة"), (101, "101 نتيجة")])  # fmt: skip
def test_arabic_plurals(count, expected):
    with translation.override("ar"):
        text = translation.ngettext(
            "%(counter)s result for “%(query)s”.", "%(counter)s results for “%(query)s”.", count
        )
    assert (text % {"counter": count, "query": "ماء"}).startswith(expected)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed (.ci/run installs it)")
def test_no_ui_string_is_missing_from_the_catalog(tmp_path):
    """Extract strings from the code as `make makemessages` would, and compare."""
    work = tmp_path / "tree"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".venv", "node_modules", "var", ".git", "tests", "bench"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale=ar", "--no-obsolete", "--add-location=file"],
        cwd=work, check=True, capture_output=True, env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
                                                        "VAR_DIR": str(tmp_path / "var")},
    )  # fmt: skip
    missing = untranslated(work / "locale" / "ar" / "LC_MESSAGES" / "django.po")
    assert missing == [], f"run `make makemessages` and translate: {missing}"
