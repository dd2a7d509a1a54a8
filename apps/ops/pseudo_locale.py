"""The pseudo-locale (``en-xa``): every translatable string accented and bracketed, so a page
rendered in it shows at a glance — and to the gate test, mechanically — any text that does not
go through the translation machinery: "Settings" shown as ``Šéţţîñĝš`` between fullwidth
brackets (U+FF3B, U+FF3D) was translated, plain "Settings" was not.

Built from the catalogs (ours in ``locale/en``, Django's and every installed app's own
``en`` catalogs) into ``<COMMUNITY_VAR_DIR>/locale/en_XA`` — generated, never committed. It is
offered only where ``PSEUDO_LOCALE_ENABLED`` is on (local and test settings), never in
production.
"""

import re
from collections.abc import Iterable
from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings

PSEUDO_LANGUAGE_CODE = "en-xa"
PSEUDO_LOCALE_NAME = "en_XA"
OPEN, CLOSE = "\uff3b", "\uff3d"  # fullwidth [ ]: no catalog string contains them
DOMAINS = ("django", "djangojs")

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÁƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
# Kept as they are: printf and brace placeholders, HTML tags and entities.
_KEEP = re.compile(
    r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdfirxX]|%[sdfirxX%]|\{[^{}]*\}|<[^>]*>|&#?\w+;"
)


def pseudo_text(text: str) -> str:
    """``Hello %(name)s`` → ``Ĥéļļö %(name)s`` between OPEN and CLOSE; empty stays empty."""
    if not text:
        return text
    pieces: list[str] = []
    position = 0
    for match in _KEEP.finditer(text):
        pieces.append(text[position : match.start()].translate(_ACCENTED))
        pieces.append(match.group())
        position = match.end()
    pieces.append(text[position:].translate(_ACCENTED))
    return OPEN + "".join(pieces) + CLOSE


def source_catalogs(domain: str) -> list[Path]:
    """The ``en`` catalogs whose strings a page can show: Django's own, every installed app's,
    and the project's (``LOCALE_PATHS``), in increasing precedence."""
    import django

    roots = [Path(django.__file__).parent / "conf" / "locale"]
    roots += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    roots += [Path(path) for path in settings.LOCALE_PATHS]
    candidates = (root / "en" / "LC_MESSAGES" / f"{domain}.po" for root in roots)
    return [path for path in candidates if path.is_file()]


def pseudo_locale_build(*, output_dir: Path) -> dict[str, int]:
    """Writes ``output_dir/en_XA/LC_MESSAGES/<domain>.po`` and ``.mo`` for each domain; returns
    the number of strings per domain. Idempotent: the same catalogs give the same files."""
    counts: dict[str, int] = {}
    target = output_dir / PSEUDO_LOCALE_NAME / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    for domain in DOMAINS:
        catalog = _pseudo_catalog(polib.pofile(str(path)) for path in source_catalogs(domain))
        catalog.save(str(target / f"{domain}.po"))
        catalog.save_as_mofile(str(target / f"{domain}.mo"))
        counts[domain] = len(catalog)
    return counts


def _pseudo_catalog(sources: Iterable[polib.POFile]) -> polib.POFile:
    catalog = polib.POFile()
    catalog.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": PSEUDO_LOCALE_NAME,
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    entries: dict[tuple[str | None, str], polib.POEntry] = {}
    for source in sources:
        for entry in source:
            if entry.obsolete or not entry.msgid:
                continue
            pseudo = polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid)
            if entry.msgid_plural:
                pseudo.msgid_plural = entry.msgid_plural
                pseudo.msgstr_plural = {
                    0: pseudo_text(entry.msgid),
                    1: pseudo_text(entry.msgid_plural),
                }
            else:
                pseudo.msgstr = pseudo_text(entry.msgid)
            entries[(entry.msgctxt, entry.msgid)] = pseudo
    catalog.extend(entries.values())
    return catalog
