"""Every guild action by every kind of actor, through REST: allowed, or the exact error code —
and on a refusal nothing about the guild changed."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.guilds.membership import guild_invite_send, guild_member_ban
from apps.guilds.models import (
    Guild,
    GuildInvite,
    GuildJoinRequest,
    GuildMembership,
    GuildRole,
    RoleKind,
)
from apps.guilds.permissions import OFFICER_RANK
from apps.moderation.models import SanctionKind
from apps.moderation.sanctions import sanction_issue
from apps.players.models import Player
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

ACTORS = [
    "leader",
    "officer",
    "officer_without",
    "custom",
    "member",
    "non_member",
    "guild_banned",
    "sanctioned",
]
ACTIONS = [
    "invite",
    "approve_request",
    "kick",
    "ban",
    "unban",
    "edit",
    "create_role",
    "transfer",
    "disband",
    "join",
    "leave",
    "audit",
    "revoke_invite",
    "delete_role",
]
OK = "ok"
NP, NM = "not_permitted", "not_member"
# actor → the outcome of each action, in ACTIONS order.
MATRIX: dict[str, list[str]] = {
    "leader": [
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        "already_member",
        "leader_must_transfer",
        OK,
        OK,
        OK,
    ],
    "officer": [OK, OK, OK, OK, OK, NP, NP, NP, NP, "already_member", OK, OK, OK, NP],
    "officer_without": [NP, NP, NP, NP, NP, NP, NP, NP, NP, "already_member", OK, OK, NP, NP],
    "custom": [OK, NP, NP, NP, NP, NP, NP, NP, NP, "already_member", OK, NP, OK, NP],
    "member": [NP, NP, NP, NP, NP, NP, NP, NP, NP, "already_member", OK, NP, NP, NP],
    "non_member": [NM, NM, NM, NM, NM, NM, NM, NM, NM, OK, NM, NM, NM, NM],
    "guild_banned": [NM, NM, NM, NM, NM, NM, NM, NM, NM, "guild_banned", NM, NM, NM, NM],
    "sanctioned": [
        *["suspended"] * 5,
        *[NP] * 4,
        "suspended",
        OK,
        OK,
        "suspended",
        NP,
    ],
}


@dataclass
class Scene:
    guild: Guild
    players: dict[str, Player]
    target: Player  # a plain member
    outsider: Player
    banned_outsider: Player
    join_request: GuildJoinRequest
    invite: GuildInvite  # pending, to another outsider
    spare_role: GuildRole  # custom, held by no one


def _member_with_role(guild: Guild, role: GuildRole) -> Player:
    player = PlayerFactory()
    client_for(player).post(f"/api/v1/guilds/{guild.id}/join")
    GuildMembership.objects.filter(guild=guild, player=player).update(role=role)
    return player


def _scene() -> Scene:
    guild = make_guild(capacity=20)
    leader = GuildMembership.objects.get(guild=guild, is_leader=True).player
    roles = {role.kind: role for role in guild.roles.all()}
    quiet = GuildRole.objects.create(
        guild=guild, name="Quiet", kind=RoleKind.CUSTOM, rank=OFFICER_RANK, permissions=[]
    )
    recruiter = GuildRole.objects.create(
        guild=guild, name="Recruiter", kind=RoleKind.CUSTOM, rank=20, permissions=["invite"]
    )
    players = {
        "leader": leader,
        "officer": _member_with_role(guild, roles[RoleKind.OFFICER]),
        "officer_without": _member_with_role(guild, quiet),
        "custom": _member_with_role(guild, recruiter),
        "member": _member_with_role(guild, roles[RoleKind.MEMBER]),
        "non_member": PlayerFactory(),
        "guild_banned": PlayerFactory(),
        "sanctioned": _member_with_role(guild, roles[RoleKind.OFFICER]),
    }
    guild_member_ban(actor=leader, guild=guild, target=players["guild_banned"])
    banned_outsider = PlayerFactory()
    guild_member_ban(actor=leader, guild=guild, target=banned_outsider)
    sanction_issue(
        player=players["sanctioned"], kind=SanctionKind.SUSPENSION, duration=timedelta(days=1)
    )
    target = _member_with_role(guild, roles[RoleKind.MEMBER])
    join_request = GuildJoinRequest.objects.create(guild=guild, player=PlayerFactory())
    invite = guild_invite_send(inviter=leader, guild=guild, player=PlayerFactory())
    spare = GuildRole.objects.create(guild=guild, name="Spare", kind=RoleKind.CUSTOM, rank=10)
    guild.refresh_from_db()
    outsider = PlayerFactory()
    return Scene(guild, players, target, outsider, banned_outsider, join_request, invite, spare)


def client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def _perform(action: str, client: APIClient, scene: Scene) -> Any:
    base = f"/api/v1/guilds/{scene.guild.id}"
    calls = {
        "invite": lambda: client.post(
            f"{base}/invites", {"player_id": scene.outsider.id}, format="json"
        ),
        "approve_request": lambda: client.post(f"{base}/requests/{scene.join_request.id}/approve"),
        "kick": lambda: client.post(f"{base}/members/{scene.target.id}/kick"),
        "ban": lambda: client.post(f"{base}/bans/{scene.target.id}", {}, format="json"),
        "unban": lambda: client.delete(f"{base}/bans/{scene.banned_outsider.id}"),
        "edit": lambda: client.patch(base, {"description": "New words"}, format="json"),
        "create_role": lambda: client.post(
            f"{base}/roles", {"name": "Scout", "rank": 10, "permissions": []}, format="json"
        ),
        "transfer": lambda: client.post(
            f"{base}/transfer", {"player_id": scene.target.id}, format="json"
        ),
        "disband": lambda: client.post(f"{base}/disband"),
        "join": lambda: client.post(f"{base}/join"),
        "leave": lambda: client.post(f"{base}/leave"),
        "audit": lambda: client.get(f"{base}/audit"),
        "revoke_invite": lambda: client.delete(f"{base}/invites/{scene.invite.id}"),
        "delete_role": lambda: client.delete(f"{base}/roles/{scene.spare_role.id}"),
    }
    return calls[action]()


def _snapshot(guild: Guild) -> dict[str, Any]:
    guild.refresh_from_db()
    return {
        "guild": (guild.description, guild.member_count, guild.disbanded_at),
        "members": sorted(guild.memberships.values_list("player_id", "role_id", "is_leader")),
        "bans": sorted(guild.bans.values_list("player_id", flat=True)),
        "invites": sorted(guild.invites.values_list("player_id", flat=True)),
        "requests": sorted(guild.join_requests.values_list("player_id", flat=True)),
        "roles": sorted(guild.roles.values_list("name", flat=True)),
        "audit": guild.audit_entries.count(),
    }


def test_the_matrix_covers_every_actor_and_action():
    assert set(MATRIX) == set(ACTORS)
    assert all(len(row) == len(ACTIONS) for row in MATRIX.values())


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ACTIONS)
def test_permission_matrix(actor: str, action: str):
    scene = _scene()
    expected = MATRIX[actor][ACTIONS.index(action)]
    before = _snapshot(scene.guild)

    response = _perform(action, client_for(scene.players[actor]), scene)

    if expected == OK:
        assert response.status_code in (200, 201, 204), response.content
        if action != "audit":
            assert _snapshot(scene.guild) != before
    else:
        assert response.status_code in (403, 404, 409), response.content
        assert response.json()["error"]["code"] == expected
        assert _snapshot(scene.guild) == before
