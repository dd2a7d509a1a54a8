"""``manage.py messages_update``: refresh the committed catalogs (``locale/en``, ``locale/ja``)
from the code with the one set of ``makemessages`` options the translation gate also uses."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Catalog languages (the pseudo-locale is generated from ``en``, never committed).
CATALOG_LANGUAGES = ["en", "ja"]
MAKEMESSAGES_OPTIONS: dict[str, Any] = {
    "locale": CATALOG_LANGUAGES,
    # Only the product's own code: not the virtualenv, generated files, tests or tools.
    "ignore_patterns": [".venv/*", "var/*", "tests/*", "bench/*", "clients/*", "docs/*",
                        "infra/*", "node_modules/*", "media/*"],
    # File names without line numbers: a catalog changes when strings change, not when code moves.
    "add_location": "file",
    "no_obsolete": True,
    "verbosity": 0,
}  # fmt: skip


class Command(BaseCommand):
    help = "Refresh locale/en and locale/ja from the code (Python, templates and JavaScript)."

    def handle(self, *args: Any, **options: Any) -> None:
        for domain in ("django", "djangojs"):
            call_command("makemessages", domain=domain, **MAKEMESSAGES_OPTIONS)
        self.stdout.write("Catalogs updated: " + ", ".join(CATALOG_LANGUAGES))
