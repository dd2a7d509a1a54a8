"""gunicorn hooks (``gunicorn -c python:community.gunicorn``, every deployment in ``infra/``):
the workers always count into one set of metrics, so ``/metrics`` answers their sum whichever
worker a scrape reaches; a worker that exits stops counting in the live metrics its siblings
export (apps/common/metrics.py); and the master exports the workers' summed metrics through
OpenTelemetry when configured; each worker, once loaded, keeps what it loaded out of the
garbage collector's walks."""

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


def post_worker_init(worker: Any) -> None:
    """The worker has loaded the application: its URLconf (and with it every view module) is
    imported now rather than by the first request, and everything loaded so far — about 200,000
    objects that live as long as the worker — is moved out of the garbage collector's sight
    (``gc.freeze``): each full collection walked all of them, a cost every request shared. A
    sync worker, which serves one request at a time, keeps its database connection checked out
    between requests (apps/common/postgresql/pool.py)."""
    import gc

    from django.urls import get_resolver
    from gunicorn.workers.sync import SyncWorker

    from apps.common.postgresql.pool import keep_between_requests

    get_resolver().url_patterns  # noqa: B018 (imports the URLconf)
    if isinstance(worker, SyncWorker):
        keep_between_requests()
    gc.collect()
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    from apps.common.metrics import process_dead

    process_dead(worker.pid)
