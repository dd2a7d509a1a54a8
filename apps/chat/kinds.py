"""Who may read and write a channel, per channel kind: a registry so a new kind (guild) is a
small local change — register a ``KindRules`` in the owning app's ``AppConfig.ready()``.

Rules run inside services and selectors (sync, ORM allowed) for *every* websocket frame and
REST call that touches a channel: authorization is never cached on the socket.
"""

from dataclasses import dataclass
from typing import Any

from apps.chat.models import Channel, ChannelKind, Membership
from apps.players.models import Player


def membership_known(channel: Channel, *, player_id: int, is_member: bool) -> None:
    """Record on this ``channel`` instance whether ``player_id`` is a member, read in the
    same query as the channel (``subscribe``): the rules below then do not ask again. The
    instance lives for one call; nothing is kept on the socket."""
    channel._known_memberships = {player_id: is_member}  # type: ignore[attr-defined]


def _is_member(channel: Channel, player: Player) -> bool:
    known = getattr(channel, "_known_memberships", {}).get(player.id)
    if known is not None:
        return bool(known)
    return Membership.objects.filter(channel=channel, player=player).exists()


class KindRules:
    """Default: members read and write; open channels admit everyone.

    ``belongs_to_title``: a channel of this kind is part of its title (lobbies, announcements,
    matches), so a chat token — which acts for the player within the title whose game server
    minted it — reaches it only for that title (``apps.chat.reach``). Kinds whose channels
    follow the player across games (direct messages; guild chat) set it False: every chat
    token of the player reaches them. A kind that belongs to a title but whose channel has
    none is reached by no chat token."""

    kind: str = ""
    is_open: bool = False  # anyone may read (and join on subscribe)
    is_player_writable: bool = True
    belongs_to_title: bool = True

    def can_read(self, channel: Channel, player: Player) -> bool:
        return self.is_open or _is_member(channel, player)

    def readers_among(self, channel: Channel, player_ids: set[int]) -> set[int]:
        """Which of ``player_ids`` may read ``channel`` (the group committer checks a batch
        of senders with one query). A kind that overrides only ``can_read`` is asked player
        by player, so the two never disagree."""
        if type(self).can_read is not KindRules.can_read:
            return {
                player_id
                for player_id in player_ids
                if self.can_read(channel, Player.objects.get(id=player_id))
            }
        if self.is_open:
            return set(player_ids)
        return set(
            Membership.objects.filter(channel=channel, player_id__in=player_ids).values_list(
                "player_id", flat=True
            )
        )

    def can_write(self, channel: Channel, player: Player) -> bool:
        if not self.is_player_writable or channel.is_closed:
            return False
        return self.can_read(channel, player)

    def can_moderate(self, channel: Channel, player: Player) -> bool:
        """Whether ``player`` moderates ``channel`` as a player, not as staff: deletes others'
        messages and sets its slow mode. No kind grants it by default; guild chat grants it
        to holders of the guild's ``manage_chat`` (a guild power, so a chat token carries it
        too, unlike staff powers)."""
        return False

    def moderation_record(
        self, channel: Channel, player: Player, action: str, data: dict[str, Any]
    ) -> None:
        """Record what a player moderator (``can_moderate``) did, inside the transaction of
        the change; the owning app keeps its own log (guilds: the guild's audit log)."""


class LobbyRules(KindRules):
    kind = ChannelKind.LOBBY
    is_open = True


class AnnouncementRules(KindRules):
    """Read-only for players: game servers and staff post through ``announcement_post``."""

    kind = ChannelKind.ANNOUNCEMENT
    is_open = True
    is_player_writable = False


class DirectRules(KindRules):
    """1:1; writing also needs ``can_direct_message`` (blocks and privacy), checked by the
    send service against the other member."""

    kind = ChannelKind.DIRECT
    belongs_to_title = False


class MatchRules(KindRules):
    """Members are the match's players; read-only once the match closes it."""

    kind = ChannelKind.MATCH


@dataclass
class _Registry:
    rules: dict[str, KindRules]

    def register(self, rules: KindRules) -> None:
        self.rules[str(rules.kind)] = rules

    def for_channel(self, channel: Channel) -> KindRules:
        return self.for_kind(channel.kind)

    def for_kind(self, kind: str) -> KindRules:
        # A kind without registered rules (its app not installed) is closed to everyone.
        return self.rules.get(kind, _CLOSED)


class _ClosedRules(KindRules):
    is_player_writable = False

    def can_read(self, channel: Channel, player: Player) -> bool:
        return False

    def readers_among(self, channel: Channel, player_ids: set[int]) -> set[int]:
        return set()


_CLOSED = _ClosedRules()

kind_registry = _Registry(rules={})
for _rules in (LobbyRules(), AnnouncementRules(), DirectRules(), MatchRules()):
    kind_registry.register(_rules)
