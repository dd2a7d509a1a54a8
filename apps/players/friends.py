"""Friend requests, friendships and blocks (docs/players.md, "Friends and blocks").

Every write that involves two players first locks both player rows in id order
(``_lock_pair``), so concurrent requests, accepts and blocks between the same two players run
one after the other: two players requesting each other at once end as friends exactly once.
"""

from django.conf import settings
from django.db import transaction

from apps.common.exceptions import NotFound
from apps.moderation.enforcement import Action, sanction_check
from apps.players import selectors
from apps.players.exceptions import (
    AlreadyFriends,
    FriendRequestExists,
    FriendRequestLimit,
    SelfRelation,
)
from apps.players.models import (
    ActivityKind,
    Block,
    FriendRequest,
    Friendship,
    NotificationKind,
    Player,
)
from apps.players.services import activity_record, notification_create


def _lock_pair(first: Player, second: Player) -> None:
    """Row-lock both players, lower id first (a fixed order cannot deadlock).
    Call inside ``transaction.atomic``."""
    list(Player.objects.select_for_update().filter(id__in=[first.id, second.id]).order_by("id"))


def _friendship_create(*, one: Player, other: Player) -> Friendship:
    low, high = sorted((one, other), key=lambda player: player.id)
    friendship, _created = Friendship.objects.get_or_create(player_low=low, player_high=high)
    return friendship


def friend_request_send(*, sender: Player, recipient: Player) -> FriendRequest | Friendship:
    """Ask ``recipient`` to be friends. When they already asked ``sender``, this accepts their
    request instead and returns the Friendship. Blocked either way → ``NotFound``. A sender
    under a DM restriction, a suspension or a ban is refused (``dm_restricted``…)."""
    if sender.id == recipient.id:
        raise SelfRelation()
    sanction_check(player=sender, action=Action.FRIEND_REQUEST)
    with transaction.atomic():
        _lock_pair(sender, recipient)
        if (
            recipient.is_deleted
            or recipient.is_shadow
            or selectors.block_exists_between(player_id=sender.id, other_player_id=recipient.id)
        ):
            raise NotFound()
        if selectors.are_friends(player_id=sender.id, other_player_id=recipient.id):
            raise AlreadyFriends()
        reverse = FriendRequest.objects.filter(from_player=recipient, to_player=sender).first()
        if reverse is not None:
            return _accept(request=reverse)
        if FriendRequest.objects.filter(from_player=sender, to_player=recipient).exists():
            raise FriendRequestExists()
        pending = FriendRequest.objects.filter(from_player=sender).count()
        if pending >= settings.PLAYERS_MAX_PENDING_FRIEND_REQUESTS:
            raise FriendRequestLimit()
        request = FriendRequest.objects.create(from_player=sender, to_player=recipient)
        notification_create(
            recipient=recipient,
            kind=NotificationKind.FRIEND_REQUEST,
            data={"friend_request_id": request.id},
            actor=sender,
        )
        return request


def _accept(*, request: FriendRequest) -> Friendship:
    sender, recipient = request.from_player, request.to_player
    request.delete()
    friendship = _friendship_create(one=sender, other=recipient)
    notification_create(
        recipient=sender,
        kind=NotificationKind.FRIEND_ACCEPTED,
        data={"player_id": recipient.id},
        actor=recipient,
    )
    for player, friend in ((sender, recipient), (recipient, sender)):
        activity_record(
            player=player,
            kind=ActivityKind.FRIENDSHIP_STARTED,
            data={"friend_id": friend.id, "friend_name": friend.display_name},
        )
    return friendship


def friend_request_accept(*, player: Player, request: FriendRequest) -> Friendship:
    """Accept a request addressed to ``player``; ``NotFound`` for one they did not receive."""
    if request.to_player_id != player.id:
        raise NotFound()
    with transaction.atomic():
        _lock_pair(request.from_player, request.to_player)
        current = FriendRequest.objects.filter(id=request.id).select_related(
            "from_player", "to_player"
        )
        locked = current.first()
        if locked is None:
            raise NotFound()
        return _accept(request=locked)


def friend_request_decline(*, player: Player, request: FriendRequest) -> None:
    """The recipient declines, or the sender cancels; the sender is not notified."""
    if player.id not in (request.to_player_id, request.from_player_id):
        raise NotFound()
    FriendRequest.objects.filter(id=request.id).delete()


def friend_remove(*, player: Player, friend: Player) -> None:
    low, high = sorted((player.id, friend.id))
    deleted, _ = Friendship.objects.filter(player_low_id=low, player_high_id=high).delete()
    if not deleted:
        raise NotFound()


def block_create(*, blocker: Player, blocked: Player) -> Block:
    """Block: ends the friendship and pending requests both ways. Idempotent."""
    if blocker.id == blocked.id:
        raise SelfRelation()
    with transaction.atomic():
        _lock_pair(blocker, blocked)
        low, high = sorted((blocker.id, blocked.id))
        Friendship.objects.filter(player_low_id=low, player_high_id=high).delete()
        FriendRequest.objects.filter(from_player=blocker, to_player=blocked).delete()
        FriendRequest.objects.filter(from_player=blocked, to_player=blocker).delete()
        block, _created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        return block


def block_remove(*, blocker: Player, blocked_id: int) -> None:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked_id=blocked_id).delete()
    if not deleted:
        raise NotFound()
