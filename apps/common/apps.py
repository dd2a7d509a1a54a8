import logging

from django.apps import AppConfig
from django.conf import settings


class CommonConfig(AppConfig):
    name = "apps.common"
    label = "common"

    def ready(self) -> None:
        # With JSON logs, Python's warnings (a deprecation, a missing static directory) are
        # log lines too, so every line a serving process writes is one JSON object
        # (docs/operations.md, "Logs"); the Celery worker does the same (community/celery.py).
        if settings.LOG_FORMAT == "json":
            logging.captureWarnings(True)
