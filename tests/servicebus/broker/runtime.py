"""``ServiceBusBroker``: lifecycle and the thread-safe test API around the proton reactor.

The proton reactor is not thread-safe, so it runs in its own daemon thread and the test thread
only (a) reads/writes the :class:`Store` under its lock and (b) asks the reactor to do things
through an ``EventInjector``. ``stop()`` ends the reactor thread; ``start()`` builds a new reactor
on the same port over the same ``Store``, so messages survive a "broker restart".
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from proton import Event, Handler
from proton.reactor import ApplicationEvent, Container, EventInjector

from .server import AmqpServer
from .store import Store

TICK_SECONDS = 0.1  # lock-expiry resolution
_STOP_EVENT = "servicebus_broker_stop"  # dispatched to _Reactor.on_servicebus_broker_stop

# The SDK drops sockets abruptly; proton then logs "Couldn't send: BrokenPipeError" noise.
logging.getLogger("proton").setLevel(logging.CRITICAL)


class _Reactor(Handler):
    """Top-level handler: delegates AMQP events to the server, owns the timer and stop."""

    def __init__(self, server: AmqpServer) -> None:
        super().__init__()
        self.server = server
        self.stopping = False
        self.acceptor: Any = None
        self.injector: EventInjector | None = None
        self.container: Container | None = None

    def on_reactor_init(self, event: Event) -> None:
        event.container.schedule(TICK_SECONDS, self)

    def on_timer_task(self, event: Event) -> None:
        if self.stopping:
            return
        self.server.tick(event)  # guarded: errors land in broker.errors
        event.container.schedule(TICK_SECONDS, self)

    def on_servicebus_broker_stop(self, event: Event) -> None:
        self.stopping = True
        if self.acceptor is not None:
            self.acceptor.close()
        self.server.close_all()
        if self.injector is not None:
            self.injector.close()
        # Do not wait for clients to answer our close frames; sockets are already shut.
        if self.container is not None:
            self.container.stop()

    def on_unhandled(self, method: str, *args: Any) -> None:
        handler = getattr(self.server, method, None)
        if handler is not None:
            handler(*args)


class ServiceBusBroker:
    """An in-process Azure Service Bus double speaking AMQP 1.0 to the real azure-servicebus SDK.

    Use as a context manager or call ``start()``/``stop()``. Entity defaults (``lock_duration`` in
    seconds, ``max_delivery_count``) apply to queues/subscriptions created without their own.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        lock_duration: float = 30.0,
        max_delivery_count: int = 10,
        max_message_size: int = 262_144,
        abandon_locks_on_close: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.port = port
        self.lock_duration = lock_duration
        self.max_delivery_count = max_delivery_count
        self.max_message_size = max_message_size
        self.abandon_locks_on_close = abandon_locks_on_close
        self.store = Store(clock)
        self.errors: list[str] = []  # handler exceptions, shared across restarts
        self._thread: threading.Thread | None = None
        self._reactor: _Reactor | None = None
        self._injector: EventInjector | None = None
        self._server: AmqpServer | None = None

    # ---- entities ----------------------------------------------------------------------------
    def create_queue(
        self,
        name: str,
        *,
        max_delivery_count: int | None = None,
        lock_duration: float | None = None,
    ) -> None:
        self.store.create_queue(
            name,
            lock_duration=self.lock_duration if lock_duration is None else lock_duration,
            max_delivery_count=max_delivery_count or self.max_delivery_count,
        )

    def create_topic(self, name: str) -> None:
        self.store.create_topic(name)

    def create_subscription(
        self,
        topic: str,
        name: str,
        *,
        max_delivery_count: int | None = None,
        lock_duration: float | None = None,
    ) -> None:
        self.store.create_subscription(
            topic,
            name,
            lock_duration=self.lock_duration if lock_duration is None else lock_duration,
            max_delivery_count=max_delivery_count or self.max_delivery_count,
        )

    # ---- inspection (thread-safe snapshots) -------------------------------------------------
    def entity_counts(self, path: str) -> dict[str, int]:
        """``{"active", "available", "locked", "deferred", "dead_letter"}`` for a queue or
        ``<topic>/Subscriptions/<sub>``; ``active`` includes locked messages (as Service Bus)."""
        return self.store.counts(path)

    def messages(self, path: str) -> list[dict[str, Any]]:
        """Snapshots of the messages in an entity (any path, ``.../$DeadLetterQueue`` too)."""
        return self.store.messages(path)

    def dead_letter_messages(self, path: str) -> list[dict[str, Any]]:
        return self.store.messages(f"{path}/$DeadLetterQueue")

    # ---- fault injection --------------------------------------------------------------------
    @property
    def drop_completions(self) -> bool | float:
        return self.store.drop_completions

    @drop_completions.setter
    def drop_completions(self, value: bool | float) -> None:
        """True/False, or a probability: accepted completions are silently ignored (#48143)."""
        with self.store.lock:
            self.store.drop_completions = value

    @property
    def dropped_completions(self) -> int:
        return self.store.dropped_completions

    # ---- lifecycle ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def connection_string(self) -> str:
        if not self.port:
            raise RuntimeError("start() the broker first: the port is chosen at start")
        return (
            f"Endpoint=sb://{self.host}:{self.port};SharedAccessKeyName=RootManageSharedAccessKey;"
            "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true"
        )

    def start(self) -> ServiceBusBroker:
        if self.running:
            return self
        server = AmqpServer(
            self.store,
            max_message_size=self.max_message_size,
            abandon_locks_on_close=self.abandon_locks_on_close,
        )
        server.errors = self.errors
        reactor = _Reactor(server)
        container = Container(reactor)
        container.container_id = "servicebus-test-broker"
        # Binding happens here, before the thread starts: clients may connect as soon as
        # start() returns (they wait in the listen backlog until the reactor runs).
        reactor.acceptor = container.listen(f"{self.host}:{self.port}")
        self.port = reactor.acceptor._selectable._delegate.getsockname()[1]
        injector = EventInjector()
        container.selectable(injector)
        reactor.injector = injector
        reactor.container = container
        thread = threading.Thread(target=container.run, name="servicebus-broker", daemon=True)
        self._thread, self._reactor, self._injector, self._server = (
            thread,
            reactor,
            injector,
            server,
        )
        thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection and the listener; keeps entity state for a later start()."""
        if not self.running:
            return
        if self._injector is None or self._thread is None:
            return
        self._injector.trigger(ApplicationEvent(_STOP_EVENT))
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("servicebus test broker did not stop in time")
        self._thread = None
        # The reactor has ended; close anything it did not release (idempotent) so that the
        # port is free for start() and clients see the connection drop.
        if self._server is not None:
            self._server.close_sockets()
        if self._reactor is not None and self._reactor.acceptor is not None:
            listener = getattr(self._reactor.acceptor._selectable, "_delegate", None)
            if listener is not None:
                listener.close()
        if self._injector is not None:  # EventInjector never closes its wake-up pipe itself
            for fd in self._injector.pipe:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._injector = None

    close = stop

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> ServiceBusBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
