"""The Celery app: configured from Django settings (``CELERY_*``), tasks autodiscovered."""

import os

from celery import Celery

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
