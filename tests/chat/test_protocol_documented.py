"""What docs/websocket-protocol.md promises a game-team integrator, one statement per test:
finding a title's lobby, frames before ``hello``, what ``channel_joined`` does and does not do,
``read`` pushes from REST, clamped values, one-way DMs, the Origin rule, client_msg_id scope."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from rest_framework.test import APIClient

from apps.chat.channels import announcement_channel_get_or_create, lobby_channel_get_or_create
from apps.chat.models import Channel, Message
from apps.chat.services import message_send
from apps.players.models import Privacy
from community.asgi import application
from tests.chat.support import ChatSocket, open_socket, settle, token_for
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def rest_client(player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


async def test_a_client_finds_its_titles_lobby_without_probing_ids(title, alice):
    kaiju = await database_sync_to_async(TitleFactory)(slug="kaiju-kingdoms", name="Kaiju")
    await database_sync_to_async(TitleFactory)(slug="retired", name="Retired", is_active=False)
    news = await database_sync_to_async(announcement_channel_get_or_create)(title=title)
    socket = await open_socket(alice.user)

    mine = await socket.call({"type": "lobbies", "title": "starfall-arena"})
    every = await socket.call({"type": "lobbies"})
    unknown = await socket.call({"type": "lobbies", "title": "retired"})
    lobby_id = mine["channels"][0]["id"]
    await socket.call({"type": "subscribe", "channels": [{"channel_id": lobby_id}]})
    sent = await socket.call({"type": "send", "channel_id": lobby_id, "body": "gl hf"})

    assert [(c["kind"], c["title"], c["locale"], c["can_send"]) for c in mine["channels"]] == [
        ("lobby", "starfall-arena", "", True), ("announcement", "starfall-arena", "", False),
    ]  # fmt: skip
    assert mine["channels"][1]["id"] == news.id
    assert [(c["title"], c["kind"]) for c in every["channels"]] == [
        ("kaiju-kingdoms", "lobby"),
        ("starfall-arena", "lobby"),
        ("starfall-arena", "announcement"),
    ]  # fmt: skip
    lobby = await database_sync_to_async(lobby_channel_get_or_create)(title=kaiju)
    assert every["channels"][0]["id"] == lobby.id  # made on first ask, the same ever after
    assert (unknown["code"], unknown["message"]) == ("unknown_title", "No such title.")
    assert (sent["type"], sent["message"]["seq"]) == ("sent", 1)
    await socket.close()


async def test_a_socket_authenticated_by_its_handshake_is_answered_before_any_hello(lobby, alice):
    token = await token_for(alice.user)
    communicator = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{token}"]
    )
    connected, _ = await communicator.connect(timeout=5)
    socket = ChatSocket(communicator)

    pong = await socket.call({"type": "ping"})
    subscribed = await socket.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})

    assert connected
    assert pong["type"] == "pong"
    assert subscribed["channels"][0]["channel_id"] == lobby.id
    await socket.close()


async def test_channel_joined_tells_but_does_not_subscribe(alice, bob):
    recipient = await open_socket(bob.user)

    opened = await database_sync_to_async(rest_client(alice).post)(
        "/api/v1/chat/direct-channels", {"player_id": bob.id}, format="json"
    )
    joined = await recipient.next_of("channel_joined")
    channel = await database_sync_to_async(Channel.objects.get)(id=joined["channel"]["id"])
    await database_sync_to_async(message_send)(channel=channel, author=alice, body="hey")
    await settle()
    quiet = await recipient.nothing_more()
    await recipient.call({"type": "subscribe", "channels": [{"channel_id": channel.id,
                                                               "last_seq": 0}]})  # fmt: skip
    replayed = await recipient.next_of("message")

    assert opened.status_code == 201
    assert quiet  # no message frame until subscribed
    assert replayed["message"]["body"] == "hey"
    await recipient.close()


async def test_a_rest_read_moves_the_marker_on_every_socket_and_is_clamped_to_the_head(
    lobby, alice, bob
):
    for body in ("one", "two"):
        await database_sync_to_async(message_send)(channel=lobby, author=alice, body=body)
    socket = await open_socket(bob.user)

    response = await database_sync_to_async(rest_client(bob).post)(
        f"/api/v1/chat/channels/{lobby.id}/read", {"seq": 99}, format="json"
    )
    pushed = await socket.next_of("read")

    assert response.json() == {"channel_id": lobby.id, "last_read_seq": 2}
    assert pushed == {"type": "read", "channel_id": lobby.id, "seq": 2}
    await socket.close()


@override_settings(CHAT_HISTORY_PAGE_MAX=3)
async def test_a_history_limit_above_the_page_maximum_is_clamped(lobby, alice):
    for number in range(5):
        await database_sync_to_async(message_send)(channel=lobby, author=alice, body=f"m{number}")
    socket = await open_socket(alice.user)

    page = await socket.call({"type": "history", "channel_id": lobby.id, "limit": 1000})

    assert socket.welcome["limits"]["history_page_max"] == 3
    assert [m["seq"] for m in page["messages"]] == [3, 4, 5]  # the newest, oldest first
    assert page["has_more"] is True
    await socket.close()


async def test_a_one_way_dm_says_who_may_send(alice, bob):
    bob.privacy = Privacy.FRIENDS  # alice is not his friend: she may not write to him
    await database_sync_to_async(bob.save)()
    writer, reader = await open_socket(bob.user), await open_socket(alice.user)

    sent = await writer.call({"type": "send", "to_player_id": alice.id, "body": "hi"})
    theirs = await writer.next_of("channel_joined")
    hers = await reader.next_of("channel_joined")
    refused = await reader.call({"type": "send", "channel_id": sent["channel_id"], "body": "yo"})
    listed = await database_sync_to_async(rest_client(alice).get)("/api/v1/chat/channels")

    assert (theirs["channel"]["can_send"], hers["channel"]["can_send"]) == (True, False)
    assert [(c["id"], c["can_send"]) for c in listed.json()] == [(sent["channel_id"], False)]
    assert refused["code"] == "blocked"
    assert await database_sync_to_async(Message.objects.count)() == 1
    await writer.close()
    await reader.close()


async def test_a_bearer_client_that_sends_an_origin_needs_an_allowed_origin(alice):
    token = await token_for(alice.user)

    async def handshake(origin: bytes) -> bool:
        communicator = WebsocketCommunicator(
            application, "/ws/", subprotocols=["community.v1", f"bearer.{token}"],
            headers=[(b"origin", origin)],
        )  # fmt: skip
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    with override_settings(WEBSOCKET_ALLOWED_ORIGINS=["https://play.example.com"]):
        listed = await handshake(b"https://play.example.com")
        other = await handshake(b"https://games.example.net")
        null = await handshake(b"null")

    assert (listed, other, null) == (True, False, False)


async def test_a_client_msg_id_is_unique_per_channel_and_author(title, lobby, alice, bob):
    other = await database_sync_to_async(lobby_channel_get_or_create)(title=title, locale="ja")
    alices, bobs = await open_socket(alice.user), await open_socket(bob.user)

    first = await alices.call({"type": "send", "channel_id": lobby.id, "body": "a",
                               "client_msg_id": "k"})  # fmt: skip
    retry = await alices.call({"type": "send", "channel_id": lobby.id, "body": "a",
                               "client_msg_id": "k"})  # fmt: skip
    elsewhere = await alices.call({"type": "send", "channel_id": other.id, "body": "a",
                                   "client_msg_id": "k"})  # fmt: skip
    someone_else = await bobs.call({"type": "send", "channel_id": lobby.id, "body": "b",
                                    "client_msg_id": "k"})  # fmt: skip

    assert [r["duplicate"] for r in (first, retry, elsewhere, someone_else)] == [
        False, True, False, False,
    ]  # fmt: skip
    assert await database_sync_to_async(Message.objects.count)() == 3
    await alices.close()
    await bobs.close()
