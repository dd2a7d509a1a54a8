"""Realtime guild frames, sent to members' sockets after commit (docs/websocket-protocol.md,
docs/asyncapi.yaml). One builder per frame type; clients that missed one re-read the guild
through REST."""

from collections.abc import Callable, Iterable
from typing import Any

from apps.guilds.models import Guild, GuildMembership, GuildRole
from apps.players.models import Player
from apps.realtime.broadcast import frame_send_to_user_on_commit


def member_joined_frame(guild: Guild, player: Player, role: GuildRole) -> dict[str, Any]:
    return {"type": "guild_member_joined", "guild_id": guild.id, "player_id": player.id,
            "display_name": player.display_name, "role": role.name}  # fmt: skip


def member_left_frame(guild: Guild, player: Player) -> dict[str, Any]:
    return {"type": "guild_member_left", "guild_id": guild.id, "player_id": player.id}


def member_kicked_frame(guild: Guild, player: Player) -> dict[str, Any]:
    return {"type": "guild_member_kicked", "guild_id": guild.id, "player_id": player.id}


def member_banned_frame(guild: Guild, player: Player) -> dict[str, Any]:
    return {"type": "guild_member_banned", "guild_id": guild.id, "player_id": player.id}


REMOVAL_FRAMES: dict[str, Callable[[Guild, Player], dict[str, Any]]] = {
    "left": member_left_frame,
    "kicked": member_kicked_frame,
    "banned": member_banned_frame,
}


def role_changed_frame(guild: Guild, player: Player, role: GuildRole) -> dict[str, Any]:
    return {"type": "guild_role_changed", "guild_id": guild.id, "player_id": player.id,
            "role": role.name, "rank": role.rank}  # fmt: skip


def leader_changed_frame(guild: Guild, player: Player) -> dict[str, Any]:
    return {"type": "guild_leader_changed", "guild_id": guild.id, "player_id": player.id}


def updated_frame(guild: Guild, fields: list[str]) -> dict[str, Any]:
    return {"type": "guild_updated", "guild_id": guild.id, "fields": fields}


def disbanded_frame(guild: Guild) -> dict[str, Any]:
    return {"type": "guild_disbanded", "guild_id": guild.id}


def member_user_ids(guild: Guild) -> list[int]:
    return list(
        GuildMembership.objects.filter(guild=guild, player__user_id__isnull=False).values_list(
            "player__user_id", flat=True
        )
    )


def guild_frame_send(
    *, guild: Guild, frame: dict[str, Any], extra_user_ids: Iterable[int] = ()
) -> None:
    """Send ``frame`` to every member's sockets (and ``extra_user_ids``: a player who just
    left or was removed learns it too), after the current transaction commits."""
    for user_id in {*member_user_ids(guild), *extra_user_ids}:
        frame_send_to_user_on_commit(user_id=user_id, frame=frame)
