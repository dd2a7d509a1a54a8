"""Entity state of the broker: queues, topics, subscriptions, dead-letter queues and locks.

Pure Python, no proton objects, so it can be unit-reasoned about and inspected from tests. Every
public method of :class:`Store` takes ``store.lock`` (an RLock): the reactor thread and the test
thread both call into it.

Semantics mirrored from Service Bus (see ``servicebus-amqp-notes.md``):

* delivery count starts at 0 and is incremented on abandon and on lock expiry; once it reaches
  ``max_delivery_count`` the message moves to the dead-letter queue with reason
  ``MaxDeliveryCountExceeded`` (so a message is delivered at most N times);
* every delivery gets a fresh lock token, so a settlement with an old token fails with lock-lost;
* the dead-letter queue itself never dead-letters (like Service Bus).
"""

from __future__ import annotations

import heapq
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from proton import symbol

from .codec import MessageSections, ms_timestamp

MAX_DELIVERY_REASON = "MaxDeliveryCountExceeded"


class LockLostError(Exception):
    """The lock token is unknown or its lock has expired."""


class EntityNotFoundError(KeyError):
    pass


def normalize(path: str) -> str:
    """Entity names are case-insensitive in Service Bus; keys are lower-case without slashes."""
    return path.strip("/").lower()


def entity_path(address: str | None) -> str:
    """``amqps://127.0.0.1:5672/Game-Events`` -> ``game-events``; node names pass unchanged."""
    address = address or ""
    if "://" in address:
        address = address.split("://", 1)[1]
        address = address.split("/", 1)[1] if "/" in address else ""
    return normalize(address)


def is_node(path: str) -> bool:
    """``$cbs`` and ``<entity>/$management`` are request/response nodes, not entities."""
    return path == "$cbs" or path.endswith("/$management")


@dataclass(eq=False)
class StoredMessage:
    sequence_number: int
    enqueued_time: float  # epoch seconds
    parts: MessageSections
    delivery_count: int = 0
    lock_token: uuid.UUID | None = None
    locked_until: float | None = None
    dead_letter_reason: str | None = None
    dead_letter_description: str | None = None
    dead_letter_source: str | None = None

    def info(self) -> dict[str, Any]:
        """A plain snapshot for tests (no live references)."""
        return {
            "sequence_number": self.sequence_number,
            "message_id": self.parts.message_id,
            "delivery_count": self.delivery_count,
            "dead_letter_reason": self.dead_letter_reason,
            "dead_letter_description": self.dead_letter_description,
            "application_properties": dict(self.parts.application_properties or {}),
        }

    def annotations(self) -> dict[symbol, Any]:
        """The broker-owned ``x-opt-*`` message annotations for a delivery of this message."""
        annotations: dict[symbol, Any] = {
            symbol("x-opt-sequence-number"): self.sequence_number,
            symbol("x-opt-enqueued-time"): ms_timestamp(self.enqueued_time),
        }
        if self.lock_token is not None and self.locked_until is not None:
            annotations[symbol("x-opt-lock-token")] = self.lock_token
            annotations[symbol("x-opt-locked-until")] = ms_timestamp(self.locked_until)
        if self.dead_letter_source:
            annotations[symbol("x-opt-deadletter-source")] = self.dead_letter_source
        return annotations


@dataclass(eq=False)
class Entity:
    """A queue, a subscription, or a dead-letter queue: anything a receiver can attach to."""

    name: str
    lock_duration: float
    max_delivery_count: int | None  # None for dead-letter queues
    dead_letter: Entity | None = None
    _available: list[tuple[int, int, StoredMessage]] = field(default_factory=list)
    _locked: dict[uuid.UUID, StoredMessage] = field(default_factory=dict)
    _deferred: dict[int, StoredMessage] = field(default_factory=dict)
    _tiebreak: int = 0

    def push(self, msg: StoredMessage) -> None:
        # Ordered by sequence number: an abandoned/expired message goes back to its place in
        # line, the closest cheap approximation of Service Bus (which guarantees no order).
        self._tiebreak += 1
        heapq.heappush(self._available, (msg.sequence_number, self._tiebreak, msg))

    def pop(self) -> StoredMessage | None:
        return heapq.heappop(self._available)[2] if self._available else None

    def counts(self) -> dict[str, int]:
        return {
            "active": len(self._available) + len(self._locked),
            "available": len(self._available),
            "locked": len(self._locked),
            "deferred": len(self._deferred),
            "dead_letter": len(self.dead_letter._available) + len(self.dead_letter._locked)
            if self.dead_letter
            else 0,
        }

    def all_messages(self) -> list[StoredMessage]:
        msgs = [m for _, _, m in self._available] + list(self._locked.values())
        return sorted(msgs, key=lambda m: m.sequence_number)


