"""``manage.py events_replay --dead-letter`` / ``--failed``: process events again after a fix."""

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.game_events.consumer import ConsumerConfig
from apps.game_events.services import inbox_requeue_failed


class Command(BaseCommand):
    help = (
        "Re-process dead-lettered Service Bus messages (--dead-letter) or inbox events whose "
        "handler failed (--failed). Replays are idempotent: applied events stay applied once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dead-letter", action="store_true")
        parser.add_argument("--failed", action="store_true")
        parser.add_argument("--limit", type=int, default=1000)
        parser.add_argument("--type", dest="event_type", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["dead_letter"] and not options["failed"]:
            raise CommandError("Choose --dead-letter and/or --failed.")
        if options["failed"]:
            number = inbox_requeue_failed(event_type=options["event_type"])
            self.stdout.write(f"failed events requeued: {number}")
        if options["dead_letter"]:
            self._dead_letters(options["limit"])

    def _dead_letters(self, limit: int) -> None:
        config = ConsumerConfig.from_settings()
        if not config.is_configured:
            raise CommandError(
                "Neither SERVICEBUS_CONNECTION_STRING nor"
                " SERVICEBUS_FULLY_QUALIFIED_NAMESPACE is set."
            )
        logging.getLogger("azure").setLevel(logging.ERROR)
        from apps.game_events.operations import dead_letters_replay

        report = dead_letters_replay(config, limit=limit)
        outcomes = ", ".join(f"{k}={v}" for k, v in sorted(report.replayed.items())) or "none"
        self.stdout.write(f"dead letters replayed: {outcomes}")
        for message_id, code, reason in report.still_invalid:
            self.stdout.write(
                f"still invalid (left in the dead-letter queue): {message_id} {code}: {reason}"
            )
