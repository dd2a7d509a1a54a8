"""Protocol conformance against the real ASGI app (docs/websocket-protocol.md)."""

import pytest
from channels.db import database_sync_to_async

from apps.chat.models import Message
from tests.chat.support import message_resume, open_socket, settle

pytestmark = pytest.mark.django_db(transaction=True)


async def test_welcome_announces_the_player_and_limits(alice):
    socket = await open_socket(alice.user)

    assert socket.welcome["type"] == "welcome"
    assert socket.welcome["player_id"] == alice.id
    assert socket.welcome["limits"]["max_message_length"] == 2000
    assert socket.welcome["limits"]["max_subscriptions"] == 100
    await socket.close()


async def test_a_message_reaches_every_subscriber_in_sequence(lobby, alice, bob):
    sender = await open_socket(alice.user)
    reader = await open_socket(bob.user)
    for socket in (sender, reader):
        reply = await socket.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})
        assert [message_resume(entry) for entry in reply["channels"]] == [
            {"channel_id": lobby.id, "resume": "none", "head_seq": 0, "replayed": 0}
        ]

    sent = await sender.call(
        {"type": "send", "channel_id": lobby.id, "body": "gl hf", "client_msg_id": "c1"}
    )
    received = await reader.next_of("message")

    assert sent["type"] == "sent"
    assert sent["duplicate"] is False
    assert sent["message"]["seq"] == 1
    assert received["channel_id"] == lobby.id
    assert received["message"]["body"] == "gl hf"
    assert received["message"]["author"] == {"id": alice.id, "display_name": "alice"}
    assert (await sender.next_of("message"))["message"]["seq"] == 1
    await sender.close()
    await reader.close()


async def test_a_retried_send_stores_one_message(lobby, alice):
    socket = await open_socket(alice.user)
    frame = {"type": "send", "channel_id": lobby.id, "body": "once", "client_msg_id": "same"}

    first = await socket.call(frame)
    second = await socket.call(frame)

    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert first["message"]["id"] == second["message"]["id"]
    assert await database_sync_to_async(Message.objects.count)() == 1
    await socket.close()


async def test_resume_replays_exactly_the_missed_messages(lobby, alice, bob):
    sender = await open_socket(alice.user)
    for number in range(1, 6):
        await sender.call({"type": "send", "channel_id": lobby.id, "body": f"m{number}"})
    reader = await open_socket(bob.user)

    reply = await reader.call(
        {"type": "subscribe", "channels": [{"channel_id": lobby.id, "last_seq": 2}]}
    )
    replayed = await reader.messages(3)
    await sender.call({"type": "send", "channel_id": lobby.id, "body": "m6"})
    live = await reader.messages(1)

    assert reply["channels"][0]["resume"] == "replayed"
    assert reply["channels"][0]["replayed"] == 3
    assert [m["seq"] for m in replayed + live] == [3, 4, 5, 6]
    await settle()
    assert await reader.nothing_more(), reader.inbox
    await sender.close()
    await reader.close()


async def test_resume_beyond_the_bound_asks_for_history_and_then_continues_live(
    lobby, alice, bob, settings
):
    settings.CHAT_RESUME_MAX_MESSAGES = 2
    sender = await open_socket(alice.user)
    for number in range(1, 5):
        await sender.call({"type": "send", "channel_id": lobby.id, "body": f"m{number}"})
    reader = await open_socket(bob.user)

    reply = await reader.call(
        {"type": "subscribe", "channels": [{"channel_id": lobby.id, "last_seq": 1}]}
    )
    history = await reader.call({"type": "history", "channel_id": lobby.id, "after": 1})
    await sender.call({"type": "send", "channel_id": lobby.id, "body": "m5"})
    live = await reader.messages(1)

    assert [message_resume(entry) for entry in reply["channels"]] == [
        {"channel_id": lobby.id, "resume": "history_required", "head_seq": 4, "replayed": 0}
    ]
    assert [m["seq"] for m in history["messages"]] == [2, 3, 4]
    assert [m["seq"] for m in live] == [5]
    await sender.close()
    await reader.close()


async def test_unsubscribe_stops_live_frames_and_ping_and_versions(lobby, alice, bob):
    sender = await open_socket(alice.user)
    reader = await open_socket(bob.user)
    await reader.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})

    unsubscribed = await reader.call({"type": "unsubscribe", "channels": [lobby.id]})
    await sender.call({"type": "send", "channel_id": lobby.id, "body": "unseen"})
    pong = await reader.call({"type": "ping"})
    future_version = await reader.call({"type": "hello", "version": 99})

    assert unsubscribed["channels"] == [lobby.id]
    assert pong["type"] == "pong"
    assert (future_version["code"], future_version["details"]) == (
        "unsupported_version", {"supported": [1]},
    )  # fmt: skip
    assert await reader.nothing_more()
    await sender.close()
    await reader.close()
