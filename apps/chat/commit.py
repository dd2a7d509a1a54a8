"""Group commit: many chat messages stored in one transaction, then delivered.

Each process has one committer thread with its own database connection. Senders validate
their message first (rights, limits, automod: ``services.message_prepare``), then hand it
over; the committer takes every message waiting (up to ``CHAT_GROUP_COMMIT_MAX_BATCH``) and
stores them together: one ``UPDATE … RETURNING`` per channel in the batch (in channel-id order,
so two processes never deadlock) allocates a block of sequence numbers, one multi-row
``INSERT`` stores the messages, one ``UPDATE`` moves the authors' read markers, one commit.
Only after the commit are the messages fanned out (in sequence order) and the senders
answered: stored before delivered, as with one transaction per message, but the commit cost
is shared by the batch. No timer: while a batch is being written the next one gathers, so an
idle server answers at once and a busy one batches more.

A send made inside a transaction (a game-event effect, a test) is stored in that transaction
instead (``store_inline``), so it commits or rolls back with the caller's work.
"""

import asyncio
import atexit
import concurrent.futures
import contextvars
import logging
import os
import queue
import threading
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.chat import events
from apps.chat.mentions import mentions_notify_on_commit
from apps.chat.models import Channel, Membership, Message
from apps.players.models import Player
from apps.realtime.fanout import server_loop, topic_publish_from_sync, topic_publish_text

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Pending:
    """A validated message waiting to be stored."""

    channel: Channel
    author: Player | None
    body: str
    client_msg_id: str | None = None
    mentioned: list[Player] = field(default_factory=list)
    is_flagged: bool = False
    # The event loop of the server that asked (publishing happens there), if any.
    loop: asyncio.AbstractEventLoop | None = None
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


@dataclass(frozen=True)
class Stored:
    message: Message
    is_duplicate: bool


def _idempotency_key(pending: Pending) -> tuple | None:
    if pending.client_msg_id is None or pending.author is None:
        return None
    return (pending.channel.id, pending.author.id, pending.client_msg_id)


def _seq_blocks(counts: dict[int, int]) -> dict[int, int]:
    """Reserve ``counts[channel]`` sequence numbers per channel; returns the first of each
    block. The row locks taken here are held until commit (senders of a channel queue up)."""
    now = timezone.now()
    firsts = {}
    with connection.cursor() as cursor:
        for channel_id in sorted(counts):
            cursor.execute(
                "UPDATE chat_channel SET last_seq = last_seq + %s, updated_at = %s "
                "WHERE id = %s RETURNING last_seq",
                [counts[channel_id], now, channel_id],
            )
            firsts[channel_id] = cursor.fetchone()[0] - counts[channel_id] + 1
    return firsts


def _read_markers_advance(messages: list[Message]) -> None:
    """Move each author's read marker to their newest message of the batch, never back."""
    newest: dict[tuple[int, int], int] = {}
    for message in messages:
        if message.author_id is not None:
            key = (message.channel_id, message.author_id)
            newest[key] = max(newest.get(key, 0), message.seq)
    if not newest:
        return
    match = Q()
    whens = []
    for (channel_id, player_id), seq in newest.items():
        match |= Q(channel_id=channel_id, player_id=player_id, last_read_seq__lt=seq)
        whens.append(
            When(channel_id=channel_id, player_id=player_id,
                 then=Greatest(F("last_read_seq"), Value(seq)))
        )  # fmt: skip
    Membership.objects.filter(match).update(
        last_read_seq=Case(*whens, default=F("last_read_seq")), updated_at=timezone.now()
    )


def store_batch(batch: list[Pending]) -> list[Stored]:
    """Store ``batch`` in the current transaction, in order. A client message id repeated in
    the batch stores one message (the later ones are its duplicates)."""
    first_of: dict[tuple, int] = {}
    new: list[int] = []
    for index, pending in enumerate(batch):
        key = _idempotency_key(pending)
        if key is not None and key in first_of:
            continue
        if key is not None:
            first_of[key] = index
        new.append(index)
    counts: dict[int, int] = defaultdict(int)
    for index in new:
        counts[batch[index].channel.id] += 1
    next_seq = _seq_blocks(counts)
    messages = []
    for index in new:
        pending = batch[index]
        seq = next_seq[pending.channel.id]
        next_seq[pending.channel.id] += 1
        pending.channel.last_seq = seq
        messages.append(
            Message(channel=pending.channel, seq=seq, author=pending.author, body=pending.body,
                    client_msg_id=pending.client_msg_id, is_flagged=pending.is_flagged,
                    mentioned_player_ids=[player.id for player in pending.mentioned])
        )  # fmt: skip
    Message.objects.bulk_create(messages)
    _read_markers_advance(messages)
    stored: dict[int, Message] = dict(zip(new, messages, strict=True))
    results = []
    for index, pending in enumerate(batch):
        if index in stored:
            results.append(Stored(message=stored[index], is_duplicate=False))
        else:
            original = stored[first_of[_idempotency_key(pending)]]
            results.append(Stored(message=original, is_duplicate=True))
    return results


def _stored_before(pending: Pending) -> Message | None:
    key = _idempotency_key(pending)
    if key is None:
        return None
    return (
        Message.objects.select_related("author")
        .filter(channel_id=key[0], author_id=key[1], client_msg_id=key[2])
        .first()
    )


