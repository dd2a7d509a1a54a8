"""``{% guild_profile_panel player %}``: a player's guilds on their profile, and "Invite to
guild" for a viewer who holds the ``invite`` permission in a guild the player is not in:
offered only where ``guild_invite_send`` would accept (``invite_options``), and where it
would not, why (the player's privacy or blocks, a pending invitation, a guild ban, a sanction
on the viewer)."""

from typing import Any

from django import template

from apps.guilds.emblems import emblem_url
from apps.guilds.exceptions import GuildBanned, InviteExists, InviteRefused
from apps.guilds.invitations import InviteOption, invite_options
from apps.guilds.models import Guild
from apps.guilds.selectors import guilds_of_player
from apps.moderation.exceptions import Sanctioned
from apps.players.models import Player
from apps.players.selectors import player_get_optional_for_user

register = template.Library()


@register.inclusion_tag("guilds/_profile.html", takes_context=True)
def guild_profile_panel(context: dict[str, Any], player: Player) -> dict[str, Any]:
    memberships = list(guilds_of_player(player=player))
    request = context.get("request")
    viewer = player_get_optional_for_user(user=request.user) if request else None
    options = invite_options(inviter=viewer, player=player) if viewer is not None else []
    refusals = [option.refusal for option in options if option.refusal is not None]
    return {
        "player": player,
        "memberships": memberships,
        "invitable": [option.guild for option in options if option.refusal is None],
        "pending": _refused_guilds(options, InviteExists),
        "banned": _refused_guilds(options, GuildBanned),
        "is_refused": any(isinstance(refusal, InviteRefused) for refusal in refusals),
        # A sanction on the viewer says itself why (its message names what holds).
        "held": list(dict.fromkeys(r.message for r in refusals if isinstance(r, Sanctioned))),
        "csrf_token": context.get("csrf_token"),
    }


def _refused_guilds(options: list[InviteOption], refusal: type[Exception]) -> list[Guild]:
    return [option.guild for option in options if isinstance(option.refusal, refusal)]


@register.filter
def guild_emblem_url(guild: Guild, size: str = "large") -> str | None:
    """``{{ guild|guild_emblem_url:"small" }}``: the emblem's URL, or None."""
    return emblem_url(guild, size)
