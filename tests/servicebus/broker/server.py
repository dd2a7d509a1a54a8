"""The proton event handler: connections, SASL, links, transfers and settlement.

Runs only on the reactor thread. Entity state lives in :class:`~.store.Store` (thread-safe), so
the test thread can inspect it while this handler serves the SDK.

Wire contract (azure-servicebus 7.15, see ``servicebus-amqp-notes.md``):

* SASL ANONYMOUS only; authentication is the CBS ``put-token`` handled in ``nodes.py``.
* In PEEK_LOCK the SDK sends its disposition *unsettled* and blocks until the broker answers
  with a *settled* disposition repeating the outcome (``rejected`` without error for a
  dead-letter). ``rejected(com.microsoft:message-lock-lost)`` makes it raise MessageLockLostError.
* Delivery tags are lock tokens in .NET GUID byte order (``uuid.bytes_le``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from proton import Condition, Delivery, Endpoint, Handler, Link, symbol

from . import nodes
from .codec import CodecError, encode_message, parse_message, split_batch
from .store import Entity, EntityNotFoundError, LockLostError, Store, entity_path, is_node

log = logging.getLogger(__name__)

LOCK_LOST = "com.microsoft:message-lock-lost"
LOCK_LOST_TEXT = (
    "The lock supplied is invalid. Either the lock expired, or the message has already been "
    "removed from the queue."
)


def _guard(method: Callable[..., None]) -> Callable[..., None]:
    """Keep the reactor alive on a handler bug, but record it so tests can fail on it."""

    @functools.wraps(method)
    def wrapper(self: AmqpServer, event: Any) -> None:
        try:
            method(self, event)
        except Exception:
            log.exception("servicebus test broker: error in %s", method.__name__)
            self.errors.append(traceback.format_exc())

    return wrapper


def _active(link: Link) -> bool:
    state = link.state
    return bool(state & Endpoint.LOCAL_ACTIVE and state & Endpoint.REMOTE_ACTIVE)


class AmqpServer(Handler):
    def __init__(
        self,
        store: Store,
        *,
        max_message_size: int = 262_144,
        credit: int = 1000,
        abandon_locks_on_close: bool = False,
    ) -> None:
        super().__init__()
        self.store = store
        self.max_message_size = max_message_size
        self.credit = credit
        self.abandon_locks_on_close = abandon_locks_on_close
        self.consumers: list[Link] = []  # broker->client links attached to an entity
        self.connections: list[Any] = []
        self.sockets: list[socket.socket] = []
        self.errors: list[str] = []

    # ---- connection / session --------------------------------------------------------------
    @_guard
    def on_connection_bound(self, event: Any) -> None:
        # The SDK sends a SASL header and accepts only ANONYMOUS (it authenticates via CBS).
        sasl = event.transport.sasl()
        sasl.allowed_mechs("ANONYMOUS")
        self.connections.append(event.connection)
        # Kept so the broker can hard-close sockets after the reactor stopped (restart tests
        # must never leave a half-open connection behind). Private proton attribute: optional.
        selectable = getattr(event.transport, "_selectable", None)
        sock = getattr(selectable, "_delegate", None)
        if sock is not None:
            self.sockets = [s for s in self.sockets if s.fileno() != -1]  # drop closed ones
            self.sockets.append(sock)

    @_guard
    def on_connection_remote_open(self, event: Any) -> None:
        conn = event.connection
        conn.reply_links = {}  # node path -> broker sender link, per connection (CBS replies)
        if conn.state & Endpoint.LOCAL_UNINIT:
            conn.open()

    @_guard
    def on_connection_remote_close(self, event: Any) -> None:
        if event.connection.state & Endpoint.LOCAL_ACTIVE:
            event.connection.close()
        self._forget_connection(event.connection)

    @_guard
    def on_transport_closed(self, event: Any) -> None:
        if event.connection is not None:
            self._forget_connection(event.connection)

    @_guard
    def on_session_remote_open(self, event: Any) -> None:
        if event.session.state & Endpoint.LOCAL_UNINIT:
            event.session.open()

    @_guard
    def on_session_remote_close(self, event: Any) -> None:
        if event.session.state & Endpoint.LOCAL_ACTIVE:
            event.session.close()

    def close_all(self) -> None:
        """Broker stop: drop every connection at once, like a restarting service."""
        for conn in list(self.connections):
            self._forget_connection(conn)
            transport = conn.transport
            if conn.state & Endpoint.LOCAL_ACTIVE:
                conn.condition = Condition("amqp:connection:forced", "broker stopped")
                conn.close()
            if transport is not None:
                transport.close_tail()
                transport.close_head()
        self.connections.clear()

    def _forget_connection(self, conn: Any) -> None:
        for link in [link for link in self.consumers if link.connection == conn]:
            self._forget_consumer(link)
        if conn in self.connections:
            self.connections.remove(conn)

    # ---- links -----------------------------------------------------------------------------
    @_guard
    def on_link_remote_open(self, event: Any) -> None:
        link = event.link
        if not link.state & Endpoint.LOCAL_UNINIT:
            return
        # pyamqp rejects an attach with a null terminus, so always echo both.
        link.source.copy(link.remote_source)
        link.target.copy(link.remote_target)
        link.snd_settle_mode = link.remote_snd_settle_mode
        link.rcv_settle_mode = link.remote_rcv_settle_mode
        if link.is_receiver:
            self._open_incoming(link)
        else:
            self._open_outgoing(link)

    def _open_incoming(self, link: Link) -> None:
        """Client sender: a node request link ($cbs / $management) or an entity producer."""
        path = entity_path(link.remote_target.address)
        if is_node(path):
            link.kind = "node"
        elif self.store.is_send_target(path):
            link.kind = "producer"
            link.path = path
            link.max_message_size = self.max_message_size  # sets the SDK's batch size limit
        else:
            self._refuse(link, path)
            return
        link.open()
        link.flow(self.credit)

    def _open_outgoing(self, link: Link) -> None:
        """Client receiver: the reply side of a node, or a consumer of an entity."""
        path = entity_path(link.remote_source.address)
        if is_node(path):
            link.kind = "reply"
            link.connection.reply_links[path] = link
            link.open()
            return
        try:
            entity = self.store.entity(path)
        except EntityNotFoundError:
            self._refuse(link, path)
            return
        link.kind = "consumer"
        link.entity = entity
        link.presettled = link.remote_snd_settle_mode == Link.SND_SETTLED  # RECEIVE_AND_DELETE
        link.tokens = set()  # lock tokens delivered on this link and not settled yet
        self.consumers.append(link)
        link.open()

    @staticmethod
    def _refuse(link: Link, path: str) -> None:
        # Attach, then detach with not-found: the SDK maps it to MessagingEntityNotFoundError.
        link.open()
        link.condition = Condition(
            "amqp:not-found", f"The messaging entity '{path}' was not found."
        )
        link.close()

    @_guard
    def on_link_remote_close(self, event: Any) -> None:
        link = event.link
        if link.state & Endpoint.LOCAL_ACTIVE:
            link.close()
        if getattr(link, "kind", None) == "consumer":
            self._forget_consumer(link)

    def _forget_consumer(self, link: Link) -> None:
        if link not in self.consumers:
            return
        self.consumers.remove(link)
        # Service Bus keeps the locks of a closed link until they expire (the message then comes
        # back with delivery_count + 1). Optionally abandon them at once for faster tests.
        if self.abandon_locks_on_close:
            for token in list(link.tokens):
                with contextlib.suppress(LockLostError):  # already expired: nothing to do
                    self.store.abandon(link.entity, token)
            self.pump([link.entity])
        link.tokens.clear()

    @_guard
    def on_link_flow(self, event: Any) -> None:
        link = event.link
        if getattr(link, "kind", None) != "consumer":
            return
        self._pump_link(link)
        if link.drain_mode:
            # The SDK drains on close and then releases what it had buffered.
            link.drained()

    # ---- outgoing messages ---------------------------------------------------------------------
    def pump(self, entities: list[Entity] | None = None) -> None:
        """Hand available messages to consumer links with credit, round-robin between links."""
        links = [
            link
            for link in self.consumers
            if entities is None or any(link.entity is e for e in entities)
        ]
        progress = True
        while progress:
            progress = False
            for link in links:
                if link.credit > 0 and _active(link) and self._send_one(link):
                    progress = True

    def _pump_link(self, link: Link) -> None:
        while link.credit > 0 and _active(link) and self._send_one(link):
            pass

    def _send_one(self, link: Link) -> bool:
        entity: Entity = link.entity
        store = self.store
        msg = store.take_next(entity) if link.presettled else store.lock_next(entity)
        if msg is None:
            return False
        payload = encode_message(
            msg.parts, delivery_count=msg.delivery_count, annotations=msg.annotations()
        )
        token = msg.lock_token
        tag = (token or uuid.uuid4()).bytes_le  # the SDK reads the lock token from the tag
        delivery = link.delivery(tag)
        delivery.lock_token = token
        link.send(payload)
        link.advance()
        if link.presettled:
            delivery.settle()
        elif token is not None:
            link.tokens.add(token)
        return True

    # ---- incoming transfers and dispositions -------------------------------------------------
    @_guard
    def on_delivery(self, event: Any) -> None:
        delivery = event.delivery
        link = delivery.link
        if link.is_receiver:
            if not delivery.readable or delivery.partial:
                return
            payload = link.recv(delivery.pending)
            link.advance()
            kind = getattr(link, "kind", None)
            if kind == "node":
                nodes.handle_request(self, link, delivery, payload)
            elif kind == "producer":
                self._on_sent(link, delivery, payload)
            else:
                delivery.settle()
            if link.credit < self.credit // 2:
                link.flow(self.credit - link.credit)
        elif delivery.updated:
            kind = getattr(link, "kind", None)
            if kind == "consumer":
                self._on_disposition(link, delivery)
            elif delivery.settled:
                delivery.settle()

    def _on_sent(self, link: Link, delivery: Delivery, payload: bytes) -> None:
        if len(payload) > self.max_message_size:
            reject(delivery, "amqp:link:message-size-exceeded", "The message is too large.")
            return
        inner = split_batch(payload)
        try:
            parts = [parse_message(m) for m in (inner if inner is not None else [payload])]
        except CodecError as exc:
            reject(delivery, "amqp:decode-error", str(exc))
            return
        touched: list[Entity] = []
        for part in parts:
            touched.extend(self.store.enqueue(link.path, part))
        delivery.update(Delivery.ACCEPTED)
        delivery.settle()
        self.pump(touched)

    def _on_disposition(self, link: Link, delivery: Delivery) -> None:
        token = getattr(delivery, "lock_token", None)
        if token is None or link.presettled:
            delivery.settle()
            return
        entity: Entity = link.entity
        state = delivery.remote_state
        remote = delivery.remote
        try:
            if state == Delivery.ACCEPTED:
                self.store.complete(entity, token)
            elif state == Delivery.MODIFIED and remote.undeliverable:
                self.store.defer(entity, token)
            elif state == Delivery.MODIFIED and remote.failed:
                self.store.abandon(entity, token)
            elif state == Delivery.REJECTED:
                reason, description = dead_letter_info(remote.condition)
                self.store.dead_letter(entity, token, reason, description)
            elif state in (Delivery.RELEASED, Delivery.MODIFIED):
                self.store.release(entity, token)
            else:
                return  # a non-terminal state (received): nothing to do yet
            link.tokens.discard(token)
            if not delivery.settled:
                # SDK 7.15 waits for this echo of its own outcome.
                if state == Delivery.MODIFIED:
                    delivery.local.failed = remote.failed
                    delivery.local.undeliverable = remote.undeliverable
                delivery.update(state)
        except LockLostError:
            link.tokens.discard(token)
            if not delivery.settled:
                delivery.local.condition = Condition(
                    LOCK_LOST, LOCK_LOST_TEXT, {symbol("lock"): "lost"}
                )
                delivery.update(Delivery.REJECTED)
        delivery.settle()
        self.pump([entity])

    # ---- timer -----------------------------------------------------------------------------
    @_guard
    def tick(self, event: Any = None) -> None:
        """Periodic: expire locks, then give returned messages to waiting consumers."""
        touched = self.store.expire_locks()
        if touched:
            self.pump(touched)

    def close_sockets(self) -> None:
        """After the reactor ended: make sure no socket outlives the broker."""
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.sockets.clear()


def dead_letter_info(condition: Condition | None) -> tuple[str | None, str | None]:
    """Read DeadLetterReason / DeadLetterErrorDescription from the client's rejected error."""
    if condition is None:
        return None, None
    info = {str(k): v for k, v in dict(condition.info or {}).items()}
    reason = info.get("DeadLetterReason")
    description = info.get("DeadLetterErrorDescription")
    return (
        None if reason is None else str(reason),
        None if description is None else str(description),
    )


def reject(delivery: Delivery, condition: str, description: str) -> None:
    # pyamqp's sender indexes error[2]: the info map must be present and non-null.
    delivery.local.condition = Condition(condition, description, {symbol("reason"): description})
    delivery.update(Delivery.REJECTED)
    delivery.settle()
