"""gunicorn hooks (``gunicorn -c python:community.gunicorn``, every deployment in ``infra/``):
the workers always count into one set of metrics, so ``/metrics`` answers their sum whichever
worker a scrape reaches; a worker that exits stops counting in the live metrics its siblings
export (apps/common/metrics.py); and the master exports the workers' summed metrics through
OpenTelemetry when configured."""

import os
import shutil
import tempfile
from typing import Any

# The metrics directory this master made for its workers (removed when it exits).
_made_directory: str | None = None


def on_starting(server: Any) -> None:
    """Before any worker starts: without ``PROMETHEUS_MULTIPROC_DIR`` (a container, where
    nothing makes a fresh directory per start as systemd's RuntimeDirectory does) each worker
    would count alone, and a scrape would see one worker's share. The master makes a fresh
    directory and hands it to its workers."""
    global _made_directory
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _made_directory = tempfile.mkdtemp(prefix="community-web-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made_directory


def on_exit(server: Any) -> None:
    if _made_directory is not None:
        shutil.rmtree(_made_directory, ignore_errors=True)


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
