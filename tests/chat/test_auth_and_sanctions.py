"""Who may open a socket, and moderation acting on open sockets at once."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.utils import timezone

from apps.chat.models import ChatToken, Message
from apps.chat.tokens import chat_token_issue
from apps.moderation.automod.services import filter_rule_save
from apps.moderation.models import FilterRule
from apps.moderation.sanctions import sanction_issue
from apps.players.models import PlayerIdentity
from community.asgi import application
from tests.chat.support import open_socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(subprotocols=None, headers=None):
    """Open a handshake; the caller disconnects the communicator even when it was refused, or
    the consumer's task outlives the test and stalls the event loop's shutdown."""
    communicator = WebsocketCommunicator(
        application, "/ws/", subprotocols=subprotocols or [], headers=headers or []
    )
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_a_bad_token_or_a_foreign_origin_is_refused_at_the_handshake(alice):
    bad, bad_connected, _ = await handshake(["community.v1", "bearer.ct_nope"])
    evil, evil_connected, _ = await handshake(headers=[(b"origin", b"https://evil.test")])

    assert bad_connected is False
    assert evil_connected is False
    await bad.disconnect()
    await evil.disconnect()


@override_settings(WEBSOCKET_AUTH_TIMEOUT_SECONDS=0.2)
async def test_a_socket_without_a_token_is_closed_after_the_auth_timeout():
    communicator, connected, _ = await handshake()

    closed = await communicator.receive_output(timeout=3)

    assert connected is True
    assert closed == {"type": "websocket.close", "code": 4001}


async def test_a_chat_token_minted_for_a_player_opens_a_socket_until_it_expires(title, alice):
    await database_sync_to_async(PlayerIdentity.objects.create)(
        player=alice, provider="steam", external_id="1", title=title
    )
    issued = await database_sync_to_async(chat_token_issue)(title=title, player=alice)

    socket = await open_socket(token=issued.token)
    await database_sync_to_async(ChatToken.objects.update)(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired, expired_connected, _ = await handshake(["community.v1", f"bearer.{issued.token}"])

    assert socket.welcome["player_id"] == alice.id
    assert expired_connected is False
    await socket.close()
    await expired.disconnect()


async def test_a_muted_player_is_told_and_cannot_send(lobby, alice):
    socket = await open_socket(alice.user)

    issued = await database_sync_to_async(sanction_issue)(
        player=alice, kind="chat_mute", reason="spam", reason_category="spam"
    )
    sanction = await socket.next_of("sanction")
    refused = await socket.call({"type": "send", "channel_id": lobby.id, "body": "hi"})

    assert sanction == {
        "type": "sanction", "id": issued.id, "status": "active", "kind": "chat_mute",
        "title": None, "reason_category": "spam", "reason": "spam", "until": None,
        "appeal_url": None,  # a muted player can log in and appeal from "My sanctions"
    }  # fmt: skip
    assert refused["code"] == "muted"
    assert await database_sync_to_async(Message.objects.count)() == 0
    await socket.close()


async def test_a_ban_closes_open_sockets_at_once_and_refuses_new_ones(lobby, alice):
    first = await open_socket(alice.user)
    second = await open_socket(alice.user)

    await database_sync_to_async(sanction_issue)(player=alice, kind="ban", reason="abuse")
    closes = []
    for socket in (first, second):
        assert (await socket.next_of("sanction"))["kind"] == "ban"
        closes.append(await socket.closed())
    again = WebsocketCommunicator(application, "/ws/")
    await again.connect(timeout=5)

    await again.send_json_to({"type": "hello", "id": 1, "token": await token_for(alice.user)})
    told = await again.receive_json_from(timeout=5)
    refused = await again.receive_json_from(timeout=5)
    refused_close = await again.receive_output(timeout=3)

    assert closes == [{"type": "websocket.close", "code": 4008}] * 2
    assert (told["type"], told["kind"], told["reason"]) == ("sanction", "ban", "abuse")
    assert told["appeal_url"].startswith("/moderation/appeal/")  # they cannot log in to appeal
    assert refused["code"] == "banned"
    assert refused_close == {"type": "websocket.close", "code": 4008}


@override_settings(CHAT_SOCKETS_PER_PLAYER=2)
async def test_sockets_per_player_are_capped(alice):
    sockets = [await open_socket(alice.user) for _ in range(2)]
    communicator = WebsocketCommunicator(application, "/ws/")
    await communicator.connect(timeout=5)

    await communicator.send_json_to(
        {"type": "hello", "id": 1, "token": await token_for(alice.user)}
    )
    refused = await communicator.receive_json_from(timeout=5)
    close = await communicator.receive_output(timeout=3)
    await sockets[0].close()
    await asyncio.sleep(0.05)
    replacement = await open_socket(alice.user)

    assert refused["code"] == "too_many_sockets"
    assert close == {"type": "websocket.close", "code": 4029}
    assert replacement.welcome["type"] == "welcome"
    await sockets[1].close()
    await replacement.close()


async def test_the_word_filter_blocks_masks_and_flags_before_storing(title, lobby, alice):
    for pattern, action in (("badword", "block"), ("darn", "mask"), ("sus", "flag")):
        await database_sync_to_async(filter_rule_save)(
            rule=FilterRule(title=title, pattern=pattern, action=action)
        )
    socket = await open_socket(alice.user)

    blocked = await socket.call({"type": "send", "channel_id": lobby.id, "body": "b4dw0rd!"})
    masked = await socket.call({"type": "send", "channel_id": lobby.id, "body": "oh DARN it"})
    flagged = await socket.call({"type": "send", "channel_id": lobby.id, "body": "so sus"})

    assert blocked["code"] == "message_rejected"
    assert masked["message"]["body"] == "oh **** it"
    assert flagged["message"]["body"] == "so sus"
    stored = await database_sync_to_async(list)(
        Message.objects.order_by("seq").values_list("seq", "body", "is_flagged")
    )
    assert stored == [(1, "oh **** it", False), (2, "so sus", True)]
    await socket.close()
