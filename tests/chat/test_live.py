"""Real Daphne processes, driven by the reference client (clients/python/community_chat)."""

import asyncio
import shutil
import subprocess
import time
from contextlib import ExitStack

import pytest
from community_chat import ChatClient, ChatError

from apps.accounts.services import api_token_create
from tests.support.live import free_port, run_daphne

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST_LIMITS = {
    "CHAT_RATE_PLAYER_CAPACITY": "100000",
    "CHAT_RATE_CHANNEL_CAPACITY": "100000",
    "CHAT_FANOUT_REFRESH_SECONDS": "0.5",
}


def token(player) -> str:
    return api_token_create(user=player.user, name="live").secret


async def collect(client: ChatClient, count: int, timeout: float = 20) -> list[int]:
    seqs = []
    async with asyncio.timeout(timeout):
        while len(seqs) < count:
            seqs.append((await client.deliveries.get()).message["seq"])
    return seqs


async def stream(sender: ChatClient, channel_id: int, count: int, pause: float = 0.005) -> None:
    for number in range(count):
        await sender.send(channel_id, f"m{number}")
        await asyncio.sleep(pause)


async def drop_and_resume(urls, lobby_id, sender_token, reader_token, *, switch_to=None):
    sender = ChatClient(urls[0], sender_token)
    reader = ChatClient(urls[-1], reader_token, backoff_initial=0.05)
    await sender.connect()
    await reader.connect()
    await reader.subscribe([lobby_id])
    flowing = asyncio.create_task(stream(sender, lobby_id, 60))
    first = await collect(reader, 10)
    if switch_to is not None:
        reader.url = switch_to
    await reader.drop_connection()
    await flowing
    rest = await collect(reader, 50)
    reconnects = reader.reconnects
    await sender.close()
    await reader.close()
    return first + rest, reconnects


def test_resume_after_a_dropped_connection_has_no_gap_and_no_duplicate(live_tmp, lobby, alice, bob):
    with run_daphne(live_tmp, **FAST_LIMITS) as server:
        seqs, reconnects = asyncio.run(
            drop_and_resume([server.ws_url], lobby.id, token(alice), token(bob))
        )

    assert reconnects == 1
    assert seqs == list(range(1, 61))


def test_the_reference_client_sends_attachments_and_raises_their_refusal(live_tmp, lobby, alice):
    async def scenario(url: str, secret: str) -> ChatError:
        client = ChatClient(url, secret)
        await client.connect()
        try:
            with pytest.raises(ChatError) as caught:
                await client.send(lobby.id, "", attachments=[{"kind": "ugc", "id": 1}])
        finally:
            await client.close()
        return caught.value

    with run_daphne(live_tmp, **FAST_LIMITS) as server:
        refusal = asyncio.run(scenario(server.ws_url, token(alice)))

    # There is no content item 1: the server names the reference it refused.
    assert (refusal.code, refusal.details) == ("invalid_attachment", {"index": 0})


def test_the_reference_client_finds_its_titles_lobby_and_talks_there(daphne_server, lobby, alice):
    async def scenario(url: str, secret: str) -> tuple[list[dict], dict]:
        client = ChatClient(url, secret)
        await client.connect()
        found = await client.lobbies("starfall-arena")
        await client.subscribe([found[0]["id"]])
        sent = await client.send(found[0]["id"], "gl hf")
        await client.close()
        return found, sent

    found, sent = asyncio.run(scenario(daphne_server.ws_url, token(alice)))

    assert [(c["id"], c["kind"], c["can_send"]) for c in found] == [(lobby.id, "lobby", True)]
    assert (sent["channel_id"], sent["message"]["seq"]) == (lobby.id, 1)


@pytest.mark.postgres
@pytest.mark.redis
def test_two_daphne_processes_share_channels_and_resume_across_them(live_tmp, lobby, alice, bob):
    with ExitStack() as stack:
        first = stack.enter_context(run_daphne(live_tmp, **FAST_LIMITS))
        second = stack.enter_context(run_daphne(live_tmp, **FAST_LIMITS))
        seqs, reconnects = asyncio.run(
            drop_and_resume(
                [first.ws_url, second.ws_url], lobby.id, token(alice), token(bob),
                switch_to=first.ws_url,
            )
        )  # fmt: skip

    assert reconnects == 1
    assert seqs == list(range(1, 61))


