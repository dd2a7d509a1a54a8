"""Guild chat follows membership over real Daphne processes, Redis and PostgreSQL."""

import asyncio
from contextlib import ExitStack
from typing import Any

import pytest
from community_chat import ChatClient

from apps.accounts.services import api_token_create
from apps.guilds.chat import guild_channel
from apps.guilds.membership import guild_join, guild_member_kick
from apps.guilds.models import GuildMembership
from apps.players.models import Player
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory
from tests.support.live import run_daphne

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def token(player: Player) -> str:
    return api_token_create(user=player.user, name="live").secret


async def event_of_type(client: ChatClient, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            event = await client.events.get()
            if event["type"] == kind:
                return event


async def bodies_until(client: ChatClient, last: str) -> list[str]:
    bodies: list[str] = []
    async with asyncio.timeout(20):
        while not bodies or bodies[-1] != last:
            bodies.append((await client.deliveries.get()).message["body"])
    return bodies


def test_a_kicked_member_stops_receiving_and_a_new_member_receives_at_once(live_tmp):
    guild = make_guild(members=1)
    leader = GuildMembership.objects.get(guild=guild, is_leader=True).player
    member = GuildMembership.objects.get(guild=guild, is_leader=False).player
    newcomer = PlayerFactory()
    channel = guild_channel(guild=guild)
    secrets = {player.id: token(player) for player in (leader, member, newcomer)}

    async def scenario(first: str, second: str) -> tuple[Any, ...]:
        speaker = ChatClient(first, secrets[leader.id])
        kicked = ChatClient(second, secrets[member.id])
        joiner = ChatClient(second, secrets[newcomer.id])
        for client in (speaker, kicked, joiner):
            await client.connect()
        await kicked.subscribe([channel.id])
        await speaker.send(channel.id, "before")
        kicked_before = await bodies_until(kicked, "before")

        await asyncio.to_thread(guild_join, player=newcomer, guild=guild)
        joined = await event_of_type(joiner, "channel_joined")
        joiner.last_seq[channel.id] = 0  # a new member asks for the history from the start
        await joiner.subscribe([channel.id])
        await asyncio.to_thread(guild_member_kick, actor=leader, guild=guild, target=member)
        left = await event_of_type(kicked, "channel_left")
        await speaker.send(channel.id, "after")
        joiner_got = await bodies_until(joiner, "after")
        await speaker.send(channel.id, "later")  # ordered behind "after" on every socket
        await bodies_until(joiner, "later")
        kicked_after = [kicked.deliveries.get_nowait() for _ in range(kicked.deliveries.qsize())]
        for client in (speaker, kicked, joiner):
            await client.close()
        return kicked_before, joined, left, joiner_got, kicked_after

    with ExitStack() as stack:
        first = stack.enter_context(run_daphne(live_tmp))
        second = stack.enter_context(run_daphne(live_tmp))
        kicked_before, joined, left, joiner_got, kicked_after = asyncio.run(
            scenario(first.ws_url, second.ws_url)
        )

    assert kicked_before == ["before"]
    assert joined["channel"]["id"] == channel.id
    assert (left["channel_id"], left["reason"]) == (channel.id, "guild_left")
    assert joiner_got == ["before", "after"]  # history at once, then live
    assert kicked_after == []
