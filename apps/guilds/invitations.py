"""Whether an invitation would be accepted: ``guild_invite_check`` (what ``guild_invite_send``
enforces under the guild's lock), and the same check answered without the lock for the
portal's "Invite to <guild>" offers: one player's profile (``invite_options``) or a whole
friends list (``invite_options_many``, a fixed number of queries whatever its length)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from apps.common.exceptions import ApplicationError
from apps.guilds import permissions
from apps.guilds.exceptions import AlreadyMember, GuildBanned, InviteExists, InviteRefused
from apps.guilds.models import Guild, GuildBan, GuildInvite, GuildMembership, Permission
from apps.guilds.selectors import guilds_of_player
from apps.moderation.enforcement import Action, sanction_check
from apps.players import selectors as player_selectors
from apps.players.models import Player

Pairs = frozenset[tuple[int, int]]  # (guild id, player id)


@dataclass(frozen=True)
class InviteFacts:
    """What the invitee's side of ``guild_invite_check`` reads, for many guilds and players
    at once: who is banned from, a member of, or already invited to which guild, and whom
    the inviter may address (the direct-message rule)."""

    banned: Pairs
    members: Pairs
    pending: Pairs
    reachable: frozenset[int]

    @classmethod
    def read(cls, *, inviter: Player, guild_ids: list[int], player_ids: list[int]) -> "InviteFacts":
        """Six queries, whatever the number of guilds and players."""

        def pairs(model: type[GuildBan | GuildMembership | GuildInvite], **extra: object) -> Pairs:
            rows = model.objects.filter(guild_id__in=guild_ids, player_id__in=player_ids, **extra)
            return frozenset(rows.values_list("guild_id", "player_id"))

        return cls(
            banned=pairs(GuildBan),
            members=pairs(GuildMembership),
            pending=pairs(GuildInvite, expires_at__gt=timezone.now()),
            reachable=frozenset(
                player_selectors.direct_message_recipients(sender=inviter, recipient_ids=player_ids)
            ),
        )


def guild_invite_check(
    *,
    inviter: Player,
    acting: GuildMembership | None,
    guild: Guild,
    player: Player,
    facts: InviteFacts | None = None,
) -> None:
    """Every refusal of ``guild_invite_send``, in its order; raises the first that holds.
    ``acting`` is the inviter's membership of ``guild``; ``facts`` (read for this pair when
    not given) hold what the invitee's side reads. The service calls it holding the guild's
    lock; the portal's offers call it without, to offer only what the service would accept.
    The privacy rule is the direct-message one (``can_direct_message``: no blocks either way;
    private admits nobody, friends-only friends)."""
    _inviter_check(inviter=inviter, acting=acting, guild=guild)
    if facts is None:
        facts = InviteFacts.read(inviter=inviter, guild_ids=[guild.id], player_ids=[player.id])
    _invitee_check(guild_id=guild.id, player_id=player.id, facts=facts)


def _inviter_check(*, inviter: Player, acting: GuildMembership | None, guild: Guild) -> None:
    permissions.permission_require(membership=acting, permission=Permission.INVITE)
    sanction_check(player=inviter, action=Action.GUILD_EDIT, title=guild.title)


def _invitee_check(*, guild_id: int, player_id: int, facts: InviteFacts) -> None:
    pair = (guild_id, player_id)
    if pair in facts.banned:
        raise GuildBanned()
    if pair in facts.members:
        raise AlreadyMember()
    if player_id not in facts.reachable:
        raise InviteRefused()
    if pair in facts.pending:
        raise InviteExists()


@dataclass(frozen=True)
class InviteOption:
    """One of the inviter's guilds beside a player: ``refusal`` is None when an invitation
    would be accepted, else the error ``guild_invite_send`` would raise."""

    guild: Guild
    refusal: ApplicationError | None


def invite_options(*, inviter: Player, player: Player) -> list[InviteOption]:
    """The inviter's guilds where they hold ``invite`` and ``player`` is not a member, each
    with what ``guild_invite_check`` says now (no lock: the service checks again)."""
    return invite_options_many(inviter=inviter, players=[player]).get(player.id, [])


def invite_options_many(
    *, inviter: Player, players: Iterable[Player]
) -> dict[int, list[InviteOption]]:
    """``invite_options`` for each of ``players`` (by id; the inviter gets none): the
    inviter's side (permission, sanction) checked once per guild, the invitees' read once for
    them all, and ``guild_invite_check``'s order kept. Queries: the inviter's memberships, one
    per guild for the sanction, and ``InviteFacts.read``'s six."""
    player_ids = [player.id for player in players if player.id != inviter.id]
    if not player_ids:
        return {}
    guilds: list[tuple[Guild, ApplicationError | None]] = []
    for membership in guilds_of_player(player=inviter):
        if not permissions.has_permission(membership, Permission.INVITE):
            continue
        try:
            _inviter_check(inviter=inviter, acting=membership, guild=membership.guild)
        except ApplicationError as refusal:
            guilds.append((membership.guild, refusal))
        else:
            guilds.append((membership.guild, None))
    if not guilds:
        return {player_id: [] for player_id in player_ids}
    facts = InviteFacts.read(
        inviter=inviter, guild_ids=[guild.id for guild, _ in guilds], player_ids=player_ids
    )
    return {
        player_id: [
            option
            for guild, held in guilds
            if (option := _option(guild, player_id, held, facts)) is not None
        ]
        for player_id in player_ids
    }


def _option(
    guild: Guild, player_id: int, held: ApplicationError | None, facts: InviteFacts
) -> InviteOption | None:
    """The offer for one pair; None for a member (nothing to offer or explain)."""
    if (guild.id, player_id) in facts.members:
        return None
    if held is not None:
        return InviteOption(guild=guild, refusal=held)
    try:
        _invitee_check(guild_id=guild.id, player_id=player_id, facts=facts)
    except ApplicationError as refusal:
        return InviteOption(guild=guild, refusal=refusal)
    return InviteOption(guild=guild, refusal=None)
