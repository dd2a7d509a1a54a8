"""The Service Bus consumer: peek-lock batches → inbox (one transaction) → settle.

A batch is what one receive call brought plus, while messages keep coming, what further
calls bring within ``SERVICEBUS_GROUP_WAIT_SECONDS`` (up to ``SERVICEBUS_GROUP_MAX``): group
commit, so a small receive batch size does not mean one transaction per message. Per batch:

1. decode and validate each message's envelope; an invalid one is dead-lettered at once with
   ``reason`` = our rejection code and ``error_description`` = the precise reason;
2. ``events_ingest`` records the valid ones in ONE database transaction (schema violations and
   foreign titles come back ``rejected`` and are dead-lettered too);
3. only after the commit: complete the messages. If completion is lost (stack-pitfalls §1.5)
   the redelivery is a duplicate in the inbox and is completed without effect.

Pipelined: step 2 runs on the consumer's database thread while the SDK thread receives the
next group, so the database write overlaps the broker round trips instead of adding to them
(at most one group is in the database at a time; its messages are settled before the next
group is handed over, and at once when no further message comes within a few milliseconds).

A message the database refuses (a data error: ``DataError``, ``IntegrityError``, a value the
driver cannot encode) is isolated by ``events_ingest``, which halves the group until it stands
alone, and is dead-lettered with ``storage_refused``; its group-mates are recorded and completed.
Any other database error (the database is unreachable) abandons the batch's messages, and
those of the group received meanwhile (Service Bus redelivers them; each outage costs each
message one delivery attempt, because the consumer stops receiving until the database answers
again). Service Bus errors rebuild the client with backoff. Redis refusing the applier's
wake-up task (sent after the commit) abandons the batch too, and is logged as a Redis failure,
not a Service Bus one: the redelivered messages are duplicates and are completed, and the
recorded events are applied once Redis answers (the beat schedule, or the next wake-up).
A consumer that starts wakes the applier whatever the coalescing key says: a predecessor killed
between setting the key and sending its task left events that nothing else would wake.
SIGTERM finishes the batch in hand, then stops. Locks of a batch are renewed by an
``AutoLockRenewer`` while it is processed. The SDK is not thread-safe: only the consumer's own
thread touches its client; run more processes for parallelism.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from azure.servicebus import (
    AutoLockRenewer,
    ServiceBusClient,
    ServiceBusReceivedMessage,
    ServiceBusReceiveMode,
    ServiceBusReceiver,
)
from azure.servicebus.amqp import AmqpMessageBodyType
from azure.servicebus.exceptions import ServiceBusError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, connection
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from apps.common.metrics import EVENTS_LAG_SECONDS, EVENTS_SETTLED
from apps.game_events.envelope import CloudEvent, EventRejected, envelope_validate, event_parse_json
from apps.game_events.models import Channel
from apps.game_events.services import (
    INVALID_TYPE,
    IngestOutcome,
    event_counter_add,
    events_ingest,
)
from apps.game_events.tasks import apply_wakeup_at_start

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerConfig:
    connection_string: str
    topic: str
    subscription: str
    queue: str
    batch_size: int
    prefetch: int
    max_wait: float
    lock_renewal: float
    allowed_title_slugs: frozenset[str] | None
    group_wait: float = 0.0
    group_max: int = 1
    fully_qualified_namespace: str = ""

    @classmethod
    def from_settings(cls, **overrides: object) -> "ConsumerConfig":
        slugs = set(settings.SERVICEBUS_SOURCE_TITLES)
        values = {
            "connection_string": settings.SERVICEBUS_CONNECTION_STRING,
            "topic": settings.SERVICEBUS_TOPIC,
            "subscription": settings.SERVICEBUS_SUBSCRIPTION,
            "queue": settings.SERVICEBUS_QUEUE,
            "batch_size": settings.SERVICEBUS_RECEIVE_BATCH_SIZE,
            "prefetch": settings.SERVICEBUS_PREFETCH,
            "max_wait": settings.SERVICEBUS_MAX_WAIT_SECONDS,
            "lock_renewal": settings.SERVICEBUS_LOCK_RENEWAL_SECONDS,
            "allowed_title_slugs": None if "*" in slugs else frozenset(slugs),
            "group_wait": settings.SERVICEBUS_GROUP_WAIT_SECONDS,
            "group_max": settings.SERVICEBUS_GROUP_MAX,
            "fully_qualified_namespace": settings.SERVICEBUS_FULLY_QUALIFIED_NAMESPACE,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def is_configured(self) -> bool:
        return bool(self.connection_string or self.fully_qualified_namespace)

    def client(self, **options: Any) -> ServiceBusClient:
        """A client with the connection string's key, or — with no connection string — the
        namespace and a token credential (a managed identity on Azure)."""
        return servicebus_client(
            connection_string=self.connection_string,
            fully_qualified_namespace=self.fully_qualified_namespace,
            **options,
        )

    @property
    def entity(self) -> str:
        return self.queue or f"{self.topic}/Subscriptions/{self.subscription}"


def servicebus_client(
    *, connection_string: str = "", fully_qualified_namespace: str = "", **options: Any
) -> ServiceBusClient:
    if connection_string:
        return ServiceBusClient.from_connection_string(connection_string, **options)
    if not fully_qualified_namespace:
        raise ImproperlyConfigured(
            "Set SERVICEBUS_CONNECTION_STRING or SERVICEBUS_FULLY_QUALIFIED_NAMESPACE."
        )
    credential = import_string(settings.SERVICEBUS_CREDENTIAL)()
    return ServiceBusClient(
        fully_qualified_namespace, credential, use_tls=settings.SERVICEBUS_USE_TLS, **options
    )


def servicebus_configured() -> bool:
    return bool(
        settings.SERVICEBUS_CONNECTION_STRING or settings.SERVICEBUS_FULLY_QUALIFIED_NAMESPACE
    )


class DatabaseUnavailable(Exception):
    """The batch in hand was abandoned because the database did not answer."""


class RedisUnavailable(Exception):
    """The batch in hand was abandoned because Redis, the task broker, refused the wake-up of
    the effect applier (the events were recorded; their redelivery is completed as
    duplicates, and the applier's beat schedule applies them once Redis answers)."""


def _is_redis_failure(error: BaseException) -> bool:
    """Redis (the Celery broker) failed, not Service Bus nor the database: kombu raises its
    ``OperationalError`` around the redis-py error when a publish gives up."""
    return isinstance(error, (KombuOperationalError, RedisError))


# With a group in the database, an idle receive waits this long before settling that group.
IN_FLIGHT_POLL_SECONDS = 0.01
# The longest single receive call while idle. The SDK (7.15) returns messages it had already
# buffered (read while settling, or prefetched) only when the call's wait ends, unless a new
# one arrives; fewer than a batch, the last of a burst, would wait the whole max wait.
RECEIVE_SLICE_SECONDS = 0.25


@dataclass
class _InFlight:
    """A group handed to the database thread: its valid messages and their ingest."""

    messages: list[tuple[ServiceBusReceivedMessage, CloudEvent]]
    outcomes: "Future[list[IngestOutcome]]"
    renewal: threading.Timer | None


class Backoff:
    def __init__(self, *, initial: float = 0.5, maximum: float = 30.0) -> None:
        self.initial, self.maximum, self.current = initial, maximum, initial

    def next(self) -> float:
        delay, self.current = self.current, min(self.current * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self.current = self.initial


@dataclass
class ConsumerStats:
    batches: int = 0
    completed: int = 0
    dead_lettered: int = 0
    abandoned: int = 0
    settle_failures: int = 0
    reconnects: int = 0


def message_body(message: ServiceBusReceivedMessage) -> bytes:
    """The message's bytes: structured-mode CloudEvents travel as one data section."""
    if message.body_type == AmqpMessageBodyType.DATA:
        return b"".join(bytes(part) for part in message.body)
    value = message.body
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return value
    raise EventRejected("invalid_body", "The message body must be a JSON document.")


def _renew_if_slow(
    receiver: ServiceBusReceiver,
    renewer: AutoLockRenewer | None,
    messages: list[ServiceBusReceivedMessage],
) -> threading.Timer | None:
    """Hand the batch to the ``AutoLockRenewer`` once half of its shortest lock has passed.
    Most batches settle well before that, and registering every message up front costs a
    renewer task per message (about a fifth of the throughput at 256-message batches)."""
    if renewer is None:
        return None
    lock_ends = [m.locked_until_utc for m in messages if m.locked_until_utc is not None]
    remaining = min(lock_ends).timestamp() - time.time() if lock_ends else 0.0

    def register() -> None:
        for message in messages:
            # Settled messages refuse registration: nothing left to renew for them.
            with contextlib.suppress(ServiceBusError, ValueError):
                renewer.register(receiver, message)

    timer = threading.Timer(max(0.0, remaining / 2), register)
    timer.daemon = True
    timer.start()
    return timer


class EventConsumer:
    def __init__(self, config: ConsumerConfig, *, stop: threading.Event | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.stats = ConsumerStats()
        self.last_receive_at: float | None = None
        # Every database call of the consumer runs here, on one connection of its own.
        self.database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="consumer-db")

    # ---- supervision -----------------------------------------------------------------------
    def run(self) -> None:
        """Consume until ``stop`` is set; reconnects with backoff on any broker error."""
        backoff = Backoff()
        woken = False
        try:
            while not self.stop.is_set():
                try:
                    self._wait_for_database()
                    if not woken:
                        woken = True
                        self._wake_applier()
                    self._session()
                    backoff.reset()
                except DatabaseUnavailable:
                    logger.warning("database unavailable; batch abandoned")
                except RedisUnavailable as error:
                    # Not a Service Bus failure: the receiver is fine, only the wake-up of the
                    # effect applier could not be sent. One line, no traceback.
                    delay = backoff.next()
                    logger.warning(
                        "redis (task broker) unavailable; batch abandoned, effects wait",
                        extra={"error": _describe(error.__cause__), "delay": delay},
                    )
                    self.stop.wait(delay)
                except Exception as error:
                    # ServiceBusError, OSError, and the ValueError the SDK raises once a
                    # handler has shut itself down: every one is cured by a new client.
                    self.stats.reconnects += 1
                    delay = backoff.next()
                    logger.warning(
                        "service bus error; reconnecting",
                        extra={"error": _describe(error), "delay": delay},
                    )
                    self.stop.wait(delay)
        finally:
            self.database.submit(_database_close).result()
            self.database.shutdown()

    def _wake_applier(self) -> None:
        """At start: events a predecessor recorded may wait on a wake-up that never went out
        (``apply_wakeup_at_start``). On the database thread, where an eager run applies."""
        try:
            self.database.submit(apply_wakeup_at_start).result()
        except Exception as error:
            # Not fatal to consuming: the first commit's wake-up, or beat, applies them.
            if _is_redis_failure(error):
                logger.warning(
                    "redis (task broker) unavailable; the applier is not woken at start",
                    extra={"error": _describe(error)},
                )
            else:
                logger.exception("the applier could not be woken at start")

    def _wait_for_database(self) -> None:
        backoff = Backoff(initial=0.2, maximum=10.0)
        while not self.stop.is_set():
            if self.database.submit(_database_answers).result():
                return
            self.stop.wait(backoff.next())

    def _receiver(self, client: ServiceBusClient) -> ServiceBusReceiver:
        mode, prefetch = ServiceBusReceiveMode.PEEK_LOCK, self.config.prefetch
        if self.config.queue:
            return client.get_queue_receiver(
                self.config.queue, receive_mode=mode, prefetch_count=prefetch
            )
        return client.get_subscription_receiver(
            self.config.topic, self.config.subscription, receive_mode=mode, prefetch_count=prefetch
        )

    def _session(self) -> None:
        client = self.config.client(retry_total=2, retry_backoff_max=5)
        renewer = AutoLockRenewer(max_lock_renewal_duration=self.config.lock_renewal)
        with client, renewer, self._receiver(client) as receiver:
            logger.info("consumer receiving", extra={"entity": self.config.entity})
            in_flight: _InFlight | None = None
            try:
                while not self.stop.is_set():
                    wait = self.config.max_wait if in_flight is None else IN_FLIGHT_POLL_SECONDS
                    messages = self._receive_group(receiver, first_wait=wait)
                    self.last_receive_at = time.time()
                    if in_flight is not None:
                        current, in_flight = in_flight, None
                        try:
                            self._finish(receiver, current)
                        except Exception:
                            self._abandon(receiver, messages)
                            raise
                    if messages:
                        in_flight = self._start(receiver, renewer, messages)
            finally:
                if in_flight is not None:  # stopping: the batch in hand is finished first
                    self._finish(receiver, in_flight)

    def _receive_group(
        self, receiver: ServiceBusReceiver, *, first_wait: float | None = None
    ) -> list[ServiceBusReceivedMessage]:
        """Group commit: after a receive call brings messages, keep receiving while more
        arrive, for at most ``group_wait`` seconds and ``group_max`` messages, so that events
        trickling in one receive call at a time still share one database transaction (and
        its commit). Locks are held no longer than that before the batch is processed."""
        config = self.config
        messages = self._receive_first(
            receiver, config.max_wait if first_wait is None else first_wait
        )
        if not messages or config.group_wait <= 0:
            return messages
        deadline = time.monotonic() + config.group_wait
        while len(messages) < config.group_max and not self.stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            more = receiver.receive_messages(
                max_message_count=min(config.batch_size, config.group_max - len(messages)),
                max_wait_time=left,
            )
            if not more:
                break
            messages.extend(more)
        return messages

    def _receive_first(
        self, receiver: ServiceBusReceiver, wait: float
    ) -> list[ServiceBusReceivedMessage]:
        """Up to a batch, waiting at most ``wait`` seconds in calls of at most
        ``RECEIVE_SLICE_SECONDS``, so that buffered messages are handed over within a slice."""
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            messages = receiver.receive_messages(
                max_message_count=self.config.batch_size,
                max_wait_time=max(0.001, min(left, RECEIVE_SLICE_SECONDS)),
            )
            if messages or left <= RECEIVE_SLICE_SECONDS or self.stop.is_set():
                return messages

    # ---- one batch ---------------------------------------------------------------------------
    def _start(
        self,
        receiver: ServiceBusReceiver,
        renewer: AutoLockRenewer | None,
        messages: list[ServiceBusReceivedMessage],
    ) -> _InFlight:
        """Dead-letter the undecodable messages, hand the others to the database thread."""
        self.stats.batches += 1
        renewal = _renew_if_slow(receiver, renewer, messages)
        valid, invalid = self._decode_all(receiver, messages)
        events = [event for _, event in valid]
        outcomes = self.database.submit(self._ingest, events, invalid)
        return _InFlight(messages=valid, outcomes=outcomes, renewal=renewal)

    def _ingest(self, events: list[CloudEvent], invalid: int) -> list[IngestOutcome]:
        """On the database thread: record the group (one transaction) and count the invalid."""
        try:
            if invalid:
                try:
                    event_counter_add(
                        event_type=INVALID_TYPE, outcome="dead_lettered", number=invalid
                    )
                except DatabaseError:
                    connection.close()  # metrics only: the dead-lettering itself has happened
            if not events:
                return []
            # The connection is kept between batches (one per consumer process); a broken
            # one fails here, is closed, and the batch is abandoned.
            return events_ingest(
                events=events,
                channel=Channel.SERVICE_BUS,
                allowed_title_slugs=self.config.allowed_title_slugs,
                record_rejected=True,
            )
        except DatabaseError:
            connection.close()
            raise

    def _finish(self, receiver: ServiceBusReceiver, batch: _InFlight) -> None:
        """Wait for the group's commit, then settle its messages (on the SDK thread).

        A message the database refuses (a data error) comes back ``rejected`` from
        ``events_ingest``, which isolated it, and is dead-lettered here like any other
        rejection; its group-mates are completed. What reaches this ``except`` is not about
        one message (the database is unreachable, or a bug): the whole group is abandoned."""
        try:
            try:
                outcomes = batch.outcomes.result()
            except Exception as error:
                self._abandon(receiver, [message for message, _ in batch.messages])
                if isinstance(error, DatabaseError):
                    raise DatabaseUnavailable() from error
                if _is_redis_failure(error):
                    raise RedisUnavailable() from error
                logger.exception("game event group failed; abandoned")
                raise
            for (message, _event), outcome in zip(batch.messages, outcomes, strict=True):
                if outcome.status == "rejected":
                    self._dead_letter(receiver, message, outcome.code, outcome.reason)
                else:
                    self._settle(receiver.complete_message, message, "completed")
        finally:
            if batch.renewal is not None:
                batch.renewal.cancel()

    def _decode_all(
        self, receiver: ServiceBusReceiver, messages: Iterable[ServiceBusReceivedMessage]
    ) -> tuple[list[tuple[ServiceBusReceivedMessage, CloudEvent]], int]:
        """The decodable messages with their envelopes, and how many were dead-lettered."""
        valid = []
        invalid = 0
        for message in messages:
            try:
                valid.append((message, envelope_validate(event_parse_json(message_body(message)))))
            except EventRejected as rejected:
                invalid += 1
                self._dead_letter(receiver, message, rejected.code, rejected.reason)
        return valid, invalid

    def _dead_letter(
        self, receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage, code: str, why: str
    ) -> None:
        logger.warning(
            "game event dead-lettered",
            extra={"message_id": message.message_id, "reason": code, "description": why},
        )
        self._settle(
            lambda m: receiver.dead_letter_message(m, reason=code, error_description=why),
            message,
            "dead_lettered",
        )

    def _abandon(
        self, receiver: ServiceBusReceiver, messages: Iterable[ServiceBusReceivedMessage]
    ) -> None:
        for message in messages:
            self._settle(receiver.abandon_message, message, "abandoned")

    def _settle(
        self,
        settle: Callable[[ServiceBusReceivedMessage], None],
        message: ServiceBusReceivedMessage,
        counter: str,
    ) -> None:
        """Settle and count. A failed settlement is only logged: the lock expires, the message
        comes back and the inbox recognises it."""
        try:
            settle(message)
        except (ServiceBusError, ValueError) as error:  # ValueError: handler shut down
            self.stats.settle_failures += 1
            logger.warning(
                "settlement failed",
                extra={"message_id": message.message_id, "error": type(error).__name__},
            )
            return
        setattr(self.stats, counter, getattr(self.stats, counter) + 1)
        EVENTS_SETTLED.labels(counter).inc()
        enqueued = message.enqueued_time_utc
        if enqueued is not None:
            EVENTS_LAG_SECONDS.observe(max(0.0, time.time() - enqueued.timestamp()))


def _describe(error: BaseException | None) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _database_close() -> None:
    """On the database thread: close its connection (``connection`` is per thread: resolving
    ``connection.close`` on another thread would name that thread's connection)."""
    connection.close()


def _database_answers() -> bool:
    """On the database thread: is the database reachable (a fresh connection if need be)?"""
    try:
        close_old_connections()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        connection.close()
        return False
