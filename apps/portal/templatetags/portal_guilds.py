""" "Invite to <guild>" beside each friend in the friends list: the portal composes the two apps
here so that players does not import guilds.

``{% guild_invite_offers viewer friends as offers %}`` once, then
``{% guild_invite_buttons offers friend %}`` per friend: a button for each of the viewer's
guilds where ``guild_invite_send`` would accept the friend now, and for the others why not (a
pending invitation, a guild ban, the friend's privacy); a sanction that holds the viewer's
invitations is said once for the list (``offers.held``). The guilds app's
``invite_options_many`` decides with ``guild_invite_check``, as the profile's panel does, in a
fixed number of queries whatever the number of friends. The invitation itself is the guilds
app's form (``guilds:invite``), whose service checks everything again under the lock."""

from typing import Any

from django import template

from apps.guilds.exceptions import GuildBanned, InviteExists, InviteRefused
from apps.guilds.invitations import InviteOption, invite_options_many
from apps.moderation.exceptions import Sanctioned
from apps.players.models import Player

register = template.Library()


@register.simple_tag
def guild_invite_offers(viewer: Player, friends: list[tuple[Player, Any, bool]]) -> dict:
    """The offers for every friend row (``(friend, presence, is_reachable)``) by friend id,
    and the messages of sanctions that hold the viewer's invitations."""
    options = invite_options_many(inviter=viewer, players=[row[0] for row in friends])
    refusals = [o.refusal for row in options.values() for o in row if o.refusal is not None]
    held = [refusal.message for refusal in refusals if isinstance(refusal, Sanctioned)]
    return {"by_friend": options, "held": list(dict.fromkeys(held))}


@register.inclusion_tag("portal/_guild_invite_buttons.html", takes_context=True)
def guild_invite_buttons(context: template.Context, offers: dict, friend: Player) -> dict:
    options: list[InviteOption] = offers["by_friend"].get(friend.id, [])
    return {
        "friend": friend,
        "invitable": [option.guild for option in options if option.refusal is None],
        "pending": _refused(options, InviteExists),
        "banned": _refused(options, GuildBanned),
        "is_refused": any(isinstance(option.refusal, InviteRefused) for option in options),
        "csrf_token": context.get("csrf_token"),
    }


def _refused(options: list[InviteOption], refusal: type[Exception]) -> list[Any]:
    return [option.guild for option in options if isinstance(option.refusal, refusal)]
