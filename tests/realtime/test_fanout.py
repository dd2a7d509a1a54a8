"""Node-local fan-out: frames a lossy layer dropped are filled from the database, in order."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.db import OperationalError, transaction

from apps.chat.admission import Pending
from apps.chat.commit import store_batch
from apps.chat.services import message_send
from apps.realtime.fanout import (
    Subscription,
    TopicHub,
    TopicSource,
    _sources,
    hub,
    topic_source_register,
)
from tests.chat.support import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def store_without_publishing(channel, author, body):
    """A message whose fan-out the layer lost (over capacity, Redis restart)."""
    with transaction.atomic():
        pending = Pending(channel_id=channel.id, channel=channel, author=author, body=body)
        return store_batch([pending])[0].message


async def test_a_hole_left_by_the_layer_is_filled_from_the_database_before_later_frames(
    lobby, alice, bob
):
    reader = await open_socket(bob.user)
    await reader.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})

    for body in ("lost 1", "lost 2"):
        await database_sync_to_async(store_without_publishing)(lobby, alice, body)
    await database_sync_to_async(message_send)(channel=lobby, author=alice, body="delivered")
    received = await reader.messages(3)

    assert [(m["seq"], m["body"]) for m in received] == [
        (1, "lost 1"), (2, "lost 2"), (3, "delivered"),
    ]  # fmt: skip
    assert await reader.nothing_more()
    await reader.close()


async def test_a_replaying_subscription_buffers_live_frames_and_sends_each_once():
    written: list[str] = []

    async def write(text: str) -> None:
        written.append(text)

    subscription = Subscription(topic="chat.1", write=write)
    await subscription.deliver(4, "four")
    await subscription.deliver(5, "five")
    await subscription.deliver(None, "typing")
    await subscription.go_live(last_seq=4)  # the replay already sent 1..4
    await subscription.deliver(5, "five again")
    await subscription.deliver(6, "six")

    assert written == ["five", "typing", "six"]


async def test_a_topic_whose_opening_failed_is_opened_by_those_who_waited_for_it():
    """The first subscriber of a topic reads its head; if that fails (the database down), the
    subscribers that waited for the opening open it themselves instead of waiting forever."""
    heads_read = 0

    async def head(topic: str) -> int:
        nonlocal heads_read
        heads_read += 1
        await asyncio.sleep(0.05)
        if heads_read == 1:
            raise OperationalError("the database is down")
        return 7

    async def no_backfill(topic: str, after: int, before: int) -> list[tuple[int, str]]:
        return []

    async def write(text: str) -> None:
        pass

    topic_source_register(prefix="flaky", source=TopicSource(backfill=no_backfill, head=head))
    first, second = Subscription("flaky.1", write), Subscription("flaky.1", write)
    try:
        failed, opened = await asyncio.wait_for(
            asyncio.gather(hub().subscribe(first), hub().subscribe(second), return_exceptions=True),
            timeout=10,
        )
    finally:
        _sources.pop("flaky")

    assert isinstance(failed, OperationalError)
    assert opened is None
    assert hub().topics["flaky.1"] == {second}
    assert hub().heads["flaky.1"] == 7
    assert heads_read == 2


class WritesNow:
    """A socket's ``write_now`` that records each call, and a ``write`` for what it declines."""

    def __init__(self, *, takes: bool = True) -> None:
        self.takes = takes
        self.calls: list[tuple[list[str], int]] = []
        self.later: list[str] = []

    def write_now(self, texts, size: int) -> bool:
        if self.takes:
            self.calls.append((texts, size))
        return self.takes

    async def write(self, text: str) -> None:
        self.later.append(text)

    def subscription(self, topic: str, *, last_seq: int = 0) -> Subscription:
        return Subscription(topic, self.write, self.write_now, last_seq=last_seq, buffer=None)


def subscribed(delivering: TopicHub, topic: str, *sockets: WritesNow, last_seq: int = 0) -> None:
    """``sockets`` subscribed to ``topic`` on ``delivering`` (a hub of its own, without its
    channel-layer tasks: these tests are about what it writes to its local sockets)."""
    for socket in sockets:
        subscription = socket.subscription(topic, last_seq=last_seq)
        delivering.topics.setdefault(topic, set()).add(subscription)


