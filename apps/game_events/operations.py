"""Operator tools over Service Bus: consumer lag and dead-letter replay (management commands)."""

import time
from dataclasses import dataclass, field
from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusReceiver, ServiceBusSubQueue

from apps.game_events.consumer import ConsumerConfig, message_body
from apps.game_events.envelope import EventRejected, envelope_validate, event_parse_json
from apps.game_events.models import Channel
from apps.game_events.services import events_ingest

PEEK_LIMIT = 250


@dataclass(frozen=True)
class Lag:
    waiting: int  # messages peeked (capped at PEEK_LIMIT)
    oldest_age_seconds: float | None
    dead_letters: int


def _receiver(
    client: ServiceBusClient, config: ConsumerConfig, *, dead_letter: bool
) -> ServiceBusReceiver:
    sub_queue = ServiceBusSubQueue.DEAD_LETTER if dead_letter else None
    if config.queue:
        return client.get_queue_receiver(config.queue, sub_queue=sub_queue)
    return client.get_subscription_receiver(config.topic, config.subscription, sub_queue=sub_queue)


def _peek(client: ServiceBusClient, config: ConsumerConfig, *, dead_letter: bool) -> list:
    with _receiver(client, config, dead_letter=dead_letter) as receiver:
        return receiver.peek_messages(max_message_count=PEEK_LIMIT)


def servicebus_lag(config: ConsumerConfig) -> Lag:
    """How far behind the consumers are: messages waiting (peek, capped) and the age of the
    oldest. Uses peek only, so it needs Listen rights and never takes a lock."""
    with config.client(retry_total=0) as client:
        waiting = _peek(client, config, dead_letter=False)
        dead = _peek(client, config, dead_letter=True)
    oldest = min((m.enqueued_time_utc for m in waiting if m.enqueued_time_utc), default=None)
    age = None if oldest is None else max(0.0, time.time() - oldest.timestamp())
    return Lag(waiting=len(waiting), oldest_age_seconds=age, dead_letters=len(dead))


@dataclass
class ReplayReport:
    replayed: dict[str, int] = field(default_factory=dict)  # outcome -> count
    still_invalid: list[tuple[str | None, str, str]] = field(default_factory=list)


def dead_letters_replay(config: ConsumerConfig, *, limit: int) -> ReplayReport:
    """Receive up to ``limit`` dead-lettered messages and process them again. A message that
    is now valid goes through the inbox (applied once, or a duplicate) and is completed; one
    that is still invalid is abandoned, so it stays in the dead-letter queue for inspection."""
    report = ReplayReport()
    client = config.client()
    with client, _receiver(client, config, dead_letter=True) as receiver:
        seen: set[int] = set()
        while len(seen) < limit:
            batch = receiver.receive_messages(
                max_message_count=min(50, limit - len(seen)), max_wait_time=2
            )
            fresh = [m for m in batch if m.sequence_number not in seen]
            for message in batch:
                if message.sequence_number in seen:
                    receiver.abandon_message(message)  # came back: still invalid, done
            if not fresh:
                break
            for message in fresh:
                seen.add(message.sequence_number or 0)
                _replay_one(receiver, message, config, report)
    return report


def _replay_one(
    receiver: ServiceBusReceiver, message: Any, config: ConsumerConfig, report: ReplayReport
) -> None:
    try:
        event = envelope_validate(event_parse_json(message_body(message)))
    except EventRejected as rejected:
        report.still_invalid.append((message.message_id, rejected.code, rejected.reason))
        receiver.abandon_message(message)
        return
    [outcome] = events_ingest(
        events=[event],
        channel=Channel.SERVICE_BUS,
        allowed_title_slugs=config.allowed_title_slugs,
        record_rejected=True,
    )
    if outcome.status == "rejected":
        report.still_invalid.append((event.id, outcome.code, outcome.reason))
        receiver.abandon_message(message)
        return
    receiver.complete_message(message)
    report.replayed[outcome.status] = report.replayed.get(outcome.status, 0) + 1
