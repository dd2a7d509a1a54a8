"""A Redis restart under two real Daphne processes: open sockets ride through it, nothing is
missed or doubled, and the first handshakes and sends after it succeed (issue 14, item 2)."""

import asyncio
from contextlib import ExitStack

import pytest
from django.db import transaction

from apps.accounts.services import api_token_create
from apps.chat.admission import Pending
from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.commit import store_batch
from apps.chat.models import Channel
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory
from tests.support.live import run_daphne
from tests.support.wsclient import RawSocket

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

# Generous limits: the test counts deliveries, it does not exercise flood control.
LIMITS = {"CHAT_RATE_PLAYER_CAPACITY": "100000", "CHAT_RATE_CHANNEL_CAPACITY": "100000"}
READERS_PER_SERVER = 3
NEW_SOCKETS_AFTER = 8


@pytest.fixture
def lobby():
    return lobby_channel_get_or_create(title=TitleFactory(slug="starfall-arena"))


def tokens(count: int) -> list[str]:
    return [
        api_token_create(user=PlayerFactory().user, name="restart").secret for _ in range(count)
    ]


def store_unpublished(channel_id: int, author, body: str) -> int:
    """A message committed while Redis is down (a game-event effect, a REST send on another
    server): stored, its live publish lost with the layer."""
    channel = Channel.objects.get(id=channel_id)
    with transaction.atomic():
        pending = Pending(channel_id=channel.id, channel=channel, author=author, body=body)
        return store_batch([pending])[0].message.seq


async def send_until_stored(sender: RawSocket, channel_id: int, body: str) -> dict:
    """Send with one ``client_msg_id`` until the server answers ``sent`` (a send refused while
    Redis is down is retried, as the protocol says, with the same id)."""
    for _ in range(200):
        reply = await sender.request(
            {"type": "send", "channel_id": channel_id, "body": body, "client_msg_id": body}
        )
        if reply["type"] == "sent":
            return reply
        await asyncio.sleep(0.1)
    raise AssertionError(f"{body} was never stored")


async def scenario(urls, lobby_id, secrets, restart, store_during_outage):
    sender = await RawSocket.open(urls[0], secrets[0])
    readers = [
        await RawSocket.open(url, secret)
        for url, secret in zip(urls * READERS_PER_SERVER, secrets[1:], strict=False)
    ]
    for reader in readers:
        await reader.subscribe(lobby_id)
    for number in range(3):
        await send_until_stored(sender, lobby_id, f"before {number}")
    for reader in readers:
        await reader.wait_for_messages(3)

    outage = asyncio.create_task(asyncio.to_thread(restart))
    await asyncio.sleep(0.3)  # Redis is down now
    during = await asyncio.to_thread(store_during_outage)
    # A send while it is down: whatever the answer, it is retried below with the same id.
    await sender.request(
        {"type": "send", "channel_id": lobby_id, "body": "around", "client_msg_id": "around"}
    )
    await outage
    # Nothing else is published: what was stored meanwhile reaches every reader by itself.
    head = await asyncio.to_thread(lambda: Channel.objects.get(id=lobby_id).last_seq)
    for reader in readers:
        await reader.wait_for_messages(head)
    caught_up = [reader.seqs() for reader in readers]
    await send_until_stored(sender, lobby_id, "around")
    after = await send_until_stored(sender, lobby_id, "after")

    newcomers = await asyncio.gather(
        *(
            RawSocket.open(urls[n % 2], secret)
            for n, secret in enumerate(secrets[-NEW_SOCKETS_AFTER:])
        )
    )
    subscribed = await asyncio.gather(*(socket.subscribe(lobby_id) for socket in newcomers))
    last = after["message"]["seq"]
    for reader in readers:
        await reader.wait_for_messages(last)
    await asyncio.sleep(1)  # a duplicate would arrive now
    outcome = {
        "during": during,
        "caught_up": caught_up,
        "head": head,
        "last": last,
        "seqs": [reader.seqs() for reader in readers],
        "open": [reader.is_open for reader in [sender, *readers]],
        "close_codes": [reader.close_code for reader in [sender, *readers]],
        "newcomers": [reply["type"] for reply in subscribed],
    }
    for socket in [sender, *readers, *newcomers]:
        await socket.close()
    return outcome


def test_sockets_ride_through_a_redis_restart_and_miss_nothing(live_tmp, lobby, throwaway_redis):
    secrets = tokens(1 + 2 * READERS_PER_SERVER + NEW_SOCKETS_AFTER)
    author = PlayerFactory()
    redis_url = throwaway_redis.url(0)

    with ExitStack() as stack:
        servers = [
            stack.enter_context(run_daphne(live_tmp, REDIS_URL=redis_url, **LIMITS))
            for _ in range(2)
        ]
        outcome = asyncio.run(
            scenario(
                [server.ws_url for server in servers],
                lobby.id,
                secrets,
                lambda: throwaway_redis.restart(down_for=1.5),
                lambda: store_unpublished(lobby.id, author, "during"),
            )
        )
        logs = [server.log() for server in servers]

    expected = list(range(1, outcome["last"] + 1))
    assert outcome["during"] == 4  # stored while Redis was down, its publish lost
    assert outcome["open"] == [True] * (1 + 2 * READERS_PER_SERVER), outcome["close_codes"]
    # Without any later message, what was stored during the outage reached every reader.
    assert outcome["caught_up"] == [list(range(1, outcome["head"] + 1))] * (2 * READERS_PER_SERVER)
    # Every reader, on either server, got every message exactly once and in order.
    assert outcome["seqs"] == [expected] * (2 * READERS_PER_SERVER)
    assert outcome["newcomers"] == ["subscribed"] * NEW_SOCKETS_AFTER
    # No socket died of it (Daphne logs the application's exception, then closes with 1011).
    assert [log.count("Exception inside application") for log in logs] == [0, 0], logs
