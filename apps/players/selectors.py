"""Reads about players, scoped to the viewer: privacy and blocks are decided here, once.

Visibility rule (docs/players.md, "Privacy"): a viewer sees a player at one of four levels —
``SELF``; ``NONE`` when either blocked the other (or the player is deleted/absent: not found);
``FULL`` (profile, stats, presence, activity) when the player is public, or friends-only and
the viewer is a friend; ``LIMITED`` (display name and avatar only) otherwise.
"""

import enum
from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from apps.common.exceptions import NotFound
from apps.common.text_safety import name_key
from apps.players.models import (
    ActivityEntry,
    Block,
    FriendRequest,
    Friendship,
    Notification,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
    Privacy,
)
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
    player = Player.objects.filter(user_id=user.pk, deleted_at__isnull=True).first()
    if player is None:
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


def visibility_of(*, viewer: Player | None, target: Player) -> Visibility:
    if target.is_deleted:
        return Visibility.NONE
    if viewer is not None and viewer.id == target.id:
        return Visibility.SELF
    if target.deletion_requested_at is not None:
        return Visibility.NONE  # leaving: hidden from others during the grace period
    if viewer is not None and block_exists_between(player_id=viewer.id, other_player_id=target.id):
        return Visibility.NONE
    if target.privacy == Privacy.PUBLIC:
        return Visibility.FULL
    is_friend = (
        viewer is not None
        and target.privacy == Privacy.FRIENDS
        and are_friends(player_id=viewer.id, other_player_id=target.id)
    )
    if is_friend:
        return Visibility.FULL
    return Visibility.LIMITED


def player_get_visible(*, viewer: Player | None, player_id: int) -> tuple[Player, Visibility]:
    """The player and how much ``viewer`` may see; ``NotFound`` when nothing (blocked too)."""
    target = Player.objects.filter(id=player_id).first()
    if target is None:
        raise NotFound()
    visibility = visibility_of(viewer=viewer, target=target)
    if visibility == Visibility.NONE:
        raise NotFound()
    return target, visibility


def full_visibility_ids(*, viewer: Player, candidate_ids: Iterable[int]) -> set[int]:
    """Of ``candidate_ids`` (the viewer's friends or self), those whose activity and presence
    the viewer may see; two queries whatever the number of candidates."""
    candidates = set(candidate_ids) - blocked_player_ids(player_id=viewer.id)
    friends = friend_ids(player_id=viewer.id)
    visible = set()
    for player_id, privacy in Player.objects.filter(
        id__in=candidates, deleted_at__isnull=True
    ).values_list("id", "privacy"):
        is_friend_visible = privacy == Privacy.FRIENDS and player_id in friends
        if player_id == viewer.id or privacy == Privacy.PUBLIC or is_friend_visible:
            visible.add(player_id)
    return visible


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


def friends_of(*, player: Player) -> list[Player]:
    return list(
        Player.objects.filter(id__in=friend_ids(player_id=player.id)).order_by("display_name_key")
    )


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


def notification_list(*, player: Player, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=player).select_related("actor")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at")


def notification_unread_count(*, player_id: int) -> int:
    return Notification.objects.filter(recipient_id=player_id, read_at__isnull=True).count()


def activity_feed(*, viewer: Player) -> QuerySet[ActivityEntry]:
    """The viewer's own activity and their friends' as their privacy allows, newest first."""
    visible = full_visibility_ids(
        viewer=viewer, candidate_ids=friend_ids(player_id=viewer.id) | {viewer.id}
    )
    return (
        ActivityEntry.objects.filter(player_id__in=visible)
        .select_related("player", "title")
        .order_by("-created_at", "-id")
    )


def activity_of_player(*, viewer: Player | None, target: Player) -> QuerySet[ActivityEntry]:
    if visibility_of(viewer=viewer, target=target) < Visibility.FULL:
        return ActivityEntry.objects.none()
    return (
        ActivityEntry.objects.filter(player=target)
        .select_related("player", "title")
        .order_by("-created_at", "-id")
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
    return PlayerTitleStats.objects.filter(player=player, title=title).first()


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
