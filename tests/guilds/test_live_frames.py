"""Guild frames (docs/websocket-protocol.md) reach members' sockets live, and the officers'
channel follows promotions and demotions, over real Daphne processes, Redis and PostgreSQL."""

import asyncio
import urllib.request
from contextlib import ExitStack
from typing import Any

import pytest
from community_chat import ChatClient, ChatError

from apps.chat.models import Channel, Membership
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


def _rest_post(base_url: str, path: str, secret: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback test URL
        f"{base_url}{path}",
        data=b"",
        method="POST",
        headers={"Authorization": f"Bearer {secret}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_a_disband_over_rest_removes_every_member_from_the_guild_chat_live(live_tmp):
    guild = make_guild(members=2)
    members = [m.player for m in GuildMembership.objects.filter(guild=guild).order_by("id")]
    leader, officer_player, member = members
    guild_member_role_set(
        actor=leader,
        guild=guild,
        target=officer_player,
        role=GuildRole.objects.get(guild=guild, kind=RoleKind.OFFICER),
    )
    main = guild_channel(guild=guild)
    officers = guild_channel(guild=guild, officers=True)
    secrets = {player.id: token(player) for player in members}

    async def scenario(first: Any, second: Any) -> tuple[Any, ...]:
        officer_socket = ChatClient(second.ws_url, secrets[officer_player.id])
        member_socket = ChatClient(second.ws_url, secrets[member.id])
        for client in (officer_socket, member_socket):
            await client.connect()
        await officer_socket.subscribe([main.id, officers.id])
        await member_socket.subscribe([main.id])
        status = await asyncio.to_thread(
            _rest_post, first.url, f"/api/v1/guilds/{guild.id}/disband", secrets[leader.id]
        )
        officer_left = [await event_of_type(officer_socket, "channel_left") for _ in range(2)]
        member_left = await event_of_type(member_socket, "channel_left")
        refusals = []
        for client, channel in ((member_socket, main), (officer_socket, officers)):
            try:
                await client.send(channel.id, "still here?")
            except ChatError as error:
                refusals.append(error.code)
        for client in (officer_socket, member_socket):
            await client.close()
        return status, officer_left, member_left, refusals

    with ExitStack() as stack:
        first = stack.enter_context(run_daphne(live_tmp))
        second = stack.enter_context(run_daphne(live_tmp))
        status, officer_left, member_left, refusals = asyncio.run(scenario(first, second))

    assert status == 204
    assert sorted((f["channel_id"], f["reason"]) for f in officer_left) == sorted(
        [(main.id, "guild_disbanded"), (officers.id, "guild_disbanded")]
    )
    assert (member_left["channel_id"], member_left["reason"]) == (main.id, "guild_disbanded")
    assert refusals == ["unknown_channel", "unknown_channel"]  # no longer members
    assert not Membership.objects.filter(channel__in=[main, officers]).exists()
    assert all(
        channel.is_closed for channel in Channel.objects.filter(id__in=[main.id, officers.id])
    )
