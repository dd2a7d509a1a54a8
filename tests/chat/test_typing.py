"""Typing frames are limited per player per channel; the excess is acknowledged and dropped."""

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from apps.chat.channels import lobby_channel_get_or_create
from tests.chat.support import open_socket
from tests.factories import TitleFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@override_settings(CHAT_TYPING_BURST=3, CHAT_TYPING_PER_SECOND=0.001)
async def test_typing_beyond_the_burst_is_dropped_per_player_and_channel(lobby, alice, bob):
    other_title = await database_sync_to_async(TitleFactory)(slug="tide-runners")
    other = await database_sync_to_async(lobby_channel_get_or_create)(title=other_title)
    typist, reader = await open_socket(alice.user), await open_socket(bob.user)
    for socket in (typist, reader):
        channels = [{"channel_id": lobby.id}, {"channel_id": other.id}]
        await socket.call({"type": "subscribe", "channels": channels})

    acks = [await typist.call({"type": "typing", "channel_id": lobby.id}) for _ in range(5)]
    in_other_channel = await typist.call({"type": "typing", "channel_id": other.id})
    from_bob = await reader.call({"type": "typing", "channel_id": lobby.id})
    frames = [await reader.next_of("typing") for _ in range(5)]

    assert [(ack["type"], ack["dropped"]) for ack in acks] == [("ack", False)] * 3 + [
        ("ack", True)
    ] * 2
    assert in_other_channel["dropped"] is False
    assert from_bob["dropped"] is False
    assert [(f["channel_id"], f["player"]["id"]) for f in frames] == [
        (lobby.id, alice.id), (lobby.id, alice.id), (lobby.id, alice.id), (other.id, alice.id),
        (lobby.id, bob.id),
    ]  # fmt: skip
    assert await reader.nothing_more()
    assert typist.welcome["limits"]["typing"] == {"burst": 3, "per_second": 0.001}
    await typist.close()
    await reader.close()