@pytest.fixture
def own_redis(live_tmp):
    """A Redis server this test may restart (the shared one serves other test runs)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    argv = [binary, "--port", str(port), "--save", "", "--appendonly", "no"]

    def start() -> subprocess.Popen:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
            )
            if probe.stdout.strip() == "PONG":
                return process
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    state = {"process": start()}

    def restart() -> None:
        state["process"].kill()
        state["process"].wait()
        state["process"] = start()

    yield f"redis://127.0.0.1:{port}/0", restart
    state["process"].kill()
    state["process"].wait()


@pytest.mark.redis
def test_a_redis_restart_loses_live_frames_but_subscribers_recover_every_message(
    live_tmp, lobby, alice, bob, own_redis
):
    redis_url, restart = own_redis
    sender_token, reader_token = token(alice), token(bob)

    async def scenario(url: str) -> list[int]:
        sender = ChatClient(url, sender_token)
        reader = ChatClient(url, reader_token)
        await sender.connect()
        await reader.connect()
        await reader.subscribe([lobby.id])
        await stream(sender, lobby.id, 10)
        before = await collect(reader, 10)
        await asyncio.to_thread(restart)  # channel-layer groups and in-flight frames are gone
        await stream(sender, lobby.id, 20, pause=0.1)
        after = await collect(reader, 20)
        await sender.close()
        await reader.close()
        return before + after

    with run_daphne(live_tmp, REDIS_URL=redis_url, **FAST_LIMITS) as server:
        seqs = asyncio.run(scenario(server.ws_url))

    assert seqs == list(range(1, 31))


async def change_events(client: ChatClient, count: int, timeout: float = 10) -> list[dict]:
    """The next ``count`` change frames the client passed on (other events skipped)."""
    found = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            event = await client.events.get()
            if event["type"] in {"message_updated", "message_deleted", "reaction"}:
                found.append(event)
    return found


async def no_more_changes(client: ChatClient, wait: float = 0.5) -> bool:
    await asyncio.sleep(wait)
    while not client.events.empty():
        if client.events.get_nowait()["type"] in {"message_updated", "message_deleted"}:
            return False
    return True


@pytest.mark.postgres
@pytest.mark.redis
def test_changes_made_while_a_client_was_away_arrive_exactly_once(
    live_tmp, lobby, alice, bob, carol
):
    tokens = {player.id: token(player) for player in (alice, bob, carol)}

    async def scenario(url: str):
        author, other = ChatClient(url, tokens[alice.id]), ChatClient(url, tokens[carol.id])
        reader = ChatClient(url, tokens[bob.id])
        for client in (author, other, reader):
            await client.connect()
        await reader.subscribe([lobby.id])
        ids = [(await author.send(lobby.id, body))["message"]["id"] for body in "abc"]
        await collect(reader, 3)
        await other.request({"type": "react", "message_id": ids[0], "emoji": "GG"})
        live_before = await change_events(reader, 1)
        await reader.close()  # away: the app keeps its marks, as a game would on disk

        await author.request({"type": "edit", "message_id": ids[0], "body": "a, edited"})
        await author.request({"type": "delete", "message_id": ids[1]})
        await other.request({"type": "react", "message_id": ids[2], "emoji": "🔥"})
        back = ChatClient(url, tokens[bob.id])
        back.last_seq, back.last_change_seq = dict(reader.last_seq), dict(reader.last_change_seq)
        await back.connect()  # re-subscribes with the marks it holds
        replayed = await change_events(back, 3)
        await author.request({"type": "edit", "message_id": ids[2], "body": "c, edited"})
        live_after = await change_events(back, 1)
        quiet = await no_more_changes(back)
        for client in (author, other, back):
            await client.close()
        return ids, live_before, replayed, live_after, quiet, back.last_change_seq

    with run_daphne(live_tmp, **FAST_LIMITS) as server:
        ids, before, replayed, after, quiet, marks = asyncio.run(scenario(server.ws_url))

    assert [(f["type"], f["change_seq"]) for f in before] == [("reaction", 1)]
    assert [(f["type"], f["change_seq"]) for f in replayed] == [
        ("message_updated", 2), ("message_deleted", 3), ("message_updated", 4),
    ]  # fmt: skip
    assert replayed[0]["message"]["body"] == "a, edited"
    assert replayed[0]["message"]["reactions"] == [
        {"emoji": "GG", "count": 1, "player_ids": [carol.id]}
    ]
    assert replayed[1]["message_id"] == ids[1]
    assert replayed[2]["message"]["reactions"][0]["emoji"] == "🔥"
    assert [(f["type"], f["change_seq"], f["message"]["body"]) for f in after] == [
        ("message_updated", 5, "c, edited")
    ]
    assert quiet
    assert marks == {lobby.id: 5}