async def test_a_batch_of_frames_is_one_write_per_socket_of_the_same_texts():
    """A group commit's messages to one channel: each socket is written once, all frames in
    order, and every socket is handed the very same sequence (framed once for all)."""
    delivering = TopicHub()
    first, second = WritesNow(), WritesNow()
    subscribed(delivering, "batch.1", first, second)

    await delivering.dispatch_many("batch.1", [(1, "one"), (2, "two"), (3, "three")])

    assert first.calls == second.calls == [(["one", "two", "three"], 11)]
    assert first.calls[0][0] is second.calls[0][0]


async def test_a_socket_that_has_part_of_a_batch_is_written_only_the_rest():
    delivering = TopicHub()
    behind, ahead = WritesNow(), WritesNow()
    subscribed(delivering, "batch.2", behind)
    subscribed(delivering, "batch.2", ahead, last_seq=2)  # its resume already sent 1 and 2

    await delivering.dispatch_many("batch.2", [(1, "one"), (2, "two"), (3, "three")])
    await delivering.dispatch_many("batch.2", [(3, "three"), (4, "four")])  # 3 again: a duplicate

    assert behind.calls == [(["one", "two", "three"], 11), (["four"], 4)]
    assert ahead.calls == [(["three"], 5), (["four"], 4)]


async def test_frames_a_socket_does_not_take_at_once_are_sent_one_by_one_in_order():
    """A socket whose protocol cannot write now (not open yet, another server, a frame over
    Daphne's limits) still gets every frame, in order, through its ``write``."""
    delivering = TopicHub()
    declining, taking = WritesNow(takes=False), WritesNow()
    subscribed(delivering, "batch.3", declining, taking)

    await delivering.dispatch_many("batch.3", [(1, "one"), (2, "two")])
    await delivering.dispatch_many("batch.3", [(3, "three")])

    assert declining.later == ["one", "two", "three"]
    assert declining.calls == []
    assert taking.calls == [(["one", "two"], 6), (["three"], 5)]


async def test_a_large_batch_is_written_in_runs_of_bounded_size():
    """A socket's bound (``WEBSOCKET_SEND_QUEUE_MAX_*``) judges each write: a batch of hundreds
    of messages, or one of long messages, goes in several writes, in order."""
    delivering = TopicHub()
    socket = WritesNow()
    subscribed(delivering, "batch.4", socket)
    many = [(seq, f"m{seq}") for seq in range(1, 251)]
    long = [(seq, "x" * 40_000) for seq in range(251, 254)]

    await delivering.dispatch_many("batch.4", many + long)

    # At most 100 frames a write; a run ends at the frame that takes it to 64K characters.
    assert [len(texts) for texts, _size in socket.calls] == [100, 100, 52, 1]
    assert [text for texts, _size in socket.calls for text in texts] == [t for _s, t in many + long]
    assert [size for _texts, size in socket.calls][-2:] == [50 * 4 + 80_000, 40_000]


class Stored:
    """A topic source (prefix ``prefix``) whose database has every seq but ``erased``, and
    that records each read."""

    def __init__(self, prefix: str, *, erased: frozenset[int] = frozenset()) -> None:
        self.prefix, self.erased = prefix, erased
        self.reads: list[tuple[int, int]] = []

    async def backfill(self, topic: str, after: int, before: int) -> list[tuple[int, str]]:
        self.reads.append((after, before))
        return [
            (seq, f"stored {seq}") for seq in range(after + 1, before) if seq not in self.erased
        ]

    async def head(self, topic: str) -> int:
        return 0

    def __enter__(self) -> "Stored":
        topic_source_register(prefix=self.prefix, source=TopicSource(self.backfill, self.head))
        return self

    def __exit__(self, *exc: object) -> None:
        _sources.pop(self.prefix)


def delivered_up_to(topic: str, head: int) -> tuple[TopicHub, WritesNow]:
    """A hub of its own with one socket subscribed to ``topic``, which has had frames up to
    ``head``."""
    delivering = TopicHub()
    socket = WritesNow()
    subscribed(delivering, topic, socket)
    delivering.heads[topic] = head
    return delivering, socket


