"""Compiling the committed catalogs (``locale/<language>/LC_MESSAGES/*.po``) where their
``.mo`` is missing or older, so a test run or a checkout without ``make catalogs`` still shows
today's translations. ``make catalogs`` (GNU gettext's ``msgfmt`` through ``compilemessages``)
stays the way the service is built; this only fills the gap."""

from pathlib import Path

import polib
from django.conf import settings


def catalogs_compile() -> list[Path]:
    """Compiles each stale catalog of ``LOCALE_PATHS``; returns the ``.mo`` files written."""
    written = []
    for root in map(Path, settings.LOCALE_PATHS):
        for source in sorted(root.glob("*/LC_MESSAGES/*.po")):
            target = source.with_suffix(".mo")
            if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
                continue
            polib.pofile(str(source)).save_as_mofile(str(target))
            written.append(target)
    return written
