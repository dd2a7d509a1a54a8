"""Publishing a frame to a topic's subscribers in every process (docs/websocket-protocol.md,
"Fan-out"): encoded once by the publisher, written to this process's sockets by its hub
first, then carried to the other processes' hubs by the channel layer."""

import asyncio
import collections
import contextvars
import json
import logging
import os
import time
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

from apps.realtime.fanout import FANOUT_EVENT, hub
from apps.realtime.groups import topic_group
from apps.realtime.layer import ChannelLayer
from apps.realtime.loops import PerLoop
from apps.realtime.outage import OUTAGE_ERRORS, watch

logger = logging.getLogger(__name__)


def encode_frame(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


async def topic_publish_text(*, topic: str, text: str, seq: int | None = None) -> None:
    """Send an encoded frame to every socket subscribed to ``topic``, in every process.

    A sequenced frame is written to this process's sockets first, without waiting for the
    layer round trip, and carried to the other processes only (``_send_to_other_processes``);
    an unsequenced one (typing) reaches this process's hub through the layer, as the others'."""
    if seq is not None:
        await hub().dispatch(topic, seq, text)
    event = {"type": FANOUT_EVENT, "topic": topic, "seq": seq, "text": text, "at": time.time()}
    try:
        if seq is None:
            await get_channel_layer().group_send(topic_group(topic), event)
        else:
            await _send_to_other_processes(topic, event)
    except OUTAGE_ERRORS:
        # Redis is down: the other processes backfill a sequenced frame once it is back;
        # an unsequenced one (typing) is a hint that is simply gone.
        watch().outage_seen()


# Frames per layer message when a batch of sequenced frames is published together.
PUBLISH_CHUNK = 100


async def topics_publish_sequenced(batches: list[tuple[str, list[tuple[int, str]]]]) -> None:
    """Publish many sequenced frames (a group commit's messages): every topic's frames are
    written to this process's sockets first, in order; then one layer message per topic (per
    ``PUBLISH_CHUNK`` frames) carries them to the other processes."""
    for topic, frames in batches:
        await hub().dispatch_many(topic, frames)
    for topic, frames in batches:
        for first in range(0, len(frames), PUBLISH_CHUNK):
            chunk = [list(frame) for frame in frames[first : first + PUBLISH_CHUNK]]
            event = {"type": FANOUT_EVENT, "topic": topic, "frames": chunk, "at": time.time()}
            try:
                await _send_to_other_processes(topic, event)
            except OUTAGE_ERRORS:
                watch().outage_seen()  # the other processes backfill once Redis is back
            except Exception:  # best effort: the other processes fill holes by backfill/resume
                logger.exception("fan-out publish failed", extra={"topic": topic})


async def _send_to_other_processes(topic: str, event: dict[str, Any]) -> None:
    """Carry sequenced frames to the other processes' hubs. This process's hub wrote them to
    its sockets already: under our layer its own channel is left out (its copy would come
    back only to be dropped as a duplicate — a Redis write, a read and a decode per batch);
    another layer (in memory) sends it that copy too."""
    layer = get_channel_layer()
    own = hub().channel_name
    if own is not None and isinstance(layer, ChannelLayer):
        await layer.group_send(topic_group(topic), event, exclude=own)
    else:
        await layer.group_send(topic_group(topic), event)


class _Publisher:
    """This loop's publishes from sync code, in the order they were made: one task sends them
    one after another, so two frames published in turn (typing in one channel, then another)
    reach every other socket in that order — concurrent tasks could finish either way."""

    def __init__(self) -> None:
        self.pending: collections.deque[dict[str, Any]] = collections.deque()
        self.task: asyncio.Task | None = None

    def add(self, publish: dict[str, Any]) -> None:
        self.pending.append(publish)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self.pending:
            publish = self.pending.popleft()
            try:
                await topic_publish_text(**publish)
            except Exception:  # best effort: backfill and resume make it whole
                logger.exception("fan-out publish failed", extra={"topic": publish["topic"]})


_publishers = PerLoop(_Publisher)


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop that called into this thread through ``sync_to_async``, if any."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None)


def topic_publish_from_sync(*, topic: str, text: str, seq: int | None = None) -> None:
    """Publish from sync code (a service's on_commit). Inside Daphne the publish is handed to
    the server loop without blocking this thread (the one ORM thread of the process) —
    the realtime path is best-effort anyway, resume makes it whole — and sent after the ones
    handed over before it; elsewhere (Celery, a script) it runs to completion on a fresh
    loop."""
    loop = server_loop()
    if loop is None:
        async_to_sync(topic_publish_text)(topic=topic, text=text, seq=seq)
        return

    def start() -> None:
        _publishers.get(loop).add({"topic": topic, "text": text, "seq": seq})

    # A fresh context: the caller's carries asgiref's "inside a sync call" markers, and a task
    # inheriting them could not use database_sync_to_async (the hub's backfill does).
    loop.call_soon_threadsafe(start, context=contextvars.Context())
