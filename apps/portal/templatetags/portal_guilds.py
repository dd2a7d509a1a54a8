"""``{% guild_invite_buttons viewer friend %}``: "Invite to <guild>" beside a friend in the
friends list, for each of the viewer's guilds where the viewer holds ``invite`` and the friend
is not a member. The portal composes the two apps here so that players does not import guilds.

Two queries per page whatever the number of friends: the viewer's memberships and the members
of the guilds they may invite to, kept in the template context for the rest of the list. The
invitation itself is the guilds app's own form (``guilds:invite``, its ``guild_invite_send``
service: permissions, bans, blocks and privacy are checked there again)."""

from typing import Any

from django import template

from apps.guilds.models import GuildMembership, Permission
from apps.guilds.permissions import has_permission
from apps.guilds.selectors import guilds_of_player
from apps.players.models import Player

register = template.Library()

_CACHE_KEY = "_guild_invite_targets"


def _invite_targets(context: template.Context, viewer: Player) -> list[tuple[Any, set[int]]]:
    """The viewer's guilds open to their invitations, each with its member ids."""
    targets = context.render_context.get(_CACHE_KEY)
    if targets is None:
        guilds = [
            membership.guild
            for membership in guilds_of_player(player=viewer)
            if has_permission(membership, Permission.INVITE)
        ]
        members: dict[int, set[int]] = {guild.id: set() for guild in guilds}
        rows = GuildMembership.objects.filter(guild_id__in=members).values_list(
            "guild_id", "player_id"
        )
        for guild_id, player_id in rows:
            members[guild_id].add(player_id)
        targets = [(guild, members[guild.id]) for guild in guilds]
        context.render_context[_CACHE_KEY] = targets
    return targets


@register.inclusion_tag("portal/_guild_invite_buttons.html", takes_context=True)
def guild_invite_buttons(context: template.Context, viewer: Player, friend: Player) -> dict:
    guilds = [
        guild
        for guild, member_ids in _invite_targets(context, viewer)
        if friend.id not in member_ids
    ]
    return {"guilds": guilds, "friend": friend, "csrf_token": context.get("csrf_token")}
