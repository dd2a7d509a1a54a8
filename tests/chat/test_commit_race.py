"""The retry-after-reconnect race across processes: one player's send with the same
``client_msg_id`` reaches two Daphne processes at once. The one that stores second is answered
with the stored message as a duplicate, and the other senders of its batch are not affected."""

import asyncio
import time
from contextlib import ExitStack, contextmanager

import psycopg
import pytest
from community_chat import ChatClient

from apps.accounts.services import api_token_create
from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.models import Message
from tests.factories import TitleFactory
from tests.support import live

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

FAST_LIMITS = {"CHAT_RATE_PLAYER_CAPACITY": "100000", "CHAT_RATE_CHANNEL_CAPACITY": "100000"}


def token(player) -> str:
    return api_token_create(user=player.user, name="race").secret


@contextmanager
def channel_row_locked(channel_id: int):
    """Hold the channel row lock every committer takes to reserve sequence numbers: their
    batches are admitted, then wait here until the block ends."""
    with psycopg.connect(live.test_database_url()) as locker:
        locker.execute("SELECT id FROM chat_channel WHERE id = %s FOR UPDATE", [channel_id])
        yield
        locker.commit()


def lock_waiters() -> int:
    with psycopg.connect(live.test_database_url(), autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return row[0] if row else 0


async def until_lock_waiters(count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(lock_waiters) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} committers waiting on a lock")
        await asyncio.sleep(0.05)


def test_one_players_retry_on_two_processes_is_one_message_and_fails_no_one_else(
    live_tmp, lobby, alice, bob, carol
):
    other_lobby = lobby_channel_get_or_create(title=TitleFactory(slug="kaiju", name="Kaiju"))
    tokens = {player.id: token(player) for player in (alice, bob, carol)}

    async def scenario(first_url: str, second_url: str):
        alice_first = ChatClient(first_url, tokens[alice.id])
        alice_second = ChatClient(second_url, tokens[alice.id])
        bob_second = ChatClient(second_url, tokens[bob.id])
        carol_second = ChatClient(second_url, tokens[carol.id])
        clients = (alice_first, alice_second, bob_second, carol_second)
        for client in clients:
            await client.connect()
        with ExitStack() as locks:
            locks.enter_context(channel_row_locked(lobby.id))
            other_lock = locks.enter_context(ExitStack())
            other_lock.enter_context(channel_row_locked(other_lobby.id))
            # The first process admits alice's send and waits for the lobby row.
            original = asyncio.create_task(alice_first.send(lobby.id, "gg", client_msg_id="c-1"))
            await until_lock_waiters(1)
            # The second process's committer is busy with carol's send (other lobby) while
            # alice's retry and bob's send queue up behind it: they are one batch.
            busy = asyncio.create_task(carol_second.send(other_lobby.id, "elsewhere"))
            await until_lock_waiters(2)
            retry = asyncio.create_task(alice_second.send(lobby.id, "gg", client_msg_id="c-1"))
            unrelated = asyncio.create_task(bob_second.send(lobby.id, "wp"))
            await asyncio.sleep(0.5)  # both frames read and queued
            other_lock.close()  # carol's batch commits; the next batch is admitted and waits
            await busy
            await until_lock_waiters(2)
        # The lobby row is free: the first process stores alice's message, the second
        # process's batch then meets it in the unique index.
        results = await asyncio.gather(original, retry, unrelated, return_exceptions=True)
        for client in clients:
            await client.close()
        return results

    with ExitStack() as stack:
        first = stack.enter_context(live.run_daphne(live_tmp, **FAST_LIMITS))
        second = stack.enter_context(live.run_daphne(live_tmp, **FAST_LIMITS))
        original, retry, unrelated = asyncio.run(scenario(first.ws_url, second.ws_url))

    assert not isinstance(original, BaseException), original
    assert not isinstance(retry, BaseException), retry
    assert not isinstance(unrelated, BaseException), unrelated
    assert (original["duplicate"], retry["duplicate"], unrelated["duplicate"]) == (
        False, True, False,
    )  # fmt: skip
    assert retry["message"]["id"] == original["message"]["id"]
    assert (unrelated["message"]["body"], unrelated["message"]["seq"]) == ("wp", 2)
    stored = list(Message.objects.filter(channel=lobby).order_by("seq").values_list(
        "seq", "author_id", "body", "client_msg_id"))  # fmt: skip
    assert stored[0] == (1, alice.id, "gg", "c-1")
    assert stored[1][:3] == (2, bob.id, "wp")
    assert len(stored) == 2
