"""The reference client (clients/python/community_chat) through a Daphne that dies, and a send
whose answer is lost: it reconnects, resumes every channel with no gap and no duplicate, and
retries the unanswered send with its ``client_msg_id`` so it is stored once. Real Daphne
processes, PostgreSQL and Redis; the test kills only the Daphne it started."""

import asyncio
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg
import pytest
from community_chat import ChatClient
from django.db import connection
from django.utils import timezone

from apps.accounts.services import api_token_create
from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.models import ChatToken, Message
from apps.chat.tokens import chat_token_issue
from apps.players.models import PlayerIdentity
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory
from tests.support.live import free_port, run_daphne
from tests.support.live import test_database_url as database_url

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

FAST_LIMITS = {
    "CHAT_RATE_PLAYER_CAPACITY": "100000",
    "CHAT_RATE_CHANNEL_CAPACITY": "100000",
    "CHAT_FANOUT_REFRESH_SECONDS": "0.5",
}


@pytest.fixture
def lobby():
    return lobby_channel_get_or_create(title=TitleFactory(slug="starfall-arena"))


def token(player) -> str:  # type: ignore[no-untyped-def]
    return api_token_create(user=player.user, name="faults").secret


def reader_client(url: str, secret: str, seed: int) -> ChatClient:
    # A short schedule keeps the test quick; its jitter comes from a seeded generator.
    return ChatClient(url, secret, backoff_initial=0.05, backoff_max=1.0, rng=random.Random(seed))


