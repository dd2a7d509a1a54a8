"""``manage.py consume_events``: the Service Bus consumer process (docs/events.md).

Started and supervised by every ``celery -A community worker`` when
``SERVICEBUS_CONNECTION_STRING`` is set (``apps/game_events/bootstep.py``); can also run alone.
SIGTERM/SIGINT finish the batch in hand, then exit 0.
"""

import logging
import signal
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.common.metrics import is_multiprocess, metrics_serve
from apps.common.telemetry import telemetry_start
from apps.game_events.consumer import ConsumerConfig, EventConsumer

# The consumer's SDK thread mostly waits for broker frames while its database thread computes;
# Python's default 5 ms switch interval can hold each frame that long (a GIL convoy). At
# receive batch 1 a shorter interval measured 493 → 528-545 events/s (bench/event_ingest.py).
GIL_SWITCH_INTERVAL_SECONDS = 0.0005

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Consume game events from Azure Service Bus into the inbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--connection-string", default=None)
        parser.add_argument("--topic", default=None)
        parser.add_argument("--subscription", default=None)
        parser.add_argument("--queue", default=None)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--prefetch", type=int, default=None)
        parser.add_argument("--max-wait", type=float, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        config = ConsumerConfig.from_settings(
            connection_string=options["connection_string"],
            topic=options["topic"],
            subscription=options["subscription"],
            queue=options["queue"],
            batch_size=options["batch_size"],
            prefetch=options["prefetch"],
            max_wait=options["max_wait"],
        )
        if not config.is_configured:
            raise CommandError(
                "Set SERVICEBUS_CONNECTION_STRING (or --connection-string) or"
                " SERVICEBUS_FULLY_QUALIFIED_NAMESPACE."
            )
        if settings.METRICS_PORT:
            metrics_serve(settings.METRICS_PORT, settings.METRICS_ADDRESS)
        # Under a Celery worker (shared PROMETHEUS_MULTIPROC_DIR) the worker exports our metrics.
        telemetry_start(service="community-events", metrics=not is_multiprocess(), traces=False)
        # The AMQP stack logs every frame at INFO; keep the consumer's own lines readable.
        logging.getLogger("azure").setLevel(max(logging.WARNING, logging.root.level))
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        consumer = EventConsumer(config, stop=stop)
        # Log lines, not stdout: with LOG_FORMAT=json the process writes JSON objects only.
        logger.info("consuming %s (batch %d)", config.entity, config.batch_size)
        # The process is ours alone: let the SDK thread preempt the database thread quickly.
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
        consumer.run()
        stats = consumer.stats
        logger.info(
            "stopped: batches=%d completed=%d dead_lettered=%d abandoned=%d "
            "settle_failures=%d reconnects=%d",
            stats.batches,
            stats.completed,
            stats.dead_lettered,
            stats.abandoned,
            stats.settle_failures,
            stats.reconnects,
        )
