"""Guild frames (docs/websocket-protocol.md) reach members' sockets live, and the officers'
channel follows promotions and demotions, over real Daphne processes, Redis and PostgreSQL."""

import asyncio
from contextlib import ExitStack
from typing import Any

import pytest
from community_chat import ChatClient

from apps.guilds.chat import guild_channel
from apps.guilds.membership import guild_join, guild_leave, guild_member_ban, guild_member_kick
from apps.guilds.models import GuildMembership, GuildRole, RoleKind
from apps.guilds.services import (
    guild_disband,
    guild_leader_transfer,
    guild_member_role_set,
    guild_update,
)
from tests.guilds.factories import make_guild
from tests.guilds.test_live import bodies_until, event_of_type, token
from tests.players.factories import PlayerFactory
from tests.support.live import run_daphne

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


async def guild_frames_until(client: ChatClient, last: str) -> list[tuple[str, Any]]:
    """(type, player_id or fields) of every guild frame up to and including ``last``."""
    frames: list[tuple[str, Any]] = []
    async with asyncio.timeout(20):
        while not frames or frames[-1][0] != last:
            event = await client.events.get()
            if event["type"].startswith("guild_"):
                frames.append((event["type"], event.get("player_id", event.get("fields"))))
    return frames


def test_members_sockets_get_every_guild_frame_and_a_removed_player_only_their_own(live_tmp):
    guild = make_guild(members=4)
    members = [m.player for m in GuildMembership.objects.filter(guild=guild).order_by("id")]
    leader, watcher, promoted, banned, leaver = members
    newcomer = PlayerFactory()
    officer = GuildRole.objects.get(guild=guild, kind=RoleKind.OFFICER)
    secrets = {player.id: token(player) for player in (leader, watcher, promoted)}

    def administer() -> None:
        guild_join(player=newcomer, guild=guild)
        guild_member_role_set(actor=leader, guild=guild, target=promoted, role=officer)
        guild_update(actor=leader, guild=guild, data={"description": "New rules"})
        guild_member_kick(actor=leader, guild=guild, target=promoted)
        guild_member_ban(actor=leader, guild=guild, target=banned)
        guild_leave(player=leaver, guild=guild)
        guild_leader_transfer(actor=leader, guild=guild, new_leader=watcher)
        guild_disband(actor=watcher, guild=guild)

    async def scenario(first: str, second: str) -> tuple[Any, ...]:
        leader_socket = ChatClient(first, secrets[leader.id])
        watcher_socket = ChatClient(second, secrets[watcher.id])
        kicked_socket = ChatClient(second, secrets[promoted.id])
        for client in (leader_socket, watcher_socket, kicked_socket):
            await client.connect()
        await asyncio.to_thread(administer)
        seen_by_watcher = await guild_frames_until(watcher_socket, "guild_disbanded")
        seen_by_leader = await guild_frames_until(leader_socket, "guild_disbanded")
        seen_by_kicked = await guild_frames_until(kicked_socket, "guild_member_kicked")
        # The disband frame is behind everything on every socket: what the kicked player's
        # socket holds now is all it was sent.
        while not kicked_socket.events.empty():
            event = kicked_socket.events.get_nowait()
            if event["type"].startswith("guild_"):
                seen_by_kicked.append((event["type"], event.get("player_id")))
        for client in (leader_socket, watcher_socket, kicked_socket):
            await client.close()
        return seen_by_watcher, seen_by_leader, seen_by_kicked

    with ExitStack() as stack:
        first = stack.enter_context(run_daphne(live_tmp))
        second = stack.enter_context(run_daphne(live_tmp))
        seen_by_watcher, seen_by_leader, seen_by_kicked = asyncio.run(
            scenario(first.ws_url, second.ws_url)
        )

    expected = [
        ("guild_member_joined", newcomer.id),
        ("guild_role_changed", promoted.id),
        ("guild_updated", ["description"]),
        ("guild_member_kicked", promoted.id),
        ("guild_member_banned", banned.id),
        ("guild_member_left", leaver.id),
        ("guild_leader_changed", watcher.id),
        ("guild_disbanded", None),
    ]
    assert seen_by_watcher == expected
    assert seen_by_leader == expected
    assert seen_by_kicked == expected[:4]


def test_the_officers_channel_follows_promotion_and_demotion_live(live_tmp):
    guild = make_guild(members=1)
    leader = GuildMembership.objects.get(guild=guild, is_leader=True).player
    member = GuildMembership.objects.get(guild=guild, is_leader=False).player
    roles = {role.kind: role for role in GuildRole.objects.filter(guild=guild)}
    channel = guild_channel(guild=guild, officers=True)
    main = guild_channel(guild=guild)
    secrets = {player.id: token(player) for player in (leader, member)}

    async def scenario(first: str, second: str) -> tuple[Any, ...]:
        speaker = ChatClient(first, secrets[leader.id])
        promoted = ChatClient(second, secrets[member.id])
        for client in (speaker, promoted):
            await client.connect()
        await speaker.send(channel.id, "officers only")
        await asyncio.to_thread(
            guild_member_role_set,
            actor=leader,
            guild=guild,
            target=member,
            role=roles[RoleKind.OFFICER],
        )
        joined = await event_of_type(promoted, "channel_joined")
        promoted.last_seq[channel.id] = 0
        await promoted.subscribe([channel.id])
        await speaker.send(channel.id, "welcome")
        history_and_live = await bodies_until(promoted, "welcome")
        await asyncio.to_thread(
            guild_member_role_set,
            actor=leader,
            guild=guild,
            target=member,
            role=roles[RoleKind.MEMBER],
        )
        left = await event_of_type(promoted, "channel_left")
        await promoted.subscribe([main.id])
        await speaker.send(channel.id, "after the demotion")
        await speaker.send(main.id, "main channel")
        # Both sent in this order on one path: an officers' frame would arrive first.
        late = await bodies_until(promoted, "main channel")
        for client in (speaker, promoted):
            await client.close()
        return joined, history_and_live, left, late

    with ExitStack() as stack:
        first = stack.enter_context(run_daphne(live_tmp))
        second = stack.enter_context(run_daphne(live_tmp))
        joined, history_and_live, left, late = asyncio.run(scenario(first.ws_url, second.ws_url))

    assert joined["channel"]["id"] == channel.id
    assert history_and_live == ["officers only", "welcome"]
    assert (left["channel_id"], left["reason"]) == (channel.id, "role_changed")
    assert late == ["main channel"]
