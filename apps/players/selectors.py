"""Reads about players, scoped to the viewer: privacy and blocks are decided here, once.

Visibility rule (docs/players.md, "Privacy"): a viewer sees a player at one of four levels —
``SELF``; ``NONE`` when either blocked the other (or the player is deleted/absent: not found);
``FULL`` (profile, stats, presence, activity) when the player is public, or friends-only and
the viewer is a friend; ``LIMITED`` (display name and avatar only) otherwise.
"""

import enum
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject

from apps.common.compiled_query import CompiledQuery, QuerySource
from apps.common.exceptions import NotFound
from apps.common.text_safety import name_key
from apps.players.models import (
    ActivityEntry,
    Block,
    FriendRequest,
    Friendship,
    GameSession,
    Notification,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
    Privacy,
)
from apps.players.play_time import played_seconds_by_title
from apps.titles.models import Title


class Visibility(enum.IntEnum):
    NONE = 0
    LIMITED = 1
    FULL = 2
    SELF = 3


def player_get_for_user(*, user: AbstractBaseUser | AnonymousUser | None) -> Player:
    """The player of a login; ``NotFound`` when it has none (or is anonymous/deleted)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        raise NotFound()
    fields_cache = getattr(getattr(user, "_state", None), "fields_cache", {})
    if "player" in fields_cache:  # loaded with the user (token authentication): no query
        player = fields_cache["player"]
    else:
        player = Player.objects.filter(user_id=user.pk).first()
    if player is None or player.deleted_at is not None:
        raise NotFound()
    return player


def player_get_optional_for_user(*, user: AbstractBaseUser | AnonymousUser | None) -> Player | None:
    try:
        return player_get_for_user(user=user)
    except NotFound:
        return None


def are_friends(*, player_id: int, other_player_id: int) -> bool:
    low, high = sorted((player_id, other_player_id))
    return Friendship.objects.filter(player_low_id=low, player_high_id=high).exists()


def friend_ids(*, player_id: int) -> set[int]:
    pairs = Friendship.objects.filter(
        Q(player_low_id=player_id) | Q(player_high_id=player_id)
    ).values_list("player_low_id", "player_high_id")
    return {low if high == player_id else high for low, high in pairs}


def friend_ids_many(*, player_ids: list[int]) -> dict[int, set[int]]:
    """``friend_ids`` of several players in one query."""
    wanted = set(player_ids)
    friends: dict[int, set[int]] = {player_id: set() for player_id in wanted}
    pairs = Friendship.objects.filter(
        Q(player_low_id__in=wanted) | Q(player_high_id__in=wanted)
    ).values_list("player_low_id", "player_high_id")
    for low, high in pairs:
        if low in wanted:
            friends[low].add(high)
        if high in wanted:
            friends[high].add(low)
    return friends


def block_exists_between(*, player_id: int, other_player_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=player_id, blocked_id=other_player_id)
        | Q(blocker_id=other_player_id, blocked_id=player_id)
    ).exists()


def blocked_player_ids(*, player_id: int) -> set[int]:
    """Players this one blocked or is blocked by: they must not see or reach each other."""
    pairs = Block.objects.filter(Q(blocker_id=player_id) | Q(blocked_id=player_id)).values_list(
        "blocker_id", "blocked_id"
    )
    return {blocked if blocker == player_id else blocker for blocker, blocked in pairs}


def blocks_made(*, player: Player) -> QuerySet[Block]:
    return Block.objects.filter(blocker=player).select_related("blocked").order_by("-created_at")


def can_direct_message(*, sender: Player, recipient: Player) -> bool:
    """False when either blocked the other, or the recipient's privacy forbids it
    (private: nobody; friends only: friends)."""
    if sender.id == recipient.id or recipient.is_deleted:
        return False
    if block_exists_between(player_id=sender.id, other_player_id=recipient.id):
        return False
    if recipient.privacy == Privacy.PRIVATE:
        return False
    if recipient.privacy == Privacy.FRIENDS:
        return are_friends(player_id=sender.id, other_player_id=recipient.id)
    return True


def direct_message_recipients(*, sender: Player, recipient_ids: Iterable[int]) -> set[int]:
    """Which of ``recipient_ids`` ``sender`` may direct-message: ``can_direct_message`` for
    many players at once (three queries, whatever their number)."""
    wanted = set(recipient_ids) - {sender.id}
    if not wanted:
        return set()
    blocked = blocked_player_ids(player_id=sender.id)
    friends = friend_ids(player_id=sender.id)
    allowed = set()
    recipients = Player.objects.filter(id__in=wanted, deleted_at__isnull=True)
    for player_id, privacy in recipients.values_list("id", "privacy"):
        if player_id in blocked or privacy == Privacy.PRIVATE:
            continue
        if privacy == Privacy.FRIENDS and player_id not in friends:
            continue
        allowed.add(player_id)
    return allowed


# Who is a friend of, or blocks or is blocked by, the player %s (passed twice). Hand-written
# subqueries: Django's compiler spent more CPU building the four equivalent ORM subqueries of a
# feed page than PostgreSQL spent running the page (docs/performance.md).
_FRIEND_IDS_SQL = (
    f"SELECT player_high_id FROM {Friendship._meta.db_table} WHERE player_low_id = %s "  # noqa: S608 - names from the model, values bound
    f"UNION ALL SELECT player_low_id FROM {Friendship._meta.db_table} WHERE player_high_id = %s"
)
_BLOCKED_IDS_SQL = (
    f"SELECT blocked_id FROM {Block._meta.db_table} WHERE blocker_id = %s "  # noqa: S608 - names from the model, values bound
    f"UNION ALL SELECT blocker_id FROM {Block._meta.db_table} WHERE blocked_id = %s"
)


def _relations_of(viewer_id: int, prefix: str = "") -> tuple[Q, Q]:
    """``(is_friend, is_blocked)`` of the player at ``prefix`` towards ``viewer_id``, as SQL
    conditions (subqueries on the friendship and block tables) that join any query."""
    at = f"{prefix}id__in"
    is_friend = Q(**{at: RawSQL(_FRIEND_IDS_SQL, (viewer_id, viewer_id))})  # noqa: S611
    is_blocked = Q(**{at: RawSQL(_BLOCKED_IDS_SQL, (viewer_id, viewer_id))})  # noqa: S611
    return is_friend, is_blocked


def fully_visible_to(*, viewer_id: int, prefix: str = "") -> Q:
    """The players ``viewer_id`` sees at ``FULL`` (or ``SELF``) as one SQL condition on the
    player at ``prefix`` (``""`` on Player, ``"player__"`` on rows that belong to a player):
    live, not blocked either way, and public or friends-only with the viewer a friend. It
    joins the caller's page query, so a list pays no separate visibility queries."""
    is_friend, is_blocked = _relations_of(viewer_id, prefix)
    privacy = f"{prefix}privacy"
    shown = Q(**{privacy: Privacy.PUBLIC}) | (Q(**{privacy: Privacy.FRIENDS}) & is_friend)
    is_self = Q(**{f"{prefix}id": viewer_id})
    return Q(**{f"{prefix}deleted_at__isnull": True}) & (is_self | (shown & ~is_blocked))