@dataclass(eq=False)
class Topic:
    name: str
    subscriptions: dict[str, Entity] = field(default_factory=dict)
    next_sequence: int = 1


class Store:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.entities: dict[str, Entity] = {}  # receivable paths, DLQs included
        self.topics: dict[str, Topic] = {}
        self._queue_sequence: dict[str, int] = {}
        # Fault injection (#48143): True/False or a probability in [0, 1].
        self.drop_completions: bool | float = False
        self.dropped_completions = 0
        self._random = random.Random(0)
        # CBS put-token requests seen: (token type, audience). A SAS key sends
        # "servicebus.windows.net:sastoken"; a token credential (managed identity) "jwt".
        self.tokens_put: list[tuple[str, str]] = []

    # ---- configuration -------------------------------------------------------------------
    def _add_entity(self, name: str, lock_duration: float, max_delivery_count: int) -> Entity:
        entity = Entity(name, lock_duration, max_delivery_count)
        dlq = Entity(name + "/$DeadLetterQueue", lock_duration, None)
        entity.dead_letter = dlq
        self.entities[normalize(name)] = entity
        self.entities[normalize(dlq.name)] = dlq
        return entity

    def create_queue(self, name: str, *, lock_duration: float, max_delivery_count: int) -> Entity:
        with self.lock:
            key = normalize(name)
            if key in self.entities or key in self.topics:
                raise ValueError(f"entity {name!r} already exists")
            self._queue_sequence[key] = 1
            return self._add_entity(name, lock_duration, max_delivery_count)

    def create_topic(self, name: str) -> Topic:
        with self.lock:
            key = normalize(name)
            if key in self.entities or key in self.topics:
                raise ValueError(f"entity {name!r} already exists")
            topic = self.topics[key] = Topic(name)
            return topic

    def create_subscription(
        self, topic: str, name: str, *, lock_duration: float, max_delivery_count: int
    ) -> Entity:
        with self.lock:
            top = self.topics.get(normalize(topic))
            if top is None:
                raise EntityNotFoundError(topic)
            if normalize(name) in top.subscriptions:
                raise ValueError(f"subscription {topic}/{name} already exists")
            path = f"{top.name}/Subscriptions/{name}"
            entity = self._add_entity(path, lock_duration, max_delivery_count)
            top.subscriptions[normalize(name)] = entity
            return entity

    # ---- lookup --------------------------------------------------------------------------
    def entity(self, path: str) -> Entity:
        entity = self.entities.get(normalize(path))
        if entity is None:
            raise EntityNotFoundError(path)
        return entity

    def is_send_target(self, path: str) -> bool:
        key = normalize(path)
        return key in self.topics or (key in self._queue_sequence)

    # ---- sending -------------------------------------------------------------------------
    def enqueue(self, path: str, parts: MessageSections) -> list[Entity]:
        """Store one sent message; returns the entities that got a copy (to pump them)."""
        with self.lock:
            key = normalize(path)
            now = self.clock()
            if key in self.topics:
                topic = self.topics[key]
                seq = topic.next_sequence
                topic.next_sequence += 1
                targets = list(topic.subscriptions.values())
                # No subscription: the message is dropped, as Service Bus does.
                for sub in targets:
                    sub.push(StoredMessage(seq, now, parts.copy()))
                return targets
            if key in self._queue_sequence:
                seq = self._queue_sequence[key]
                self._queue_sequence[key] = seq + 1
                entity = self.entities[key]
                entity.push(StoredMessage(seq, now, parts))
                return [entity]
            raise EntityNotFoundError(path)

    # ---- receiving -----------------------------------------------------------------------
    def lock_next(self, entity: Entity) -> StoredMessage | None:
        with self.lock:
            msg = entity.pop()
            if msg is None:
                return None
            msg.lock_token = uuid.uuid4()
            msg.locked_until = self.clock() + entity.lock_duration
            entity._locked[msg.lock_token] = msg
            return msg

    def take_next(self, entity: Entity) -> StoredMessage | None:
        """RECEIVE_AND_DELETE: the message is gone once handed out (at-most-once)."""
        with self.lock:
            return entity.pop()

    def _locked_message(self, entity: Entity, token: uuid.UUID) -> StoredMessage:
        msg = entity._locked.get(token)
        if msg is None:
            raise LockLostError(str(token))
        if msg.locked_until is not None and msg.locked_until <= self.clock():
            self._expire(entity, msg)
            raise LockLostError(str(token))
        return msg

    def _unlock(self, entity: Entity, msg: StoredMessage) -> None:
        entity._locked.pop(msg.lock_token, None)  # type: ignore[arg-type]
        msg.lock_token = None
        msg.locked_until = None

    def _fail_delivery(self, entity: Entity, msg: StoredMessage) -> None:
        """Abandon or lock expiry: count the attempt, dead-letter at the limit."""
        self._unlock(entity, msg)
        msg.delivery_count += 1
        limit = entity.max_delivery_count
        if limit is not None and msg.delivery_count >= limit:
            self._move_to_dlq(
                entity,
                msg,
                MAX_DELIVERY_REASON,
                f"Message could not be consumed after {limit} delivery attempts.",
            )
        else:
            entity.push(msg)

    def _expire(self, entity: Entity, msg: StoredMessage) -> None:
        self._fail_delivery(entity, msg)

    def _move_to_dlq(
        self, entity: Entity, msg: StoredMessage, reason: str | None, description: str | None
    ) -> None:
        if entity.dead_letter is None:  # dead-lettering from a DLQ: Service Bus keeps it there
            entity.push(msg)
            return
        msg.dead_letter_reason = reason
        msg.dead_letter_description = description
        msg.dead_letter_source = entity.name
        # The SDK reads the reason from application properties of the dead-lettered message.
        props = dict(msg.parts.application_properties or {})
        if reason is not None:
            props["DeadLetterReason"] = reason
        if description is not None:
            props["DeadLetterErrorDescription"] = description
        msg.parts.application_properties = props
        entity.dead_letter.push(msg)

    def _drop_this_completion(self) -> bool:
        mode = self.drop_completions
        if mode is True or mode is False:
            return mode
        return self._random.random() < float(mode)

    def complete(self, entity: Entity, token: uuid.UUID) -> None:
        with self.lock:
            msg = self._locked_message(entity, token)
            if self._drop_this_completion():
                # The settlement was "accepted" but nothing happens: the lock lapses and the
                # message is redelivered with delivery_count + 1, like Azure SDK issue #48143.
                self.dropped_completions += 1
                return
            self._unlock(entity, msg)

    def abandon(self, entity: Entity, token: uuid.UUID) -> None:
        with self.lock:
            self._fail_delivery(entity, self._locked_message(entity, token))

    def release(self, entity: Entity, token: uuid.UUID) -> None:
        """Client released a delivery it never handed to the application: no count change."""
        with self.lock:
            msg = entity._locked.get(token)
            if msg is not None:
                self._unlock(entity, msg)
                entity.push(msg)

    def defer(self, entity: Entity, token: uuid.UUID) -> None:
        with self.lock:
            msg = self._locked_message(entity, token)
            self._unlock(entity, msg)
            entity._deferred[msg.sequence_number] = msg

    def dead_letter(
        self, entity: Entity, token: uuid.UUID, reason: str | None, description: str | None
    ) -> None:
        with self.lock:
            msg = self._locked_message(entity, token)
            self._unlock(entity, msg)
            self._move_to_dlq(entity, msg, reason, description)

    def renew(self, entity: Entity, token: uuid.UUID) -> float:
        with self.lock:
            msg = self._locked_message(entity, token)
            msg.locked_until = self.clock() + entity.lock_duration
            return msg.locked_until

    def expire_locks(self) -> list[Entity]:
        """Called periodically by the reactor; returns entities that got messages back."""
        with self.lock:
            now = self.clock()
            touched: list[Entity] = []
            for entity in list(self.entities.values()):
                expired = [
                    m for m in entity._locked.values() if m.locked_until and m.locked_until <= now
                ]
                for msg in expired:
                    self._expire(entity, msg)
                if expired:
                    touched.append(entity)
            return touched

    def find_entity_of_lock(self, token: uuid.UUID) -> Entity | None:
        with self.lock:
            for entity in self.entities.values():
                if token in entity._locked:
                    return entity
            return None

    # ---- inspection ----------------------------------------------------------------------
    def counts(self, path: str) -> dict[str, int]:
        with self.lock:
            return self.entity(path).counts()

    def messages(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m.info() for m in self.entity(path).all_messages()]

    def peek(self, path: str, from_sequence: int, count: int) -> list[StoredMessage]:
        with self.lock:
            msgs = [
                m for m in self.entity(path).all_messages() if m.sequence_number >= from_sequence
            ]
            return msgs[:count]
