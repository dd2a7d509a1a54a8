"""The per-player socket cap: every open socket keeps its slot for as long as it is open (the
process refreshes all of its sockets' slots together), and a refused socket takes none."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from apps.chat.limits import socket_acquire
from apps.moderation.sanctions import sanction_issue
from community.asgi import application
from tests.chat.support import open_socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def _refusal_for_another_socket(user) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    communicator = WebsocketCommunicator(application, "/ws/")
    await communicator.connect(timeout=5)
    await communicator.send_json_to({"type": "hello", "id": 1, "token": await token_for(user)})
    frames = []
    while (output := await communicator.receive_output(timeout=5))["type"] != "websocket.close":
        frames.append(output)
    await communicator.disconnect()
    return frames[-1], output


@override_settings(CHAT_SOCKETS_PER_PLAYER=1, CHAT_SOCKET_SLOT_TTL_SECONDS=3)
async def test_an_open_socket_keeps_its_slot_past_the_slot_ttl(alice):
    socket = await open_socket(alice.user)

    await asyncio.sleep(4.5)  # past the TTL: only the refreshes keep the slot
    refused, close = await _refusal_for_another_socket(alice.user)

    assert '"too_many_sockets"' in refused["text"]
    assert close["code"] == 4029
    await socket.close()


@override_settings(CHAT_SOCKETS_PER_PLAYER=1)
async def test_a_banned_players_refused_socket_takes_no_slot(alice):
    await database_sync_to_async(sanction_issue)(player=alice, kind="ban", reason="abuse")

    refused, close = await _refusal_for_another_socket(alice.user)
    slot_free = await database_sync_to_async(socket_acquire)(
        user_id=alice.user.id, connection_id="probe", limit=1, ttl=90
    )

    assert '"banned"' in refused["text"]
    assert close["code"] == 4008
    assert slot_free is True