def _visibility_from(
    *, viewer: Player | None, target: Player, blocked: bool, friend: bool
) -> Visibility:
    if target.is_deleted:
        return Visibility.NONE
    if viewer is not None and viewer.id == target.id:
        return Visibility.SELF
    if target.deletion_requested_at is not None or blocked:
        return Visibility.NONE  # leaving: hidden from others during the grace period
    if target.privacy == Privacy.PUBLIC:
        return Visibility.FULL
    if target.privacy == Privacy.FRIENDS and friend:
        return Visibility.FULL
    return Visibility.LIMITED


def visibility_of(*, viewer: Player | None, target: Player) -> Visibility:
    blocked = viewer is not None and block_exists_between(
        player_id=viewer.id, other_player_id=target.id
    )
    friend = (
        viewer is not None
        and target.privacy == Privacy.FRIENDS
        and are_friends(player_id=viewer.id, other_player_id=target.id)
    )
    return _visibility_from(viewer=viewer, target=target, blocked=blocked, friend=friend)


def _player_with_relations(*, player_id: int, viewer_id: int) -> QuerySet[Player]:
    is_friend, is_blocked = _relations_of(viewer_id)
    return Player.objects.filter(id=player_id).annotate(
        viewer_is_friend=ExpressionWrapper(is_friend, output_field=BooleanField()),
        viewer_is_blocked=ExpressionWrapper(is_blocked, output_field=BooleanField()),
    )


