"""The channel layer's ``group_send`` (``apps.realtime.layer``): channels-redis' semantics —
every member channel gets the message, a channel at capacity gets nothing more, expired
members and expired messages are dropped — in two Redis round trips, on a real Redis."""

import asyncio
import uuid

import pytest
import redis
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from apps.realtime.layer import ChannelLayer

pytestmark = pytest.mark.redis


def layer_pair(**config):
    """Our layer and channels-redis' own on the same keys (a fresh prefix per test)."""
    ours, theirs, _ = layers(**config)
    return ours, theirs


def layers(**config):
    """Our layer and two of channels-redis' own (two processes: a process's channels share
    one Redis key, and its capacity) on the same keys."""
    config = {"hosts": [settings.REDIS_URL], "prefix": f"test-layer-{uuid.uuid4().hex}", **config}
    return ChannelLayer(**config), RedisChannelLayer(**config), RedisChannelLayer(**config)


async def received(layer, channel, timeout=2.0):
    try:
        return await asyncio.wait_for(layer.receive(channel), timeout)
    except TimeoutError:
        return None


async def test_every_member_gets_the_message_and_channels_redis_reads_it():
    ours, theirs = layer_pair()
    first, second = await theirs.new_channel(), await theirs.new_channel()
    for channel in (first, second):
        await ours.group_add("room", channel)

    await ours.group_send("room", {"type": "chat.frame", "text": "hello"})

    assert await received(theirs, first) == {"type": "chat.frame", "text": "hello"}
    assert await received(theirs, second) == {"type": "chat.frame", "text": "hello"}
    await ours.flush()


async def test_a_channel_at_capacity_gets_nothing_more():
    ours, theirs, another = layers(capacity=1)
    full, empty = await theirs.new_channel(), await another.new_channel()
    await ours.group_add("room", full)
    await ours.group_send("room", {"type": "one"})
    await ours.group_add("room", empty)

    await ours.group_send("room", {"type": "two"})  # full already holds "one"

    assert await received(another, empty) == {"type": "two"}
    assert await received(theirs, full) == {"type": "one"}
    assert await received(theirs, full, timeout=0.5) is None
    await ours.flush()


async def test_expired_messages_no_longer_count_against_capacity():
    ours, theirs = layer_pair(capacity=2, expiry=2)
    channel = await theirs.new_channel()
    await ours.group_add("room", channel)
    await ours.group_send("room", {"type": "old"})
    await asyncio.sleep(1.5)
    await ours.group_send("room", {"type": "newer"})  # keeps the channel's key alive

    await asyncio.sleep(1.5)  # "old" has expired, unread; "newer" has not
    await ours.group_send("room", {"type": "newest"})

    assert await received(theirs, channel) == {"type": "newer"}
    assert await received(theirs, channel) == {"type": "newest"}
    await ours.flush()


async def test_an_expired_member_is_dropped_from_the_group():
    ours, theirs = layer_pair(group_expiry=60)
    stale, live = await theirs.new_channel(), await theirs.new_channel()
    await ours.group_add("room", stale)
    await ours.group_add("room", live)
    client = redis.Redis.from_url(settings.REDIS_URL)
    group_key = ours._group_key("room")
    client.zadd(group_key, {stale: 1})  # joined long ago and never refreshed
    client.close()

    await ours.group_send("room", {"type": "news"})

    assert await received(theirs, live) == {"type": "news"}
    assert await received(theirs, stale, timeout=0.5) is None
    members = redis.Redis.from_url(settings.REDIS_URL).zrange(group_key, 0, -1)
    assert [member.decode() for member in members] == [live]
    await ours.flush()


async def test_a_server_that_forgot_the_script_is_sent_its_source():
    ours, theirs = layer_pair()
    channel = await theirs.new_channel()
    await ours.group_add("room", channel)
    redis.Redis.from_url(settings.REDIS_URL).script_flush()

    await ours.group_send("room", {"type": "after flush"})

    assert await received(theirs, channel) == {"type": "after flush"}
    await ours.flush()


async def test_the_sending_process_can_leave_its_own_channel_out():
    """A process that has written the frames to its own sockets sends them to the others only."""
    ours, theirs, another = layers()
    own, other = await theirs.new_channel(), await another.new_channel()
    for channel in (own, other):
        await ours.group_add("room", channel)

    await ours.group_send("room", {"type": "frames"}, exclude=own)

    assert await received(another, other) == {"type": "frames"}
    assert await received(theirs, own, timeout=0.5) is None
    await ours.flush()
