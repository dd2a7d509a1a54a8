"""Realtime guild events, sent to members' sockets after commit (docs/websocket-protocol.md).

Frames: ``guild.member_joined``, ``guild.member_left``, ``guild.member_kicked``,
``guild.member_banned``, ``guild.role_changed``, ``guild.leader_changed``, ``guild.updated``,
``guild.disbanded``. Each carries ``guild_id`` and the fields the event names; clients that
missed one re-read the guild through REST.
"""

from collections.abc import Iterable
from typing import Any

from apps.guilds.models import Guild, GuildMembership
from apps.realtime.broadcast import frame_send_to_user_on_commit


def member_user_ids(guild: Guild) -> list[int]:
    return list(
        GuildMembership.objects.filter(guild=guild, player__user_id__isnull=False).values_list(
            "player__user_id", flat=True
        )
    )


def guild_event_send(
    *, guild: Guild, event: str, data: dict[str, Any], extra_user_ids: Iterable[int] = ()
) -> None:
    """Send ``event`` to every member's sockets (and ``extra_user_ids``: a player who just
    left or was kicked learns it too), after the current transaction commits."""
    frame = {"type": event, "guild_id": guild.id, **data}
    for user_id in {*member_user_ids(guild), *extra_user_ids}:
        frame_send_to_user_on_commit(user_id=user_id, frame=frame)
