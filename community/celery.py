"""The Celery app: configured from Django settings (``CELERY_*``), tasks autodiscovered."""

import os

from celery import Celery, signals

from community.env import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

app = Celery("community")
app.config_from_object("django.conf:settings", namespace="CELERY")
if not app.conf.broker_url:
    # No broker configured: tasks run in-process (CELERY_TASK_ALWAYS_EAGER), yet an eager
    # apply_async still takes a producer from the pool; an empty URL makes kombu warn "No
    # hostname was supplied" as if a broker were misconfigured. The in-memory transport is
    # what "no broker" means here, and it never leaves the process.
    app.conf.broker_url = "memory://localhost/"
app.autodiscover_tasks()

# Game events: with SERVICEBUS_CONNECTION_STRING set, every worker also runs and supervises the
# Service Bus consumer processes, so `celery -A community worker` is the one command operators
# start for tasks and event consumption alike (apps/game_events/bootstep.py says why processes).
from apps.game_events.bootstep import GameEventsConsumerStep  # noqa: E402

app.steps["worker"].add(GameEventsConsumerStep)


@signals.worker_init.connect
def _metrics_serve(**kwargs: object) -> None:
    """The worker's metrics (its pool's, and the event consumers', which share
    PROMETHEUS_MULTIPROC_DIR) on METRICS_PORT; docs/operations.md."""
    from django.conf import settings

    from apps.common.metrics import metrics_serve

    if settings.METRICS_PORT:
        metrics_serve(settings.METRICS_PORT, settings.METRICS_ADDRESS)


@signals.worker_process_shutdown.connect
def _metrics_process_dead(pid: int | None = None, **kwargs: object) -> None:
    from apps.common.metrics import process_dead

    process_dead(pid or os.getpid())
