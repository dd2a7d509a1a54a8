"""The Celery app: configured from Django settings (``CELERY_*``), tasks autodiscovered."""

import logging
import os
from typing import Any

from celery import Celery, signals

from community.env import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

logger = logging.getLogger(__name__)

app = Celery("community")
app.config_from_object("django.conf:settings", namespace="CELERY")
if not app.conf.broker_url:
    # No broker configured: tasks run in-process (CELERY_TASK_ALWAYS_EAGER), yet an eager
    # apply_async still takes a producer from the pool; an empty URL makes kombu warn "No
    # hostname was supplied" as if a broker were misconfigured. The in-memory transport is
    # what "no broker" means here, and it never leaves the process.
    # (Set under the settings' own name: Celery 5.6 reads CELERY_BROKER_URL before an
    # assignment to app.conf.broker_url.)
    app.conf["CELERY_BROKER_URL"] = "memory://localhost/"
app.autodiscover_tasks()

# Game events: with SERVICEBUS_CONNECTION_STRING set, every worker also runs and supervises the
# Service Bus consumer processes, so `celery -A community worker` is the one command operators
# start for tasks and event consumption alike (apps/game_events/bootstep.py says why processes).
from apps.game_events.bootstep import GameEventsConsumerStep  # noqa: E402

app.steps["worker"].add(GameEventsConsumerStep)


@signals.celeryd_init.connect
@signals.setup_logging.connect
def _logging_from_settings(**kwargs: object) -> None:
    """Celery's own lines (ready, task received/succeeded, connection lost) go through the
    project's LOGGING like every other process's: one JSON object per line with
    LOG_FORMAT=json, at LOG_LEVEL. A ``setup_logging`` receiver stops Celery from replacing
    the root logger's handlers with its own plain-text one (``worker_hijack_root_logger``);
    ``celeryd_init`` comes earlier, before the worker's privilege check warns."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    # Python warnings (Celery's SecurityWarning, deprecations) become log lines too, so a
    # JSON log stays one object per line.
    logging.captureWarnings(True)


@signals.celeryd_after_setup.connect
def _startup_line(sender: str, instance: Any, **kwargs: object) -> None:
    """With JSON logs, the worker's start is one log line, not Celery's multi-line banner
    (which is printed, not logged, and would break one-object-per-line)."""
    from django.conf import settings

    if settings.LOG_FORMAT != "json":
        return
    instance.quiet = True
    logger.info(
        "worker starting",
        extra={
            "hostname": sender,
            "concurrency": instance.concurrency,
            "queues": sorted(instance.app.amqp.queues.consume_from),
        },
    )


@signals.worker_init.connect
def _metrics_serve(**kwargs: object) -> None:
    """The worker's metrics (its pool's, and the event consumers', which share
    PROMETHEUS_MULTIPROC_DIR) on METRICS_PORT; docs/operations.md."""
    from django.conf import settings

    from apps.common.metrics import metrics_serve

    if settings.METRICS_PORT:
        metrics_serve(settings.METRICS_PORT, settings.METRICS_ADDRESS)


@signals.worker_init.connect
def _telemetry_start_main(**kwargs: object) -> None:
    """OpenTelemetry export when configured: the main process exports what its /metrics
    serves (with PROMETHEUS_MULTIPROC_DIR, the pool's and the event consumers' sum)."""
    from apps.common.telemetry import telemetry_start

    telemetry_start(service="community-worker")


@signals.worker_process_init.connect
def _telemetry_start_child(**kwargs: object) -> None:
    """A prefork pool process: spans of the tasks it runs; its metrics too unless the main
    process exports them summed."""
    from apps.common.metrics import is_multiprocess
    from apps.common.telemetry import telemetry_start

    telemetry_start(service="community-worker", metrics=not is_multiprocess())


@signals.task_prerun.connect
def _task_span_start(task_id: str, task: Any, **kwargs: object) -> None:
    from apps.common.telemetry import task_span_start

    task_span_start(task_id=task_id, task_name=task.name)


@signals.task_postrun.connect
def _task_span_end(task_id: str, state: str | None = None, **kwargs: object) -> None:
    from apps.common.telemetry import task_span_end

    task_span_end(task_id=task_id, state=state)


@signals.worker_process_shutdown.connect
def _metrics_process_dead(pid: int | None = None, **kwargs: object) -> None:
    from apps.common.metrics import process_dead

    process_dead(pid or os.getpid())
