"""``manage.py simulate_game --title starfall-arena --players 8 --rate 2``: a live demo.

Publishes coherent game events (apps/game_events/simulator.py) at ``--rate`` events per second:
to Service Bus when ``SERVICEBUS_CONNECTION_STRING`` is set (the consumer picks them up), else
straight into the ingest service in this process (the embedded default of ``make run``).
"""

import json
import logging
import random
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.game_events.models import Channel
from apps.game_events.services import events_submit
from apps.game_events.simulator import GameSimulator, roster_for
from apps.titles.selectors import title_get_active


class Command(BaseCommand):
    help = "Publish realistic game events for a title (demo / load)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--title", default="starfall-arena")
        parser.add_argument("--players", type=int, default=8)
        parser.add_argument("--rate", type=float, default=2.0, help="events per second")
        parser.add_argument("--count", type=int, default=0, help="stop after N events (0: run)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        from apps.common.exceptions import NotFound

        try:
            title = title_get_active(slug=options["title"])
        except NotFound as error:
            raise CommandError(f"No active title {options['title']!r} (run seed_demo).") from error
        simulator = GameSimulator(
            title_slug=title.slug,
            roster=roster_for(max(2, options["players"]), title.slug),
            rng=random.Random(options["seed"]),  # noqa: S311 - demo data, not secrets
        )
        # Every batch is applied by an in-process task under `make run`; one log line each
        # would drown the demo's output.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        publish = self._publisher(title)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        try:
            sent = self._run(simulator, publish, stop, rate=options["rate"], count=options["count"])
        finally:
            for resource in self.resources:
                resource.close()
        self.stdout.write(f"simulate_game: {sent} events published for {title.slug}")

    def _run(self, simulator: GameSimulator, publish: Any, stop: threading.Event, *,
             rate: float, count: int) -> int:  # fmt: skip
        sent = 0
        interval = 1.0 / rate if rate > 0 else 0.0
        while not stop.is_set() and (count == 0 or sent < count):
            events = list(simulator.step())[: (count - sent) if count else None]
            if events:
                publish(events)
                sent += len(events)
            stop.wait(interval * max(1, len(events)))
        return sent

    resources: list[Any]

    def _publisher(self, title: Any) -> Any:
        self.resources = []
        if not settings.SERVICEBUS_CONNECTION_STRING:
            return lambda events: events_submit(
                raw_events=events, caller=title, channel=Channel.IN_PROCESS
            )
        from azure.servicebus import ServiceBusClient, ServiceBusMessage

        logging.getLogger("azure").setLevel(logging.WARNING)
        client = ServiceBusClient.from_connection_string(settings.SERVICEBUS_CONNECTION_STRING)
        sender = (
            client.get_queue_sender(settings.SERVICEBUS_QUEUE)
            if settings.SERVICEBUS_QUEUE
            else client.get_topic_sender(settings.SERVICEBUS_TOPIC)
        )
        self.resources = [sender, client]

        def send(events: list[dict[str, Any]]) -> None:
            # MessageId = event id, so Service Bus duplicate detection helps too (§3.1).
            sender.send_messages([
                ServiceBusMessage(json.dumps(e), message_id=e["id"],
                                  content_type="application/cloudevents+json")
                for e in events
            ])  # fmt: skip

        return send
