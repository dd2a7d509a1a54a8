"""Reads about guilds, scoped to the caller (docs/guilds.md)."""

from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    JSONField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from apps.common.compiled_query import QuerySource
from apps.common.text_safety import name_key
from apps.guilds.exceptions import GuildNotFound, NotMember, NotPermitted
from apps.guilds.models import (
    Guild,
    GuildAuditEntry,
    GuildBan,
    GuildInvite,
    GuildJoinRequest,
    GuildMembership,
    GuildRole,
    Permission,
)
from apps.guilds.pagination import Keyset
from apps.guilds.permissions import OFFICER_RANK, permission_require
from apps.players.models import Player
from apps.players.selectors import fully_visible_to, open_session_column, player_get_visible
from apps.titles.models import Title

# Browse orderings, newest or biggest first: the key the cursor keeps beside the id, which
# breaks its ties (``apps.guilds.pagination``), so a page read backwards (``previous``) holds
# the same guilds as it did forwards. Activity is the last activity, or the creation for a
# guild with none yet (as the portal sorts it).
SORTS = {
    "members": Keyset("member_count", Guild._meta.get_field("member_count"), descending=True),
    "activity": Keyset("activity", Guild._meta.get_field("created_at"), descending=True),
    "created": Keyset("created_at", Guild._meta.get_field("created_at"), descending=True),
}
# Members by joining order, the id breaking ties (a seeded guild joins many at once).
MEMBER_ORDER = Keyset("joined_at", GuildMembership._meta.get_field("joined_at"), descending=False)


def guild_get(*, guild_id: int) -> Guild:
    """A guild that is not disbanded; ``not_found`` otherwise (guilds are public)."""
    guild = Guild.objects.select_related("title").filter(id=guild_id, disbanded_at=None).first()
    if guild is None:
        raise GuildNotFound()
    return guild


def membership_get(*, guild: Guild, player: Player) -> GuildMembership | None:
    return GuildMembership.objects.select_related("role").filter(guild=guild, player=player).first()


def guild_browse(
    *,
    title_slug: str | None = None,
    language: str | None = None,
    region: str | None = None,
    join_policy: str | None = None,
    has_room: bool = False,
    query: str = "",
) -> QuerySet[Guild]:
    """Live guilds matching the filters; ``query`` matches the start of the folded name or
    tag, so fullwidth "SEGA" finds "sega", and a Cyrillic look-alike does too."""
    guilds = Guild.objects.filter(disbanded_at=None).select_related("title")
    if title_slug:
        guilds = guilds.filter(title__slug=title_slug)
    if language:
        guilds = guilds.filter(language=language)
    if region:
        guilds = guilds.filter(region=region)
    if join_policy:
        guilds = guilds.filter(join_policy=join_policy)
    if has_room:
        guilds = guilds.filter(member_count__lt=F("capacity"))
    key = name_key(query) if query else ""
    if key:
        guilds = guilds.filter(Q(name_key__startswith=key) | Q(tag_key__startswith=key))
    return guilds


def guild_members(*, guild: Guild) -> QuerySet[GuildMembership]:
    return GuildMembership.objects.filter(guild=guild).select_related("player", "role")


# What a guild card (REST ``GuildSerializer``) shows and the browse sorts read, as plain rows
# (``guild_card``): a 50-row page builds no model instances.
GUILD_CARD_FIELDS = (
    "id", "name", "tag", "description", "title__slug", "language", "region", "join_policy",
    "capacity", "member_count", "created_at", "last_activity_at", "emblem_large",
)  # fmt: skip


def guild_browse_rows(**filters: Any) -> QuerySet[Guild, dict[str, Any]]:
    """``guild_browse`` as ``GUILD_CARD_FIELDS`` rows plus ``activity`` (the sort key:
    ``SORTS``) and ``translations`` (``description_translations``, or None when it holds none:
    most guilds, whose rows then decode no JSON), in one query joined with the title."""
    activity = Coalesce(F("last_activity_at"), F("created_at"))
    translations = NullIf(
        F("description_translations"), Cast(Value("{}"), output_field=JSONField())
    )
    return guild_browse(**filters).values(
        *GUILD_CARD_FIELDS, activity=activity, translations=translations
    )


# The browse filters that are SQL parameters, with the field each is prepared as.
_BROWSE_PARAMETERS = {
    "title_slug": Title._meta.get_field("slug"),
    "language": Guild._meta.get_field("language"),
    "region": Guild._meta.get_field("region"),
    "join_policy": Guild._meta.get_field("join_policy"),
}


def guild_browse_source(
    *, has_room: bool = False, query: str = "", **filters: str | None
) -> QuerySource | QuerySet[Guild, dict[str, Any]]:
    """``guild_browse_rows`` as a source whose pages the API runs compiled (one compiled
    query per set of filters given). A name search stays an ORM query: its pattern is
    derived from the parameter, which a compiled query cannot bind."""
    if query and name_key(query):
        return guild_browse_rows(has_room=has_room, query=query, **filters)
    given = {name: value for name, value in filters.items() if value}
    return QuerySource(
        model=Guild,
        build=guild_browse_rows,
        parameters=tuple((name, _BROWSE_PARAMETERS[name]) for name in sorted(given)),
        values=given,
        shape=(("has_room", has_room),),
    )


# What a member list shows, as plain rows: a 200-row page builds no model instances.
MEMBER_ROW_FIELDS = (
    "id", "joined_at", "is_leader", "role__name", "role__rank",
    "player_id", "player__display_name", "player__avatar_large", "player__avatar_small",
    "player__deleted_at", "player__user_id",
)  # fmt: skip


