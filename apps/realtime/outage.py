"""Riding through a Redis outage or restart (docs/websocket-protocol.md, "Redis outages").

A Redis restart used to close every socket of every Daphne with 1011: a consumer's channel
receive raised, the consumer died. Now:

- a socket's channel receive waits out the outage with jittered back-off
  (``receive_riding_outages``) instead of raising;
- each process watches for Redis having *forgotten* it (``LayerWatch``): a marker key per
  layer host, refreshed every ``REALTIME_REDIS_PROBE_SECONDS``; when it is gone (a restart, a
  failover, a flush) or a probe fails, every registered ``recover`` callback runs once Redis
  answers again — the fan-out hub re-joins its groups and backfills each topic by ``seq``
  from the database, each socket re-joins its user group — so nothing waits for the next
  group refresh and no hole stays open;
- pooled connections are health-checked and retried once on a connection error
  (``CHANNEL_LAYERS`` in community/settings/base.py), so no stale one survives the restart.
"""

import asyncio
import contextlib
import contextvars
import logging
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import redis.exceptions
from django.conf import settings

from apps.realtime.loops import PerLoop

logger = logging.getLogger(__name__)

# What a lost or restarting Redis raises through redis-py and channels_redis.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
    TimeoutError,
)


def backoff_delays(*, initial: float, cap: float) -> Iterator[float]:
    """Exponential back-off with full jitter: uniform in [0, min(cap, initial·2ⁿ)]. Every
    process (and every client) waits a different time, so no thundering herd follows Redis
    coming back."""
    attempt = 0
    while True:
        yield random.uniform(0, min(cap, initial * 2**attempt))  # noqa: S311 - jitter only
        attempt += 1


def retry_after_ms() -> int:
    """The reconnect delay suggested to a client refused during an outage: jittered over
    ``REALTIME_RECONNECT_MIN_MS``..``REALTIME_RECONNECT_MAX_MS``."""
    low, high = settings.REALTIME_RECONNECT_MIN_MS, settings.REALTIME_RECONNECT_MAX_MS
    return random.randint(low, max(low, high))  # noqa: S311 - jitter only


async def receive_riding_outages(receive: Callable[[], Awaitable[Any]]) -> Any:
    """``receive()``, retried with jittered back-off while Redis is unreachable."""
    delays = backoff_delays(initial=0.05, cap=settings.REALTIME_REDIS_BACKOFF_MAX_SECONDS)
    while True:
        try:
            return await receive()
        except OUTAGE_ERRORS:
            watch().outage_seen()
            await asyncio.sleep(next(delays))


class LayerWatch:
    """Per event loop: notices that Redis lost this process's state and runs the recovery
    callbacks once it answers again. Logs one line per change of state, not one per socket."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.marker = f"{getattr(layer, 'prefix', 'asgi')}:alive:{layer.client_prefix}"
        self.owners: weakref.WeakSet[Any] = weakref.WeakSet()
        self.has_marker = False  # the first probe sets it; its absence then means nothing
        self.is_down = False
        self.down_since = 0.0
        self.task: asyncio.Task | None = None

    def register(self, owner: Any) -> None:
        """``owner.recover_after_outage()`` runs after every outage while ``owner`` lives and
        is registered (held weakly: a closed socket is not kept alive)."""
        if self.task is None:
            # A fresh context: the caller's carries its socket's log id and asgiref markers.
            self.task = asyncio.get_running_loop().create_task(
                self._watch_forever(), context=contextvars.Context()
            )
        self.owners.add(owner)

    def unregister(self, owner: Any) -> None:
        self.owners.discard(owner)

    def outage_seen(self) -> None:
        if not self.is_down:
            self.is_down = True
            self.down_since = time.monotonic()
            logger.warning("channel layer: Redis unreachable; sockets stay open, riding it out")

    async def _watch_forever(self) -> None:
        delays = backoff_delays(initial=0.05, cap=settings.REALTIME_REDIS_BACKOFF_MAX_SECONDS)
        while True:
            try:
                forgotten = not await self._probe()
                if not self.has_marker:
                    self.has_marker, forgotten = True, False
                is_restored = not (forgotten or self.is_down) or await self._recover()
            except OUTAGE_ERRORS:
                self.outage_seen()
                is_restored = False
            except Exception:  # a bug must not end the watch: the next outage needs it
                logger.exception("channel layer watch failed; retrying")
                is_restored = False
            if not is_restored:
                await asyncio.sleep(next(delays))
                continue
            delays = backoff_delays(initial=0.05, cap=settings.REALTIME_REDIS_BACKOFF_MAX_SECONDS)
            await asyncio.sleep(settings.REALTIME_REDIS_PROBE_SECONDS)

    async def _probe(self) -> bool:
        """Whether every layer host still has this process's marker (then refreshed)."""
        ttl = max(60, int(settings.REALTIME_REDIS_PROBE_SECONDS * 10))
        present = True
        for index in range(self.layer.ring_size):
            connection = self.layer.connection(index)
            # SET … GET: one round trip refreshes the marker and says whether it was there.
            previous = await connection.set(self.marker, 1, ex=ttl, get=True)
            present = present and previous is not None
        return present

    async def _recover(self) -> bool:
        """Run every recovery; False (and the marker dropped) if Redis failed again."""
        try:
            for owner in list(self.owners):
                await owner.recover_after_outage()
        except OUTAGE_ERRORS:
            await self._forget_marker()
            return False
        if self.is_down:
            logger.warning(
                "channel layer: Redis is back; state restored",
                extra={"outage_seconds": round(time.monotonic() - self.down_since, 1)},
            )
        self.is_down = False
        return True

    async def _forget_marker(self) -> None:
        with contextlib.suppress(*OUTAGE_ERRORS):  # gone with Redis anyway
            for index in range(self.layer.ring_size):
                await self.layer.connection(index).delete(self.marker)


class _NoWatch:
    """The in-memory layer (no Redis) never loses anything: nothing to watch or recover."""

    def register(self, owner: Any) -> None:
        """Nothing to recover after: the in-memory layer has no outages."""

    def unregister(self, owner: Any) -> None:
        """Nothing was registered."""

    def outage_seen(self) -> None:
        """The in-memory layer cannot be down."""


def _watch_create() -> "LayerWatch | _NoWatch":
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    is_redis = hasattr(layer, "connection") and hasattr(layer, "ring_size")
    return LayerWatch(layer) if is_redis else _NoWatch()


_watches: "PerLoop[LayerWatch | _NoWatch]" = PerLoop(_watch_create)


def watch() -> "LayerWatch | _NoWatch":
    """This event loop's watch over the default channel layer."""
    return _watches.get()