async def test_frames_after_a_hole_wait_for_the_missing_ones_and_go_with_them(settings):
    """Two processes publishing to one channel: this one committed 5 and 6 after another
    process committed 3 and 4, whose frames are still on the layer. 5 and 6 wait for them and
    all four go in one write, in order, with no database read."""
    settings.CHAT_FANOUT_HOLE_WAIT_SECONDS = 5
    delivering, socket = delivered_up_to("holes.1", 2)  # frames 1 and 2 were delivered
    with Stored("holes") as stored:
        await delivering.dispatch_many("holes.1", [(5, "five"), (6, "six")])
        assert socket.calls == []  # held
        await delivering.dispatch_many("holes.1", [(2, "two again"), (3, "three"), (4, "four")])

    assert socket.calls == [(["three", "four", "five", "six"], 16)]
    assert stored.reads == []
    assert delivering.heads["holes.1"] == 6
    assert not delivering.held and not delivering.hole_timers


async def test_a_hole_still_open_after_the_wait_is_filled_from_the_database_first(settings):
    settings.CHAT_FANOUT_HOLE_WAIT_SECONDS = 0.05
    delivering, socket = delivered_up_to("holes.2", 2)
    with Stored("holes") as stored:
        await delivering.dispatch_many("holes.2", [(2, "two again"), (5, "five"), (6, "six")])
        await asyncio.sleep(0.3)
        # The layer's copies of 3 and 4 come late: dropped, already sent.
        await delivering.dispatch_many("holes.2", [(3, "three"), (4, "four"), (7, "seven")])

    assert socket.calls == [
        (["stored 3", "stored 4", "five", "six"], 23),
        (["seven"], 5),
    ]
    assert stored.reads == [(2, 5)]
    assert delivering.heads["holes.2"] == 7


async def test_frames_after_a_hole_nobody_can_fill_are_not_held_for_good(settings):
    """Seq 3 is in neither the layer nor the database (erased since): after the wait, 4 and 5
    go anyway, and what comes next flows."""
    settings.CHAT_FANOUT_HOLE_WAIT_SECONDS = 0.05
    delivering, socket = delivered_up_to("holes.3", 2)
    with Stored("holes", erased=frozenset({3})):
        await delivering.dispatch_many("holes.3", [(4, "four"), (5, "five")])
        await asyncio.sleep(0.3)
        await delivering.dispatch_many("holes.3", [(6, "six")])

    assert socket.calls == [(["four", "five"], 8), (["six"], 3)]
    assert delivering.heads["holes.3"] == 6
    assert not delivering.held and not delivering.hole_timers


async def test_held_frames_are_forgotten_with_the_last_subscriber(settings):
    settings.CHAT_FANOUT_HOLE_WAIT_SECONDS = 0.05
    delivering, socket = delivered_up_to("holes.4", 2)
    delivering.channel_name = "hub-of-this-test"
    delivering.ready["holes.4"] = asyncio.Event()
    delivering.ready["holes.4"].set()
    with Stored("holes") as stored:
        await delivering.dispatch_many("holes.4", [(5, "five")])
        (subscription,) = delivering.topics["holes.4"]
        await delivering.unsubscribe(subscription)
        await asyncio.sleep(0.3)

    assert socket.calls == [] and stored.reads == []
    assert not delivering.held and not delivering.hole_timers


async def test_a_slow_layer_makes_frames_wait_longer_before_the_database_is_read(settings):
    """Under load the other processes' frames come later: the wait is twice the layer's recent
    lag (within its bounds), so a late batch is still taken from the layer, not the database."""
    settings.CHAT_FANOUT_HOLE_WAIT_SECONDS = 0.05
    settings.CHAT_FANOUT_HOLE_WAIT_MAX_SECONDS = 2
    delivering, socket = delivered_up_to("holes.5", 2)
    delivering.layer_lag = 0.4  # as measured on the layer's recent messages
    with Stored("holes") as stored:
        await delivering.dispatch_many("holes.5", [(4, "four")])
        await asyncio.sleep(0.4)  # past the floor, within twice the lag
        await delivering.dispatch_many("holes.5", [(3, "three")])

    assert socket.calls == [(["three", "four"], 9)]
    assert stored.reads == []
    assert delivering.hole_wait() == 0.8
    delivering.layer_lag = 5.0
    assert delivering.hole_wait() == 2