# Every profile, activity and presence read asks it: compiled once (apps.common.compiled_query).
_player_with_relations_compiled = CompiledQuery(
    _player_with_relations,
    player_id=Player._meta.get_field("id"),
    viewer_id=Player._meta.get_field("id"),
)


def player_get_visible(*, viewer: Player | None, player_id: int) -> tuple[Player, Visibility]:
    """The player and how much ``viewer`` may see; ``NotFound`` when nothing (blocked too).
    One query: the friendship and blocks between them come as columns of the player row."""
    if viewer is None:
        target = Player.objects.filter(id=player_id).first()
    else:
        target = _player_with_relations_compiled.first(player_id=player_id, viewer_id=viewer.id)
    if target is None:
        raise NotFound()
    visibility = _visibility_from(
        viewer=viewer,
        target=target,
        blocked=getattr(target, "viewer_is_blocked", False),
        friend=getattr(target, "viewer_is_friend", False),
    )
    if visibility == Visibility.NONE:
        raise NotFound()
    return target, visibility


def full_visibility_ids(*, viewer: Player, candidate_ids: Iterable[int]) -> set[int]:
    """Of ``candidate_ids``, those whose activity and presence the viewer may see
    (``fully_visible_to``); one query whatever the number of candidates."""
    visible = Player.objects.filter(
        fully_visible_to(viewer_id=viewer.id), id__in=set(candidate_ids)
    )
    return set(visible.values_list("id", flat=True))


def player_search(*, viewer: Player | None, query: str, limit: int = 20) -> list[Player]:
    """Players whose name key starts with the query's key; blocked players (either way),
    shadows and deleted accounts are left out."""
    key = name_key(query)
    if not key:
        return []
    players = Player.objects.filter(
        display_name_key__startswith=key,
        user__isnull=False,
        deleted_at__isnull=True,
        deletion_requested_at__isnull=True,
    )
    if viewer is not None:
        players = players.exclude(id__in=blocked_player_ids(player_id=viewer.id))
    return list(players.order_by("display_name_key")[:limit])


def _friends(*, player_id: int) -> QuerySet[Player]:
    is_friend, _is_blocked = _relations_of(player_id)
    sees_fully = fully_visible_to(viewer_id=player_id)
    friends = Player.objects.filter(is_friend).annotate(
        viewer_sees_fully=ExpressionWrapper(sees_fully, output_field=BooleanField())
    )
    return friends.order_by("display_name_key")


# Compiled once per thread (apps.common.compiled_query): the friends list is read by every
# game client's friends panel.
_friends_compiled = CompiledQuery(_friends, player_id=Player._meta.get_field("id"))


def friends_of(*, player: Player) -> list[Player]:
    """The player's friends by name, each with ``viewer_sees_fully`` (``fully_visible_to``)
    decided in the same query, for presence to read instead of asking again."""
    return _friends_compiled.all(player_id=player.id)


def open_session_column(player: str = "id") -> Subquery:
    """The most recently active open game session of the player at ``player`` (a field of the
    outer query's model: ``"id"`` on Player, ``"player_id"`` on rows that belong to one), as
    one JSON column of that query: ``{match_id, slug, name, names}`` or NULL. A list that
    selects it asks nothing more of the database for presence
    (``presence.presence_states_of_rows``). PostgreSQL evaluates it only for the rows a page
    returns (after its sort and limit)."""
    latest = (
        GameSession.objects.filter(player_id=OuterRef(player), ended_at=None)
        .order_by("-last_seen_at", "-id")
        .values(
            session=JSONObject(
                match_id="match_id",
                slug="title__slug",
                name="title__name",
                names="title__name_translations",
            )
        )[:1]
    )
    return Subquery(latest, output_field=JSONField())