def _store_committed(batch: list[Pending]) -> list[Stored]:
    """Store and commit. If a concurrent send (another process) committed one of the batch's
    client message ids first, that message is the answer for it and the rest is retried."""
    try:
        with transaction.atomic():
            return store_batch(batch)
    except IntegrityError:
        earlier = {index: _stored_before(pending) for index, pending in enumerate(batch)}
        if not any(earlier.values()):
            raise
        rest = [pending for index, pending in enumerate(batch) if earlier[index] is None]
        with transaction.atomic():
            stored = iter(store_batch(rest) if rest else [])
        return [
            Stored(message=earlier[index], is_duplicate=True)
            if earlier[index] is not None
            else next(stored)
            for index in range(len(batch))
        ]


def _announce(batch: list[Pending], results: list[Stored]) -> None:
    """After commit: mentions notify, then the messages are fanned out in sequence order."""
    by_loop: dict[Any, list[tuple[str, str, int]]] = defaultdict(list)
    for pending, result in zip(batch, results, strict=True):
        if result.is_duplicate:
            continue
        message = result.message
        try:
            if pending.mentioned and pending.author is not None:
                mentions_notify_on_commit(
                    message=message, mentioned=pending.mentioned, author=pending.author
                )
        except Exception:
            logger.exception("mention notifications failed", extra={"message_id": message.id})
        text = events.message_frame_text(message)
        by_loop[pending.loop].append((events.channel_topic(message.channel_id), text, message.seq))
    for loop, items in by_loop.items():
        if loop is None or loop.is_closed():
            for topic, text, seq in items:
                topic_publish_from_sync(topic=topic, text=text, seq=seq)
        else:
            loop.call_soon_threadsafe(_publish_in_order, items, context=contextvars.Context())


_publishing: set[asyncio.Task] = set()


def _publish_in_order(items: list[tuple[str, str, int]]) -> None:
    # Tasks start in creation order, so each writes to this process's sockets in seq order.
    for topic, text, seq in items:
        task = asyncio.get_running_loop().create_task(
            topic_publish_text(topic=topic, text=text, seq=seq)
        )
        _publishing.add(task)
        task.add_done_callback(_publishing.discard)


_STOP = object()


class Committer:
    def __init__(self, *, max_batch: int, idle_close_seconds: float) -> None:
        self.max_batch = max_batch
        self.idle_close_seconds = idle_close_seconds
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="chat-group-commit", daemon=True)
        self.pid = os.getpid()
        self.thread.start()

    def submit(self, pending: Pending) -> concurrent.futures.Future:
        self.queue.put(pending)
        return pending.future

    def stop(self) -> None:
        self.queue.put(_STOP)
        self.thread.join(timeout=30)

    def _next_batch(self) -> list[Pending] | None:
        try:
            first = self.queue.get(timeout=self.idle_close_seconds)
        except queue.Empty:
            connection.close()  # idle: give the connection back (to the pool, if any)
            first = self.queue.get()
        if first is _STOP:
            return None
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self.queue.put(_STOP)  # stop after this batch
                break
            batch.append(item)
        return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._flush(batch)
        connection.close()

    def _flush(self, batch: list[Pending]) -> None:
        live = [pending for pending in batch if pending.future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            results = _store_committed(live)
        except Exception as error:
            logger.exception("chat group commit failed", extra={"messages": len(live)})
            connection.close()  # a broken connection is replaced on the next batch
            for pending in live:
                pending.future.set_exception(error)
            return
        try:
            _announce(live, results)
        except Exception:
            logger.exception("chat fan-out after commit failed")  # resume makes it whole
        for pending, result in zip(live, results, strict=True):
            pending.future.set_result(result)


_lock = threading.Lock()
_committer: Committer | None = None


def committer() -> Committer:
    """This process's committer (started on first use; a forked child starts its own)."""
    global _committer
    with _lock:
        if _committer is None or _committer.pid != os.getpid():
            _committer = Committer(
                max_batch=settings.CHAT_GROUP_COMMIT_MAX_BATCH,
                idle_close_seconds=settings.CHAT_GROUP_COMMIT_IDLE_CLOSE_SECONDS,
            )
        return _committer


@atexit.register
def committer_stop() -> None:
    """Store what is queued, then stop (at exit; tests call it to release the connection)."""
    global _committer
    with _lock:
        current, _committer = _committer, None
    if current is not None and current.pid == os.getpid():
        current.stop()


def use_group_commit() -> bool:
    return settings.CHAT_GROUP_COMMIT and not connection.in_atomic_block


def store_inline(pending: Pending) -> Stored:
    """Store in the caller's transaction; fan-out and mentions follow its commit."""
    with transaction.atomic():
        stored = store_batch([pending])[0]
        if not stored.is_duplicate:
            message = stored.message
            events.message_published_on_commit(message)
            if pending.author is not None:
                mentions_notify_on_commit(
                    message=message, mentioned=pending.mentioned, author=pending.author
                )
    return stored


def store_and_wait(pending: Pending) -> Stored:
    """Store through the committer and wait (sync callers outside a transaction)."""
    pending.loop = server_loop()
    future = committer().submit(pending)
    return future.result(timeout=settings.CHAT_GROUP_COMMIT_TIMEOUT_SECONDS)


def store_async(pending: Pending) -> Awaitable[Stored]:
    """Queue now (so a socket's messages keep their order) and return what to await for the
    commit, without holding a thread while waiting (websocket sends)."""
    pending.loop = asyncio.get_running_loop()
    future = committer().submit(pending)
    return asyncio.wait_for(asyncio.wrap_future(future), settings.CHAT_GROUP_COMMIT_TIMEOUT_SECONDS)
