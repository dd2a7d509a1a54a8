"""Guild chat: the ``guild`` channel kind of chat's registry (registered in GuildsConfig).

Each guild has two channels, keys ``guild:<id>`` (every member) and ``guild:<id>:officers``
(members whose role ranks at least officer). Chat memberships follow guild memberships in
the same transaction: a joining player reads history and receives live messages at once
(``channel_joined``); a player who leaves, is kicked or banned gets ``channel_left``, which
ends their sockets' subscriptions, and the read rule (a chat membership) refuses them from
then on. A disbanded guild's channels are closed (read-only, kept as an archive) and lose
every member the same way (``channel_left`` reason ``guild_disbanded``).
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.chat import events as chat_events
from apps.chat.channels import membership_ensure
from apps.chat.kinds import KindRules
from apps.chat.models import Channel, ChannelKind, Membership
from apps.guilds import permissions
from apps.guilds.models import (
    AuditAction,
    Guild,
    GuildAuditEntry,
    GuildMembership,
    GuildRole,
    Permission,
)
from apps.guilds.permissions import OFFICER_RANK
from apps.players.models import Player


class GuildChatRules(KindRules):
    """Members (chat memberships kept by this module) read and write; a guild's channels
    follow its members across every title, so every chat token of the player reaches them."""

    kind = ChannelKind.GUILD
    belongs_to_title = False

    def can_moderate(self, channel: Channel, player: Player) -> bool:
        """Holders of the guild's ``manage_chat`` delete others' messages and set slow mode in
        both of its channels (a disbanded guild has no members, so no one)."""
        membership = _membership_in_guild_of(channel, player)
        return permissions.has_permission(membership, Permission.MANAGE_CHAT)

    def moderation_record(
        self, channel: Channel, player: Player, action: str, data: dict[str, Any]
    ) -> None:
        guild_id = _guild_id_of(channel)
        if guild_id is None:
            return
        GuildAuditEntry.objects.create(
            guild_id=guild_id,
            actor=player,
            action=_AUDIT_ACTIONS[action],
            target_id=data.get("author_id"),
            data={"channel_id": channel.id, **data},
        )


_AUDIT_ACTIONS = {
    "message_deleted": AuditAction.CHAT_MESSAGE_DELETED,
    "slow_mode_set": AuditAction.CHAT_SLOW_MODE_SET,
}


def _guild_id_of(channel: Channel) -> int | None:
    """The guild of a ``guild:<id>`` or ``guild:<id>:officers`` channel key."""
    parts = channel.key.split(":")
    if len(parts) < 2 or parts[0] != "guild" or not parts[1].isdigit():
        return None
    return int(parts[1])


def _membership_in_guild_of(channel: Channel, player: Player) -> GuildMembership | None:
    guild_id = _guild_id_of(channel)
    if guild_id is None:
        return None
    return (
        GuildMembership.objects.select_related("role")
        .filter(guild_id=guild_id, player=player)
        .first()
    )


def _key(guild: Guild, *, officers: bool) -> str:
    return f"guild:{guild.id}:officers" if officers else f"guild:{guild.id}"


def guild_channel(*, guild: Guild, officers: bool = False) -> Channel:
    """The guild's (or its officers') channel, created on first use."""
    key = _key(guild, officers=officers)
    channel = Channel.objects.filter(key=key).first()
    if channel is not None:
        return channel
    name = f"[{guild.tag}] {guild.name}" + (" · officers" if officers else "")
    try:
        with transaction.atomic():
            return Channel.objects.create(key=key, kind=ChannelKind.GUILD, name=name[:120])
    except IntegrityError:
        return Channel.objects.get(key=key)


def _add(channel: Channel, player: Player) -> None:
    _membership, created = membership_ensure(channel=channel, player=player)
    if created and player.user_id is not None:
        can_send = channel.closed_at is None
        chat_events.channel_joined_on_commit(joined=[(player.user_id, can_send)], channel=channel)


def _remove(channel: Channel, player: Player, reason: str) -> None:
    deleted, _rows = Membership.objects.filter(channel=channel, player=player).delete()
    if deleted and player.user_id is not None:
        chat_events.channel_left_on_commit(user_id=player.user_id, channel=channel, reason=reason)


def guild_chat_member_sync(
    *, guild: Guild, player: Player, is_member: bool, role: GuildRole | None
) -> None:
    """Make ``player``'s chat memberships match their guild membership and role. Call inside
    the transaction that changes the guild membership."""
    main = guild_channel(guild=guild)
    officers = guild_channel(guild=guild, officers=True)
    if not is_member:
        _remove(main, player, "guild_left")
        _remove(officers, player, "guild_left")
        return
    _add(main, player)
    if role is not None and role.rank >= OFFICER_RANK:
        _add(officers, player)
    else:
        _remove(officers, player, "role_changed")


def guild_chat_archive(*, guild: Guild) -> None:
    """Close both channels (a read-only archive) and remove every chat membership when the
    guild is disbanded: members' open sockets get ``channel_left`` (reason
    ``guild_disbanded``), which ends their subscriptions, and no one reads or writes the
    channels from then on. Call inside the disband transaction (frames go after commit)."""
    channels = list(
        Channel.objects.select_for_update().filter(
            key__in=[_key(guild, officers=False), _key(guild, officers=True)]
        )
    )
    now = timezone.now()
    for channel in channels:
        if channel.closed_at is None:
            channel.closed_at = now
            channel.save(update_fields=["closed_at", "updated_at"])
        memberships = Membership.objects.filter(channel=channel)
        user_ids = list(
            memberships.filter(player__user__isnull=False).values_list("player__user_id", flat=True)
        )
        memberships.delete()
        for user_id in user_ids:
            chat_events.channel_left_on_commit(
                user_id=user_id, channel=channel, reason="guild_disbanded"
            )