# A friend as the API's friends list reads it (``apps.players.apis.serializers.friend_rows``).
FRIEND_ROW = ("id", "display_name", "avatar_large", "avatar_small", "deleted_at", "user_id",
              "viewer_sees_fully", "open_session")  # fmt: skip


def _friend_rows(*, player_id: int) -> QuerySet[Player, dict[str, Any]]:
    return (
        _friends(player_id=player_id)
        .annotate(open_session=open_session_column())
        .values(*FRIEND_ROW)
    )


_friend_rows_compiled: CompiledQuery[Any] = CompiledQuery(
    _friend_rows,
    player_id=Player._meta.get_field("id"),
)


def friend_rows_of(*, player: Player) -> list[dict[str, Any]]:
    """``friends_of`` as ``FRIEND_ROW`` dicts, the columns a list row shows."""
    return _friend_rows_compiled.all(player_id=player.id)


def friend_requests_received(*, player: Player) -> QuerySet[FriendRequest]:
    return (
        FriendRequest.objects.filter(to_player=player)
        .select_related("from_player")
        .order_by("-created_at")
    )


def friend_requests_sent(*, player: Player) -> QuerySet[FriendRequest]:
    return (
        FriendRequest.objects.filter(from_player=player)
        .select_related("to_player")
        .order_by("-created_at")
    )


def friend_request_get_for_player(*, player: Player, request_id: int) -> FriendRequest:
    """A request the player sent or received; ``NotFound`` for anyone else's."""
    found = (
        FriendRequest.objects.filter(Q(from_player=player) | Q(to_player=player), id=request_id)
        .select_related("from_player", "to_player")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def _notifications(
    *, recipient_id: int, unread_only: bool, rows: bool = False
) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient_id=recipient_id)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    notifications = notifications.order_by("-created_at")
    return (
        notifications.values(*NOTIFICATION_ROW) if rows else notifications.select_related("actor")
    )


def notification_source(
    *, player: Player, unread_only: bool = False, rows: bool = False
) -> QuerySource:
    """``notification_list`` as a source whose pages the API runs compiled; ``rows``: pages of
    ``NOTIFICATION_ROW`` dicts instead of notifications."""
    return QuerySource(
        model=Notification,
        build=_notifications,
        parameters=(("recipient_id", Notification._meta.get_field("recipient")),),
        values={"recipient_id": player.id},
        shape=(("unread_only", unread_only), ("rows", rows)),
    )


def notification_list(*, player: Player, unread_only: bool = False) -> QuerySet[Notification]:
    return notification_source(player=player, unread_only=unread_only).queryset()


def notification_unread_count(*, player_id: int) -> int:
    return Notification.objects.filter(recipient_id=player_id, read_at__isnull=True).count()


# An activity row as the API reads it (``apps.players.apis.serializers.activity_rows``): the
# columns a list shows, not every column of the entry, its player and its title.
ACTIVITY_ROW = ("id", "kind", "data", "created_at", "player_id", "player__display_name",
                "player__avatar_large", "player__avatar_small", "player__deleted_at",
                "title__slug")  # fmt: skip
NOTIFICATION_ROW = ("id", "kind", "data", "read_at", "created_at", "actor_id",
                    "actor__display_name", "actor__avatar_large", "actor__avatar_small",
                    "actor__deleted_at")  # fmt: skip


def _activity_feed(*, viewer_id: int, rows: bool = False) -> QuerySet[ActivityEntry]:
    is_friend, _is_blocked = _relations_of(viewer_id, "player__")
    authors = Q(player_id=viewer_id) | is_friend
    entries = ActivityEntry.objects.filter(
        authors, fully_visible_to(viewer_id=viewer_id, prefix="player__")
    ).order_by("-created_at", "-id")
    return entries.values(*ACTIVITY_ROW) if rows else entries.select_related("player", "title")


