"""``{% guild_profile_panel player %}``: a player's guilds on their profile, and "Invite to
guild" for a viewer who holds the ``invite`` permission in a guild the player is not in."""

from typing import Any

from django import template

from apps.guilds.emblems import emblem_url
from apps.guilds.models import Guild, Permission
from apps.guilds.permissions import has_permission
from apps.guilds.selectors import guilds_of_player
from apps.players.models import Player
from apps.players.selectors import player_get_optional_for_user

register = template.Library()


@register.inclusion_tag("guilds/_profile.html", takes_context=True)
def guild_profile_panel(context: dict[str, Any], player: Player) -> dict[str, Any]:
    memberships = list(guilds_of_player(player=player))
    request = context.get("request")
    viewer = player_get_optional_for_user(user=request.user) if request else None
    invitable = []
    if viewer is not None and viewer.id != player.id:
        their_guilds = {membership.guild_id for membership in memberships}
        invitable = [
            membership.guild
            for membership in guilds_of_player(player=viewer)
            if membership.guild_id not in their_guilds
            and has_permission(membership, Permission.INVITE)
        ]
    return {
        "player": player,
        "memberships": memberships,
        "invitable": invitable,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def guild_emblem_url(guild: Guild, size: str = "large") -> str | None:
    """``{{ guild|guild_emblem_url:"small" }}``: the emblem's URL, or None."""
    return emblem_url(guild, size)
