"""Subscribing to a channel this process already carries (the common reconnect): the
subscription opens before the player's rights are read, so one database hop authorizes it and
reads what it missed — and a player who may not read it still gets nothing from it."""

import pytest
from channels.db import database_sync_to_async

from apps.chat.channels import direct_channel_get_or_create
from tests.chat.support import message_resume, open_socket, settle

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_carried_channel_the_player_may_not_read_is_refused_and_sends_nothing(
    alice, bob, carol
):
    dm = await database_sync_to_async(direct_channel_get_or_create)(first=alice, second=bob)
    member = await open_socket(alice.user)
    await member.call({"type": "subscribe", "channels": [{"channel_id": dm.id}]})
    outsider = await open_socket(carol.user)

    reply = await outsider.call(
        {"type": "subscribe", "channels": [{"channel_id": dm.id, "last_seq": 0}]}
    )
    await member.call({"type": "send", "channel_id": dm.id, "body": "just us"})
    await member.next_of("message")
    await settle()

    assert reply["channels"] == []
    assert [entry["code"] for entry in reply["errors"]] == ["unknown_channel"]
    assert await outsider.nothing_more(), outsider.inbox
    await member.close()
    await outsider.close()


async def test_a_reconnect_to_a_carried_channel_resumes_with_no_gap_and_no_duplicate(
    lobby, alice, bob
):
    sender = await open_socket(alice.user)
    await sender.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})
    for number in range(1, 5):
        await sender.call({"type": "send", "channel_id": lobby.id, "body": f"m{number}"})
    reader = await open_socket(bob.user)

    reply = await reader.call(
        {"type": "subscribe", "channels": [{"channel_id": lobby.id, "last_seq": 1}]}
    )
    await sender.call({"type": "send", "channel_id": lobby.id, "body": "m5"})
    received = await reader.messages(4)

    assert [message_resume(entry) for entry in reply["channels"]] == [
        {"channel_id": lobby.id, "resume": "replayed", "head_seq": 4, "replayed": 3}
    ]
    assert [message["seq"] for message in received] == [2, 3, 4, 5]
    await settle()
    assert await reader.nothing_more(), reader.inbox
    await sender.close()
    await reader.close()