def activity_feed_source(*, viewer: Player, rows: bool = False) -> QuerySource:
    """``activity_feed`` as a source whose pages the API runs compiled; ``rows``: pages of
    ``ACTIVITY_ROW`` dicts instead of entries."""
    return QuerySource(
        model=ActivityEntry,
        build=_activity_feed,
        parameters=(("viewer_id", ActivityEntry._meta.get_field("player")),),
        values={"viewer_id": viewer.id},
        shape=(("rows", rows),),
    )


def activity_feed(*, viewer: Player) -> QuerySet[ActivityEntry]:
    """The viewer's own activity and their friends' as their privacy allows, newest first.
    One query: who is visible is a condition of the page query itself."""
    return activity_feed_source(viewer=viewer).queryset()


def activity_of_player(
    *, viewer: Player | None, target: Player, visibility: Visibility | None = None
) -> QuerySet[ActivityEntry]:
    """``target``'s activity if ``viewer`` sees them fully; pass the ``visibility`` that
    ``player_get_visible`` already decided to skip deciding it again."""
    source = activity_of_player_source(viewer=viewer, target=target, visibility=visibility)
    return source if isinstance(source, QuerySet) else source.queryset()


def _activity_of(*, player_id: int, rows: bool = False) -> QuerySet[ActivityEntry]:
    entries = ActivityEntry.objects.filter(player_id=player_id).order_by("-created_at", "-id")
    return entries.values(*ACTIVITY_ROW) if rows else entries.select_related("player", "title")


def activity_of_player_source(
    *,
    viewer: Player | None,
    target: Player,
    visibility: Visibility | None = None,
    rows: bool = False,
) -> QuerySource | QuerySet[ActivityEntry]:
    """``activity_of_player`` as a source whose pages the API runs compiled (an empty
    queryset when ``viewer`` may not see it); ``rows`` as for ``activity_feed_source``."""
    if visibility is None:
        visibility = visibility_of(viewer=viewer, target=target)
    if visibility < Visibility.FULL:
        return ActivityEntry.objects.none()
    return QuerySource(
        model=ActivityEntry,
        build=_activity_of,
        parameters=(("player_id", ActivityEntry._meta.get_field("player")),),
        values={"player_id": target.id},
        shape=(("rows", rows),),
    )


def identities_of(*, player: Player) -> QuerySet[PlayerIdentity]:
    return PlayerIdentity.objects.filter(player=player).select_related("title").order_by("id")


def identity_get_for_player(*, player: Player, identity_id: int) -> PlayerIdentity:
    identity = PlayerIdentity.objects.filter(player=player, id=identity_id).first()
    if identity is None:
        raise NotFound()
    return identity


def player_get_by_identity(*, provider: str, external_id: str) -> Player:
    """The live player linked to a game identity; NotFound for unknown or deleted ones."""
    identity = (
        PlayerIdentity.objects.select_related("player")
        .filter(provider=provider, external_id=external_id, player__deleted_at__isnull=True)
        .first()
    )
    if identity is None:
        raise NotFound()
    return identity.player


def title_stats_of(*, player: Player, title: Title) -> PlayerTitleStats | None:
    """The player's stats in ``title``, with ``played_seconds`` there (play_time)."""
    stats = PlayerTitleStats.objects.filter(player=player, title=title).first()
    if stats is not None:
        played = played_seconds_by_title(player=player)
        stats.played_seconds = played.get(title.id, 0)  # type: ignore[attr-defined]
    return stats


def _known_to_title(title: Title) -> Q:
    return Q(title=title) | Q(title_uses__title=title)


def identity_is_known_to_title(*, identity: PlayerIdentity, title: Title) -> bool:
    """Whether ``title`` created ``identity`` or its events or identity calls used it: the
    condition for its claim codes (docs/players.md, "Which titles may act for an identity")."""
    if identity.title_id == title.id:
        return True
    return identity.title_uses.filter(title=title).exists()


def player_is_known_to_title(*, player: Player, title: Title) -> bool:
    """Whether one of ``player``'s identities is known to ``title`` (created or used by it):
    the condition for the chat tokens ``title`` mints for ``player``."""
    return PlayerIdentity.objects.filter(_known_to_title(title), player=player).exists()
