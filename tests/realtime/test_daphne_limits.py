"""Daphne as we start it (``community.server``): what a client sees when a frame is too big."""

import asyncio
import json

import pytest
import websockets
from django.conf import settings

from apps.accounts.services import api_token_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


async def _oversized_then_closed(url: str, token: str, size: int) -> tuple[dict, int | None, str]:
    async with websockets.connect(
        url, subprotocols=["community.v1", f"bearer.{token}"], max_size=2**20
    ) as socket:
        await socket.send(json.dumps({"type": "hello", "id": "h"}))
        welcome = json.loads(await socket.recv())
        while welcome.get("id") != "h":  # presence frames of apps.players come first
            welcome = json.loads(await socket.recv())
        await socket.send(json.dumps({"type": "ping", "pad": "x" * size}))
        async with asyncio.timeout(10):
            await socket.wait_closed()
        return welcome, socket.close_code, socket.close_reason


def test_a_frame_over_the_limit_closes_the_socket_with_1009(daphne_server, alice):
    token = api_token_create(user=alice.user, name="limits").secret
    limit = settings.WEBSOCKET_MAX_MESSAGE_BYTES

    welcome, code, reason = asyncio.run(
        _oversized_then_closed(daphne_server.ws_url, token, limit + 1)
    )

    assert welcome["limits"]["max_frame_bytes"] == limit
    assert code == 1009  # a close frame the client can act on, not a reset TCP connection (1006)
    assert "exceeds payload limit" in reason


async def _invalid_utf8_then_closed(url: str, token: str) -> int | None:
    async with websockets.connect(url, subprotocols=["community.v1", f"bearer.{token}"]) as socket:
        await socket.send(b'{"type": "ping", "x": "\xff"}', text=True)
        async with asyncio.timeout(10):
            await socket.wait_closed()
        return socket.close_code


def test_a_text_frame_that_is_not_utf8_closes_the_socket_with_1007(daphne_server, alice):
    token = api_token_create(user=alice.user, name="limits").secret

    assert asyncio.run(_invalid_utf8_then_closed(daphne_server.ws_url, token)) == 1007
