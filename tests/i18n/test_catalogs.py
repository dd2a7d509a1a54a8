"""The committed catalogs (locale/en, locale/ja) hold every string the code marks, and GNU
gettext compiles them: a string added without ``make messages`` fails here (and shows
untranslated in the pseudo-locale gate)."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib

BASE_DIR = Path(__file__).resolve().parents[2]
SOURCES = ["apps", "community", "templates", "static", "locale", "manage.py"]


def _copy_of_the_code(target: Path) -> Path:
    for name in SOURCES:
        source = BASE_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    return target


def _manage(cwd: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=cwd, capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin", "COMMUNITY_VAR_DIR": str(cwd / "var")},
    )  # fmt: skip


def _strings(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    return {
        (entry.msgctxt, entry.msgid, entry.msgid_plural)
        for entry in polib.pofile(str(path))
        if not entry.obsolete
    }


def test_makemessages_finds_no_string_the_committed_catalogs_lack(tmp_path):
    code = _copy_of_the_code(tmp_path)

    refreshed = _manage(code, "messages_update")

    assert refreshed.returncode == 0, refreshed.stderr
    for language in ("en", "ja"):
        for domain in ("django", "djangojs"):
            relative = Path("locale") / language / "LC_MESSAGES" / f"{domain}.po"
            fresh, committed = _strings(code / relative), _strings(BASE_DIR / relative)
            assert fresh - committed == set(), f"run `make messages`: {relative} lacks these"
            assert committed - fresh == set(), f"run `make messages`: {relative} is stale"


def test_gnu_gettext_compiles_the_catalogs(tmp_path):
    code = _copy_of_the_code(tmp_path)

    compiled = _manage(code, "compilemessages", "--ignore=var")

    assert compiled.returncode == 0, compiled.stderr
    assert (code / "locale" / "ja" / "LC_MESSAGES" / "django.mo").stat().st_size > 0


def test_the_japanese_catalog_translates_every_string():
    for domain in ("django", "djangojs"):
        path = BASE_DIR / "locale" / "ja" / "LC_MESSAGES" / f"{domain}.po"
        if not path.exists():
            continue
        catalog = polib.pofile(str(path))

        assert catalog.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
        assert [entry.msgid for entry in catalog.untranslated_entries()] == []
        assert [entry.msgid for entry in catalog.fuzzy_entries()] == []