def _member_rows(*, guild_id: int, viewer_id: int) -> QuerySet[GuildMembership, Any]:
    sees_fully = ExpressionWrapper(
        fully_visible_to(viewer_id=viewer_id, prefix="player__"), output_field=BooleanField()
    )
    return (
        GuildMembership.objects.filter(guild_id=guild_id)
        .annotate(viewer_sees_fully=sees_fully, open_session=open_session_column("player_id"))
        .values(*MEMBER_ROW_FIELDS, "viewer_sees_fully", "open_session")
    )


def guild_member_rows_source(*, guild_id: int, viewer: Player) -> QuerySource:
    """``guild_member_rows`` as a source whose pages the API runs compiled."""
    return QuerySource(
        model=GuildMembership,
        build=_member_rows,
        parameters=(
            ("guild_id", GuildMembership._meta.get_field("guild")),
            ("viewer_id", GuildMembership._meta.get_field("player")),
        ),
        values={"guild_id": guild_id, "viewer_id": viewer.id},
    )


def guild_member_rows(*, guild_id: int, viewer: Player) -> QuerySet[GuildMembership, Any]:
    """The guild's members as ``MEMBER_ROW_FIELDS`` rows plus ``viewer_sees_fully`` (whether
    ``viewer`` may see the member's presence: ``fully_visible_to``) and ``open_session`` (the
    member's game session for presence: ``open_session_column``), in one query joined with
    player and role. Only live guilds have members (disbanding removes them all), so an empty
    first page means the caller should ask ``guild_get`` whether the guild exists."""
    return _member_rows(guild_id=guild_id, viewer_id=viewer.id)


def guilds_of_player(*, player: Player) -> QuerySet[GuildMembership]:
    return (
        GuildMembership.objects.filter(player=player, guild__disbanded_at=None)
        .select_related("guild", "guild__title", "role")
        .order_by("joined_at")
    )


def guild_roles(*, guild: Guild) -> QuerySet[GuildRole]:
    return guild.roles.order_by("-rank", "name")


def guild_roles_with_holders(*, guild: Guild) -> QuerySet[GuildRole]:
    """The guild's roles by rank, each annotated with ``holders`` (its member count)."""
    return guild.roles.annotate(holders=Count("memberships")).order_by("-rank", "name")


def guild_role_get(*, guild: Guild, role_id: int) -> GuildRole:
    role = GuildRole.objects.filter(guild=guild, id=role_id).first()
    if role is None:
        raise GuildNotFound()
    return role


def join_requests_for(*, guild: Guild, viewer: Player) -> QuerySet[GuildJoinRequest]:
    """Pending requests; needs ``accept_requests``."""
    permission_require(
        membership=membership_get(guild=guild, player=viewer),
        permission=Permission.ACCEPT_REQUESTS,
    )
    return guild.join_requests.select_related("player").order_by("created_at")


def join_request_get(*, guild: Guild, request_id: int) -> GuildJoinRequest:
    join_request = GuildJoinRequest.objects.filter(guild=guild, id=request_id).first()
    if join_request is None:
        raise GuildNotFound()
    return join_request


def invites_received(*, player: Player) -> QuerySet[GuildInvite]:
    return (
        GuildInvite.objects.filter(player=player, guild__disbanded_at=None)
        .select_related("guild", "guild__title", "inviter")
        .order_by("-created_at")
    )


def invite_get_for_player(*, player: Player, invite_id: int) -> GuildInvite:
    invite = GuildInvite.objects.filter(player=player, id=invite_id).first()
    if invite is None:
        raise GuildNotFound()
    return invite


def invites_sent(*, guild: Guild, viewer: Player) -> QuerySet[GuildInvite]:
    """The guild's pending invitations, newest first; needs ``invite``. Expired ones are
    left out (accepting them is ``invite_expired``; they are cleared on the next invite)."""
    permission_require(
        membership=membership_get(guild=guild, player=viewer), permission=Permission.INVITE
    )
    return (
        guild.invites.filter(expires_at__gt=timezone.now())
        .select_related("player", "inviter")
        .order_by("-created_at", "-id")
    )


def invite_get_for_guild(*, guild: Guild, invite_id: int) -> GuildInvite:
    invite = GuildInvite.objects.filter(guild=guild, id=invite_id).first()
    if invite is None:
        raise GuildNotFound()
    return invite


def invite_target_by_name(*, viewer: Player, name: str) -> Player:
    """The player whose display name folds to the same key as ``name`` (the portal's
    "invite by name"), as the viewer may address them; ``not_found`` otherwise (blocked
    either way, deleted, or no such name: the same answer, so nothing leaks)."""
    key = name_key(name)
    target = Player.objects.filter(
        display_name_key=key, user__isnull=False, deleted_at__isnull=True
    ).first()
    if not key or target is None:
        raise GuildNotFound()
    return player_get_visible(viewer=viewer, player_id=target.id)[0]


def bans_of(*, guild: Guild, viewer: Player) -> QuerySet[GuildBan]:
    permission_require(
        membership=membership_get(guild=guild, player=viewer), permission=Permission.BAN
    )
    return guild.bans.select_related("player").order_by("-created_at")


def audit_log_for(*, guild: Guild, viewer: Player) -> QuerySet[GuildAuditEntry]:
    """The guild's audit log; officers and above (rank ≥ officer) only."""
    membership = membership_get(guild=guild, player=viewer)
    if membership is None:
        raise NotMember()
    if membership.role.rank < OFFICER_RANK:
        raise NotPermitted()
    return guild.audit_entries.select_related("actor", "target").order_by("-created_at")
