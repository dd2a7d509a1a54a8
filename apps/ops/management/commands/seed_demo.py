"""Demo data for `make run`: idempotent, so running it again changes nothing.

Each app that has demo data provides ``<app>/demo.py`` with ``seed() -> list[str]`` (lines to
print); apps are seeded in INSTALLED_APPS order so later apps can use earlier apps' data.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create demo titles, players and whatever later features need (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        for app_config in apps.get_app_configs():
            module_name = f"{app_config.name}.demo"
            if not app_config.name.startswith("apps.") or find_spec(module_name) is None:
                continue
            with transaction.atomic():
                lines = import_module(module_name).seed()
            for line in lines:
                self.stdout.write(line)
