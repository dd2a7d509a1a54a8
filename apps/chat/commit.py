"""Group commit: many chat messages stored in one transaction, then delivered.

Each process has one committer thread with its own database connection. Senders hand their
message over (``services.message_pending`` checks only what needs no query: length, the shape
of attachments); the committer takes every message waiting (up to
``CHAT_GROUP_COMMIT_MAX_BATCH``), admits them together (``apps.chat.admission``: a fixed number
of queries per batch) and stores them together: one ``UPDATE … RETURNING`` per channel in the
batch (in channel-id order, so two processes never deadlock) allocates a block of sequence
numbers, one ``COPY`` stores the messages, one ``UPDATE`` moves the authors' read markers, one
commit.
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
import functools
import logging
import os
import queue
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.chat import events
from apps.chat.admission import Outcome, Pending, Stored, admit, idempotency_key, stored_before
from apps.chat.exceptions import SendOutcomeUnknown
from apps.chat.mentions import mentions_notify_on_commit
from apps.chat.models import Membership, Message
from apps.common.bulk import rows_copy
from apps.common.metrics import CHAT_COMMIT_BATCH_SIZE, CHAT_COMMIT_SECONDS, CHAT_MESSAGES_STORED
from apps.common.outage import is_database_outage
from apps.realtime.publish import server_loop, topic_publish_from_sync, topics_publish_sequenced

logger = logging.getLogger(__name__)


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
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s::bigint, %s::bigint, %s::bigint)"] * len(newest))
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE chat_membership AS m SET last_read_seq = v.seq, updated_at = %s "  # noqa: S608
                f"FROM (VALUES {values}) AS v(channel_id, player_id, seq) "
                "WHERE m.channel_id = v.channel_id AND m.player_id = v.player_id "
                "AND m.last_read_seq < v.seq",
                [
                    timezone.now(),
                    *(value for (c, p), seq in newest.items() for value in (c, p, seq)),
                ],
            )
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


_GIVEN = ("channel_id", "seq", "author_id", "body", "client_msg_id", "is_flagged",
          "mentioned_player_ids", "attachments", "body_translations")  # fmt: skip


@functools.cache
def _message_template() -> tuple[list, list[int], list[tuple[int, models.Field]]]:
    """Positional ``Message`` arguments: the static defaults, where each given value goes, and
    the fields whose default must be made per message (a fresh list for a JSON field)."""
    fields = Message._meta.concrete_fields
    positions = {field.attname: index for index, field in enumerate(fields)}
    fresh = [
        (index, field)
        for index, field in enumerate(fields)
        if callable(field.default) and field.attname not in _GIVEN
    ]
    template = [None if callable(field.default) else field.get_default() for field in fields]
    return template, [positions[attname] for attname in _GIVEN], fresh


def _new_message(pending: Pending, seq: int) -> Message:
    """``Message(*values)``: positional construction costs a third of keyword construction,
    which matters at tens of thousands of messages a second. The channel and author objects
    are attached without a query."""
    template, slots, fresh = _message_template()
    values = template.copy()
    for index, value in zip(
        slots,
        (pending.channel_id, seq, pending.author.id if pending.author is not None else None,
         pending.body, pending.client_msg_id, pending.is_flagged,
         [player.id for player in pending.mentioned], pending.attachments,
         pending.body_translations),
        strict=True,
    ):  # fmt: skip
        values[index] = value
    for index, field in fresh:
        values[index] = field.get_default()
    message = Message(*values)
    Message.channel.field.set_cached_value(message, pending.channel)
    Message.author.field.set_cached_value(message, pending.author)
    return message


def store_batch(batch: list[Pending]) -> list[Stored]:
    """Store ``batch`` in the current transaction, in order. A client message id repeated in
    the batch stores one message (the later ones are its duplicates)."""
    first_of: dict[tuple, int] = {}  # idempotency key → position in ``new``
    duplicate_of: dict[int, int] = {}  # batch index → position in ``new``
    new: list[Pending] = []
    for index, pending in enumerate(batch):
        key = idempotency_key(pending)
        if key is not None:
            if key in first_of:
                duplicate_of[index] = first_of[key]
                continue
            first_of[key] = len(new)
        new.append(pending)
    next_seq = _seq_blocks(Counter(pending.channel_id for pending in new))
    messages = []
    for pending in new:
        seq = next_seq[pending.channel_id]
        next_seq[pending.channel_id] = seq + 1
        pending.channel.last_seq = seq  # type: ignore[union-attr]
        messages.append(_new_message(pending, seq))
    rows_copy(Message, messages)  # one COPY on PostgreSQL
    CHAT_MESSAGES_STORED.inc(len(messages))  # counted also when the transaction rolls back
    _read_markers_advance(messages)
    if not duplicate_of:
        return [Stored(message=message, is_duplicate=False) for message in messages]
    stored = iter(messages)
    return [
        Stored(message=messages[duplicate_of[index]], is_duplicate=True)
        if index in duplicate_of
        else Stored(message=next(stored), is_duplicate=False)
        for index in range(len(batch))
    ]


def _store_committed(batch: list[Pending]) -> list[Stored]:
    """Store admitted messages and commit. A client message id that another process committed
    after this batch was admitted (one player's retry reaching two processes at once) fails
    the batch's ``COPY`` on the unique index: that message becomes the answer for it, as a
    duplicate, and the rest of the batch is stored again — no one else's send fails. Each
    round drops at least one message, so this ends."""
    earlier: dict[tuple, Message] = {}
    while True:
        rest = [pending for pending in batch if idempotency_key(pending) not in earlier]
        try:
            with transaction.atomic():
                stored = iter(store_batch(rest) if rest else [])
        except IntegrityError:
            found = stored_before(rest)
            if not found:
                raise
            earlier.update(found)
            continue
        return [
            Stored(message=earlier[key], is_duplicate=True)
            if (key := idempotency_key(pending)) in earlier
            else next(stored)
            for pending in batch
        ]


def admit_and_store(batch: list[Pending]) -> list[Stored | Exception]:
    """Admit the batch (``apps.chat.admission``), store what passed in one transaction."""
    outcomes: list[Outcome] = admit(batch)
    admitted = [
        pending for pending, outcome in zip(batch, outcomes, strict=True) if outcome is None
    ]
    stored = iter(_store_committed(admitted) if admitted else [])
    return [next(stored) if outcome is None else outcome for outcome in outcomes]


def _announce(batch: list[Pending], results: list[Stored | Exception]) -> None:
    """After commit: mentions notify, then the messages are fanned out in sequence order."""
    by_loop: dict[Any, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
    for pending, result in zip(batch, results, strict=True):
        if not isinstance(result, Stored) or result.is_duplicate:
            continue
        message = result.message
        try:
            if pending.mentioned and pending.author is not None:
                mentions_notify_on_commit(
                    message=message, mentioned=pending.mentioned, author=pending.author
                )
        except Exception:
            logger.exception("mention notifications failed", extra={"message_id": message.id})
        topic = events.channel_topic(message.channel_id)
        by_loop[pending.loop][topic].append((message.seq, events.message_frame_text(message)))
    for loop, topics in by_loop.items():
        if loop is None or loop.is_closed():
            for topic, frames in topics.items():
                for seq, text in frames:
                    topic_publish_from_sync(topic=topic, text=text, seq=seq)
        else:
            loop.call_soon_threadsafe(
                _publish_on_loop, list(topics.items()), context=contextvars.Context()
            )


_publishing: set[asyncio.Task] = set()


def _publish_on_loop(batches: list[tuple[str, list[tuple[int, str]]]]) -> None:
    # One task per committed batch; tasks start in creation order, so batches stay in order.
    task = asyncio.get_running_loop().create_task(topics_publish_sequenced(batches))
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

    def submit(self, pending: Pending) -> None:
        self.queue.put(pending)

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
            # A sender that gave up (answered ``unavailable``: outcome unknown) retries with
            # the same client_msg_id, or not at all: its message is not stored late.
            batch = [pending for pending in batch if not _given_up(pending)]
            if batch:
                self._flush(batch)
        connection.close()

    def _flush(self, batch: list[Pending]) -> None:
        started = time.perf_counter()
        CHAT_COMMIT_BATCH_SIZE.observe(len(batch))
        try:
            results: list[Stored | Exception] = admit_and_store(batch)
            CHAT_COMMIT_SECONDS.observe(time.perf_counter() - started)
        except Exception as error:
            logger.exception("chat group commit failed", extra={"messages": len(batch)})
            connection.close()  # a broken connection is replaced on the next batch
            _answer(batch, [error] * len(batch))
            return
        try:
            _announce(batch, results)
        except Exception:
            logger.exception("chat fan-out after commit failed")  # resume makes it whole
        _answer(batch, results)


def _given_up(pending: Pending) -> bool:
    if pending.waiter is not None:
        return pending.waiter.done()
    return pending.future is not None and pending.future.cancelled()


def _answer(batch: list[Pending], results: list[Stored | Exception]) -> None:
    """Settle every sender's wait: one wake-up per event loop, not one per message."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = defaultdict(list)
    for pending, result in zip(batch, results, strict=True):
        if pending.waiter is not None and pending.loop is not None:
            by_loop[pending.loop].append((pending.waiter, result))
        elif pending.future is not None:
            _settle_future(pending.future, result)
    for loop, answers in by_loop.items():
        if not loop.is_closed():
            loop.call_soon_threadsafe(_settle_waiters, answers)


def _settle_future(future: concurrent.futures.Future, result: Stored | Exception) -> None:
    try:
        if isinstance(result, Stored):
            future.set_result(result)
        else:
            future.set_exception(result)
    except concurrent.futures.InvalidStateError:
        pass  # the sender gave up (its wait timed out) and cancelled it


def _settle_waiters(answers: list[tuple[asyncio.Future, Stored | Exception]]) -> None:
    for waiter, result in answers:
        if waiter.done():  # the sender gave up (socket closed, timeout)
            continue
        if isinstance(result, Stored):
            waiter.set_result(result)
        else:
            waiter.set_exception(result)


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
    """Admit and store in the caller's transaction; fan-out and mentions follow its commit."""
    outcome = admit([pending])[0]
    if isinstance(outcome, Exception):
        raise outcome
    if isinstance(outcome, Stored):
        return outcome
    with transaction.atomic():
        stored = store_batch([pending])[0]
        if not stored.is_duplicate:
            events.message_published_on_commit(stored.message)
            if pending.author is not None:
                mentions_notify_on_commit(
                    message=stored.message, mentioned=pending.mentioned, author=pending.author
                )
    return stored


def store_and_wait(pending: Pending) -> Stored:
    """Store through the committer and wait (sync callers outside a transaction). Raises
    ``SendOutcomeUnknown`` when the commit cannot be confirmed (the database is down or the
    wait timed out): the message may be stored; a retry with its client_msg_id is safe."""
    pending.loop = server_loop()
    future: concurrent.futures.Future = concurrent.futures.Future()
    pending.future = future
    committer().submit(pending)
    try:
        return future.result(timeout=settings.CHAT_GROUP_COMMIT_TIMEOUT_SECONDS)
    except concurrent.futures.TimeoutError as error:
        future.cancel()  # not stored later if the committer has not taken it yet
        raise SendOutcomeUnknown.now() from error
    except Exception as error:
        if is_database_outage(error):
            raise SendOutcomeUnknown.now() from error
        raise


def store_async(pending: Pending) -> Awaitable[Stored]:
    """Queue now (so a socket's messages keep their order) and return what to await for the
    commit, without holding a thread while waiting (websocket sends)."""
    loop = asyncio.get_running_loop()
    pending.loop, pending.waiter = loop, loop.create_future()
    committer().submit(pending)
    return _wait(pending.waiter)


async def _wait(waiter: asyncio.Future) -> Stored:
    """The commit's answer; ``SendOutcomeUnknown`` as ``store_and_wait`` raises it (a wait that
    timed out cancels the waiter, so the committer drops the message if it has not taken it)."""
    try:
        async with asyncio.timeout(settings.CHAT_GROUP_COMMIT_TIMEOUT_SECONDS):
            return await waiter
    except TimeoutError as error:
        raise SendOutcomeUnknown.now() from error
    except Exception as error:
        if is_database_outage(error):
            raise SendOutcomeUnknown.now() from error
        raise
