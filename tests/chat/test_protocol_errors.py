"""Every error code of the protocol, answered as documented; the socket stays usable."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from apps.chat.channels import announcement_channel_get_or_create, direct_channel_get_or_create
from apps.chat.models import Message
from tests.chat.support import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_still_usable(socket) -> None:
    assert (await socket.call({"type": "ping"}))["type"] == "pong"


async def test_malformed_unknown_and_binary_frames_are_refused_and_the_socket_stays_usable(
    alice,
):
    socket = await open_socket(alice.user)
    communicator = socket.communicator

    await communicator.send_to(text_data="{not json")
    malformed = await socket.next_of("error")
    await communicator.send_to(text_data=json.dumps([1, 2]))
    not_object = await socket.next_of("error")
    await communicator.send_to(bytes_data=b"\x00\x01")
    binary = await socket.next_of("error")
    unknown = await socket.call({"type": "teleport"})

    assert (malformed["type"], malformed["code"]) == ("error", "invalid_frame")
    assert not_object["code"] == "invalid_frame"
    assert binary == {"type": "error", "id": None, "code": "invalid_frame",
                      "message": "Binary frames are not supported."}  # fmt: skip
    assert unknown == {
        "type": "error", "id": unknown["id"], "code": "unknown_type",
        "message": "Unknown frame type 'teleport'.",
    }  # fmt: skip
    await assert_still_usable(socket)
    await socket.close()


async def test_invalid_fields_answer_invalid_frame(lobby, alice):
    socket = await open_socket(alice.user)

    no_channels = await socket.call({"type": "subscribe"})
    bad_seq = await socket.call(
        {"type": "subscribe", "channels": [{"channel_id": lobby.id, "last_seq": "x"}]}
    )
    bad_client_id = await socket.call(
        {"type": "send", "channel_id": lobby.id, "body": "x", "client_msg_id": 5}
    )

    assert no_channels["code"] == "invalid_frame"
    assert bad_seq["code"] == "invalid_frame"
    assert bad_seq["details"] == {"field": "last_seq", "index": 0}
    assert bad_client_id["details"] == {"field": "client_msg_id"}
    assert await database_sync_to_async(Message.objects.count)() == 0
    await assert_still_usable(socket)
    await socket.close()


async def test_a_player_cannot_subscribe_to_or_send_in_a_dm_they_are_not_in(alice, bob, carol):
    dm = await database_sync_to_async(direct_channel_get_or_create)(first=alice, second=bob)
    intruder = await open_socket(carol.user)

    subscribed = await intruder.call({"type": "subscribe", "channels": [{"channel_id": dm.id}]})
    sent = await intruder.call({"type": "send", "channel_id": dm.id, "body": "hi"})
    history = await intruder.call({"type": "history", "channel_id": dm.id})
    missing = await intruder.call({"type": "history", "channel_id": 999_999})

    assert subscribed["channels"] == []
    assert subscribed["errors"] == [
        {"channel_id": dm.id, "code": "unknown_channel", "message": "No such channel."}
    ]
    assert sent["code"] == "unknown_channel"
    assert history["code"] == "unknown_channel"
    assert missing["code"] == "unknown_channel"
    assert await database_sync_to_async(Message.objects.count)() == 0
    await intruder.close()


async def test_players_cannot_post_in_announcements(title, alice):
    channel = await database_sync_to_async(announcement_channel_get_or_create)(title=title)
    socket = await open_socket(alice.user)

    refused = await socket.call({"type": "send", "channel_id": channel.id, "body": "hi"})

    assert refused["code"] == "forbidden"
    await socket.close()


async def test_empty_and_too_long_messages_are_refused(lobby, alice):
    socket = await open_socket(alice.user)

    empty = await socket.call({"type": "send", "channel_id": lobby.id, "body": "   "})
    too_long = await socket.call({"type": "send", "channel_id": lobby.id, "body": "x" * 2001})
    longest = await socket.call({"type": "send", "channel_id": lobby.id, "body": "x" * 2000})

    assert empty["code"] == "empty_message"
    assert too_long["code"] == "too_long"
    assert too_long["details"] == {"max_length": 2000}
    assert longest["type"] == "sent"
    assert await database_sync_to_async(Message.objects.count)() == 1
    await socket.close()


@override_settings(CHAT_SUBSCRIPTIONS_PER_SOCKET=1)
async def test_subscriptions_per_socket_are_capped(title, lobby, alice):
    other = await database_sync_to_async(announcement_channel_get_or_create)(title=title)
    socket = await open_socket(alice.user)

    first = await socket.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})
    second = await socket.call({"type": "subscribe", "channels": [{"channel_id": other.id}]})
    again = await socket.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})

    assert first["type"] == "subscribed"
    assert (second["code"], second["details"]) == ("too_many_subscriptions", {"max": 1})
    assert again["type"] == "subscribed"
    await socket.close()


@override_settings(CHAT_RATE_PLAYER_CAPACITY=3, CHAT_RATE_PLAYER_PER_SECOND=0.1)
async def test_sending_faster_than_the_bucket_is_rate_limited_with_retry_after(lobby, alice):
    socket = await open_socket(alice.user)

    replies = [
        await socket.call({"type": "send", "channel_id": lobby.id, "body": f"m{n}"})
        for n in range(4)
    ]

    assert [reply["type"] for reply in replies] == ["sent", "sent", "sent", "error"]
    assert replies[3]["code"] == "rate_limited"
    assert replies[3]["details"]["retry_after"] == 10
    assert await database_sync_to_async(Message.objects.count)() == 3
    await socket.close()


async def test_slow_mode_allows_one_message_per_interval(lobby, alice, bob):
    lobby.slow_mode_seconds = 30
    await database_sync_to_async(lobby.save)()
    socket = await open_socket(alice.user)
    other = await open_socket(bob.user)

    first = await socket.call({"type": "send", "channel_id": lobby.id, "body": "one"})
    second = await socket.call({"type": "send", "channel_id": lobby.id, "body": "two"})
    someone_else = await other.call({"type": "send", "channel_id": lobby.id, "body": "three"})

    assert first["type"] == "sent"
    assert second["code"] == "rate_limited"
    assert 29 <= second["details"]["retry_after"] <= 30
    assert someone_else["type"] == "sent"
    await socket.close()
    await other.close()


async def test_chat_frames_before_hello_need_authentication(lobby):
    from channels.testing import WebsocketCommunicator

    from community.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/")
    connected, _ = await communicator.connect(timeout=5)
    await communicator.send_json_to({"type": "subscribe", "id": 1, "channels": []})
    reply = await communicator.receive_json_from(timeout=5)

    assert connected
    assert reply["code"] == "not_authenticated"
    await communicator.disconnect()