async def bodies_until(client: ChatClient, last_body: str, timeout: float = 60) -> list[str]:
    """Every delivery's ``seq:body`` up to and including the one with ``last_body``."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            message = (await client.deliveries.get()).message
            seen.append(f"{message['seq']}:{message['body']}")
            if message["body"] == last_body:
                return seen


async def reconnected(client: ChatClient, timeout: float = 30) -> int:
    """The client's reconnect count once its reconnect finished (replayed messages reach the
    application before the ``subscribed`` reply that ends it)."""
    async with asyncio.timeout(timeout):
        while client.reconnects == 0:
            await asyncio.sleep(0.05)
    return client.reconnects


def kill(server) -> None:  # type: ignore[no-untyped-def]
    os.kill(server.process.pid, signal.SIGKILL)  # no close frame, no disconnect hooks
    server.process.wait(timeout=10)


def test_a_client_of_a_killed_daphne_reconnects_to_its_restart_and_gets_what_it_missed_once(
    live_tmp, lobby
):
    alice, bob = PlayerFactory(), PlayerFactory()
    secrets = {alice.id: token(alice), bob.id: token(bob)}
    port = free_port()

    with ExitStack() as stack:
        other = stack.enter_context(run_daphne(live_tmp, **FAST_LIMITS))
        doomed = stack.enter_context(run_daphne(live_tmp, port=port, **FAST_LIMITS))

        async def scenario() -> tuple[list[str], list[str], dict, int]:
            reader = reader_client(doomed.ws_url, secrets[bob.id], seed=14)
            sender = ChatClient(other.ws_url, secrets[alice.id])
            await reader.connect()
            await sender.connect()
            await reader.subscribe([lobby.id])
            for number in range(3):
                await sender.send(lobby.id, f"before {number}")
            before = await bodies_until(reader, "before 2")

            await asyncio.to_thread(kill, doomed)
            # Sent while the reader has no server: one by the reader itself, waiting for a
            # connection, and ten by a player on the other Daphne.
            own = asyncio.create_task(reader.send(lobby.id, "mine", client_msg_id="bob-1"))
            for number in range(10):
                await sender.send(lobby.id, f"missed {number}")
            await asyncio.to_thread(
                stack.enter_context, run_daphne(live_tmp, port=port, **FAST_LIMITS)
            )
            sent = await own
            for number in range(3):
                await sender.send(lobby.id, f"after {number}")
            after = await bodies_until(reader, "after 2")
            reconnects = await reconnected(reader)
            await sender.close()
            await reader.close()
            return before, after, sent, reconnects

        before, after, sent, reconnects = asyncio.run(scenario())

    missed = [f"{seq}:missed {n}" for n, seq in enumerate(range(4, 14))]
    assert before == ["1:before 0", "2:before 1", "3:before 2"]
    # Once each, in order: the ten missed while away, the reader's own, then the live ones.
    assert after == [*missed, "14:mine", "15:after 0", "16:after 1", "17:after 2"]
    assert (sent["message"]["seq"], sent["message"]["client_msg_id"]) == (14, "bob-1")
    assert reconnects == 1
    assert Message.objects.filter(channel=lobby).count() == 17
    assert Message.objects.filter(channel=lobby, client_msg_id="bob-1").count() == 1


def test_a_game_client_on_chat_tokens_reconnects_after_its_token_expired(live_tmp, lobby):
    """A chat token only opens sockets and lives minutes; a Daphne restart after that must
    not leave the player cut off for good (the handshake refuses the old token)."""
    alice, bob = PlayerFactory(), PlayerFactory()
    PlayerIdentity.objects.create(player=bob, provider="steam", external_id="7", title=lobby.title)
    title, sender_secret = lobby.title, token(alice)
    minted = [chat_token_issue(title=title, player=bob).token]
    handed_out = []

    async def fresh_token() -> str:  # what the game asks its game server for
        handed_out.append(minted[-1])
        return minted[-1]

    def tokens_expire() -> None:
        """Down for longer than a chat token lives; the game server mints the next one."""
        ChatToken.objects.update(expires_at=timezone.now())
        minted.append(chat_token_issue(title=title, player=bob).token)
        connection.close()  # this worker thread's; it would outlive the test

    port = free_port()
    with ExitStack() as stack:
        other = stack.enter_context(run_daphne(live_tmp, **FAST_LIMITS))
        doomed = stack.enter_context(run_daphne(live_tmp, port=port, **FAST_LIMITS))

        async def scenario() -> tuple[list[str], int]:
            reader = ChatClient(doomed.ws_url, fresh_token, backoff_initial=0.05,
                                backoff_max=1.0, rng=random.Random(3))  # fmt: skip
            sender = ChatClient(other.ws_url, sender_secret)
            await reader.connect()
            await sender.connect()
            await reader.subscribe([lobby.id])
            await asyncio.to_thread(kill, doomed)
            await sender.send(lobby.id, "while away")
            await asyncio.to_thread(tokens_expire)
            await asyncio.to_thread(
                stack.enter_context, run_daphne(live_tmp, port=port, **FAST_LIMITS)
            )
            await sender.send(lobby.id, "back")
            seen = await bodies_until(reader, "back")
            reconnects = await reconnected(reader)
            await sender.close()
            await reader.close()
            return seen, reconnects

        seen, reconnects = asyncio.run(scenario())

    assert seen == ["1:while away", "2:back"]
    assert reconnects == 1
    assert handed_out[0] == minted[0]
    assert handed_out[-1] == minted[1]  # the reconnect opened with the fresh token


@contextmanager
def channel_row_locked(channel_id: int) -> Iterator[threading.Event]:
    """Hold the channel's row lock in another session, so a send reaches the server and waits
    to be stored; set the returned event to let it commit."""
    release, locked = threading.Event(), threading.Event()

    def hold() -> None:
        with psycopg.connect(database_url()) as conn, conn.transaction():
            conn.execute("SELECT 1 FROM chat_channel WHERE id = %s FOR UPDATE", [channel_id])
            locked.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(timeout=10)
    try:
        yield release
    finally:
        release.set()
        holder.join(timeout=30)


def wait_for_a_blocked_write(timeout: float = 30) -> None:
    """Until some session of the test database waits for a row lock (the stored send)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url(), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    raise AssertionError("no send waited for the channel's row lock")


def test_a_send_whose_answer_was_lost_is_retried_with_its_id_and_stored_once(live_tmp, lobby):
    alice = PlayerFactory()
    secret = token(alice)

    async def scenario(url: str) -> tuple[dict, int]:
        client = reader_client(url, secret, seed=9)
        await client.connect()
        with channel_row_locked(lobby.id) as release:
            sending = asyncio.create_task(client.send(lobby.id, "gg", client_msg_id="lost-1"))
            await asyncio.to_thread(wait_for_a_blocked_write)
            # The server has the send and is storing it; its answer will find no socket.
            await client.drop_connection()
            release.set()
            sent = await sending
        reconnects = await reconnected(client)
        await client.close()
        return sent, reconnects

    with run_daphne(live_tmp, **FAST_LIMITS) as server:
        sent, reconnects = asyncio.run(scenario(server.ws_url))

    stored = Message.objects.filter(channel=lobby, client_msg_id="lost-1")
    assert stored.count() == 1
    assert (sent["duplicate"], sent["message"]["id"]) == (True, stored.get().id)
    assert reconnects == 1
