"""``manage.py pseudo_locale``: build the ``en-xa`` pseudo-locale from the catalogs."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.ops.pseudo_locale import pseudo_locale_build


class Command(BaseCommand):
    help = "Build the en-xa pseudo-locale (every translatable string accented and bracketed)."

    def handle(self, *args: Any, **options: Any) -> None:
        output_dir = Path(settings.PSEUDO_LOCALE_DIR)
        counts = pseudo_locale_build(output_dir=output_dir)
        summary = ", ".join(f"{domain}: {count}" for domain, count in counts.items())
        self.stdout.write(f"Pseudo-locale en-xa in {output_dir} ({summary} strings)")
