"""The reference client keeps its player online for as long as it is connected, however idle:
it pings every ``limits.heartbeat_seconds``, and the server forgets a socket that has not
pinged within ``PLAYERS_PRESENCE_TTL_SECONDS`` (real Daphne, Redis and PostgreSQL)."""

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from community_chat import ChatClient
from django.db import connection

from apps.accounts.services import api_token_create
from apps.players.models import Player
from apps.players.presence import presence_states
from tests.support.live import run_daphne

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# A presence timeout of seconds instead of 90, and a heartbeat inside it, as in production
# (30 s inside 90 s).
SHORT_PRESENCE = {"PLAYERS_PRESENCE_TTL_SECONDS": "3", "CHAT_HEARTBEAT_SECONDS": "1"}


def token(player: Player) -> str:
    return api_token_create(user=player.user, name="presence").secret


@sync_to_async
def status_of(player: Player) -> str:
    return presence_states(players=[player])[player.id].status


@sync_to_async
def close_orm_connection() -> None:
    """The connection ``status_of`` opened in its worker thread (it would outlive the test)."""
    connection.close()


async def wait_for_status(player: Player, status: str, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while await status_of(player) != status:
            await asyncio.sleep(0.2)


def test_an_idle_reference_client_shows_online_after_longer_than_the_presence_timeout(
    live_tmp, alice, bob
):
    secrets = {alice.id: token(alice), bob.id: token(bob)}

    async def scenario(url: str) -> tuple[str, str, int]:
        client = ChatClient(url, secrets[alice.id])  # the server's heartbeat interval
        await client.connect()
        await wait_for_status(alice, "online")
        # The control: a socket opened after the client's that never pings. Once its player
        # is offline, a whole presence timeout has passed since the client connected too.
        subprotocols = ["community.v1", f"bearer.{secrets[bob.id]}"]
        async with websockets.connect(url, subprotocols=subprotocols) as silent:  # type: ignore[arg-type]
            await silent.send(json.dumps({"type": "hello", "id": "h"}))
            await silent.recv()
            await wait_for_status(bob, "online")
            await wait_for_status(bob, "offline")
            statuses = (await status_of(alice), await status_of(bob))
        pongs = client.pongs
        await client.close()
        await close_orm_connection()
        return *statuses, pongs

    with run_daphne(live_tmp, **SHORT_PRESENCE) as server:
        idle_client, silent_socket, pongs = asyncio.run(scenario(server.ws_url))

    assert (idle_client, silent_socket) == ("online", "offline")
    assert pongs >= 1
