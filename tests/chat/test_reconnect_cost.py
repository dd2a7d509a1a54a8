"""What a reconnect asks PostgreSQL. After a node dies all its players come back at once, so
a reconnect (bearer handshake, ``hello``, ``subscribe`` resuming a channel) must cost as few
queries as it can — without ever seeing a stale answer: a revoked token and a ban are refused
on the next connect (the token's row is kept per process only while its user's version in
Redis is unchanged: apps/accounts/token_cache.py), and a membership is read afresh on every
connect. Queries are counted where they leave Django for the database, on every thread the
socket's work runs on."""

import asyncio
import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create, api_token_revoke
from apps.accounts.token_cache import local_state_clear as token_rows_clear
from apps.chat.actions import reaction_add
from apps.chat.models import Message
from apps.chat.reactions import default_reaction_emoji
from apps.moderation.sanctions import sanction_issue
from community.asgi import application
from tests.chat.support import TIMEOUT, open_socket, settle, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def queries(monkeypatch):
    """The SQL of every query sent from now on, from any thread."""
    sent: list[str] = []
    lock = threading.Lock()
    original = CursorWrapper._execute_with_wrappers

    def recording(self, sql, params, many, executor):
        with lock:
            sent.append(sql)
        return original(self, sql, params, many, executor)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", recording)
    return sent


def _react(message_id: int, player, emoji: str) -> None:
    reaction_add(message=Message.objects.get(id=message_id), player=player, emoji=emoji)


def _tables(sent: list[str]) -> list[str]:
    """The table of each query's first selected column (``SELECT "table"."column"``)."""
    return [sql.split('"', 2)[1] for sql in sent]


async def test_a_reconnect_authenticates_and_sets_up_with_the_token_query_alone(alice, queries):
    token = await token_for(alice.user)
    # Still online (another socket, or the dead node's presence not yet expired): the
    # reconnect announces no presence change, which would read the player's friends.
    online = await open_socket(token=token)
    queries.clear()

    socket = await open_socket(token=token)
    on_this_node = list(queries)
    # Another node, which never saw this token (the clients of a node that died).
    token_rows_clear()
    queries.clear()
    elsewhere = await open_socket(token=token)

    assert socket.welcome["player_id"] == alice.id
    assert elsewhere.welcome["player_id"] == alice.id
    assert _tables(on_this_node) == []  # the token's row kept: nothing to ask
    assert _tables(queries) == ["accounts_apitoken"]
    for opened in (socket, elsewhere, online):
        await opened.close()


async def test_a_banned_players_token_is_still_refused_with_the_sanction(alice):
    token = await token_for(alice.user)
    await database_sync_to_async(sanction_issue)(player=alice, kind="ban", reason="abuse")
    communicator = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{token}"]
    )
    await communicator.connect(timeout=TIMEOUT)

    told = await communicator.receive_json_from(timeout=TIMEOUT)
    refused = await communicator.receive_json_from(timeout=TIMEOUT)
    closed = await communicator.receive_output(timeout=TIMEOUT)

    assert (told["type"], told["kind"], told["reason"]) == ("sanction", "ban", "abuse")
    assert refused["code"] == "banned"
    assert closed == {"type": "websocket.close", "code": 4008}
    await communicator.disconnect()


async def test_a_token_revoked_or_expired_since_the_last_connect_is_refused(alice, bob):
    revoked = await token_for(alice.user)
    expires_at = timezone.now() + timedelta(seconds=1.5)
    expired = (await database_sync_to_async(api_token_create)(
        user=bob.user, name="game client", expires_at=expires_at
    )).secret  # fmt: skip
    for token in (revoked, expired):
        first = await open_socket(token=token)
        await first.close()
    await database_sync_to_async(api_token_revoke)(
        token=await ApiToken.objects.aget(user=alice.user)
    )
    await asyncio.sleep(max(0.0, (expires_at - timezone.now()).total_seconds()) + 0.1)

    outcomes = []
    for token in (revoked, expired):
        communicator = WebsocketCommunicator(
            application, "/ws/", subprotocols=["community.v1", f"bearer.{token}"]
        )
        outcomes.append(await communicator.connect(timeout=TIMEOUT))
        await communicator.disconnect()

    assert outcomes == [(False, 1000), (False, 1000)]


async def test_a_members_resume_reads_the_channel_the_messages_and_their_reactions_only(
    lobby, alice, bob, queries
):
    sender = await open_socket(alice.user)  # keeps the lobby carried by this process
    await sender.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})
    sent = [
        await sender.call({"type": "send", "channel_id": lobby.id, "body": f"m{number}"})
        for number in range(1, 4)
    ]
    emoji = default_reaction_emoji()[0]
    await database_sync_to_async(_react)(sent[1]["message"]["id"], bob, emoji)
    reader = await open_socket(bob.user)
    await reader.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})
    await reader.close()  # bob is a member of the lobby now
    await settle()
    again = await open_socket(bob.user)
    queries.clear()

    reply = await again.call(
        {"type": "subscribe", "channels": [{"channel_id": lobby.id, "last_seq": 0}]}
    )
    replayed = await again.messages(3)

    assert _tables(queries) == ["chat_channel", "chat_message", "chat_reaction"]
    assert [entry["replayed"] for entry in reply["channels"]] == [3]
    assert reply["channels"][0]["reactions"] == default_reaction_emoji()
    assert [(m["body"], m["reactions"]) for m in replayed] == [
        ("m1", []),
        ("m2", [{"emoji": emoji, "count": 1, "player_ids": [bob.id]}]),
        ("m3", []),
    ]
    await sender.close()
    await again.close()
