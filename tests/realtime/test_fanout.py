"""Node-local fan-out: frames a lossy layer dropped are filled from the database, in order."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.db import OperationalError, transaction

from apps.chat.admission import Pending
from apps.chat.commit import store_batch
from apps.chat.services import message_send
from apps.realtime.fanout import Subscription, TopicSource, _sources, hub, topic_source_register
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
