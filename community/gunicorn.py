"""gunicorn hooks (``gunicorn -c python:community.gunicorn``): a worker that exits stops
counting in the live metrics its siblings export (apps/common/metrics.py), and the master
exports the workers' summed metrics through OpenTelemetry when configured."""

import os
from typing import Any


def when_ready(server: Any) -> None:
    """In multiprocess mode the workers' metrics are one sum, exported once, from here (the
    master outlives its workers; it sets Django up only when export is configured)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING")
    ):
        return
    import django

    from community.env import default_settings_module

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())
    django.setup()
    from apps.common.telemetry import telemetry_start

    telemetry_start(service="community-web", traces=False)


def child_exit(server: Any, worker: Any) -> None:
    from apps.common.metrics import process_dead

    process_dead(worker.pid)
