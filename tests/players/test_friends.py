"""Friend requests and blocks, through the REST API, including the mutual-request race."""

import pytest
from rest_framework.test import APIClient

from apps.players import selectors
from apps.players.friends import block_create, friend_request_send
from apps.players.models import (
    ActivityEntry,
    Block,
    FriendRequest,
    Friendship,
    Notification,
    Player,
)
from apps.players.services import notification_create
from tests.players.concurrency import run_concurrently
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def request_friend(sender: Player, recipient: Player):  # type: ignore[no-untyped-def]
    return client_for(sender).post(
        "/api/v1/friends/requests/new", {"player_id": recipient.id}, format="json"
    )


def test_request_then_accept_makes_friends_and_notifies_both_ways():
    alice, bob = PlayerFactory(), PlayerFactory()

    sent = request_friend(alice, bob)
    request_id = sent.json()["request_id"]
    pending = client_for(bob).get("/api/v1/friends/requests").json()
    accepted = client_for(bob).post(f"/api/v1/friends/requests/{request_id}/accept")

    assert sent.status_code == 201
    assert sent.json()["status"] == "requested"
    assert [r["from_player"]["id"] for r in pending["received"]] == [alice.id]
    assert accepted.status_code == 204
    assert selectors.are_friends(player_id=alice.id, other_player_id=bob.id)
    assert FriendRequest.objects.count() == 0
    assert list(Notification.objects.order_by("id").values_list("recipient_id", "kind")) == [
        (bob.id, "friend_request"),
        (alice.id, "friend_accepted"),
    ]
    assert ActivityEntry.objects.filter(kind="friendship_started").count() == 2
    assert [f["id"] for f in client_for(alice).get("/api/v1/friends").json()] == [bob.id]


def test_only_the_recipient_can_accept():
    alice, bob, mallory = PlayerFactory(), PlayerFactory(), PlayerFactory()
    request_id = request_friend(alice, bob).json()["request_id"]

    by_sender = client_for(alice).post(f"/api/v1/friends/requests/{request_id}/accept")
    by_stranger = client_for(mallory).post(f"/api/v1/friends/requests/{request_id}/accept")

    assert by_sender.status_code == 404
    assert by_stranger.status_code == 404
    assert Friendship.objects.count() == 0
    assert FriendRequest.objects.count() == 1


def test_decline_and_cancel_remove_the_request_without_friendship():
    alice, bob, carol = PlayerFactory(), PlayerFactory(), PlayerFactory()
    to_bob = request_friend(alice, bob).json()["request_id"]
    to_carol = request_friend(alice, carol).json()["request_id"]

    declined = client_for(bob).delete(f"/api/v1/friends/requests/{to_bob}")
    cancelled = client_for(alice).delete(f"/api/v1/friends/requests/{to_carol}")

    assert (declined.status_code, cancelled.status_code) == (204, 204)
    assert FriendRequest.objects.count() == 0
    assert Friendship.objects.count() == 0


def test_a_second_request_and_a_request_to_a_friend_conflict():
    alice, bob = PlayerFactory(), PlayerFactory()
    request_friend(alice, bob)

    again = request_friend(alice, bob)
    request_friend(bob, alice)  # answers alice's request
    to_friend = request_friend(alice, bob)
    to_self = request_friend(alice, alice)

    assert again.json()["error"]["code"] == "friend_request_exists"
    assert to_friend.json()["error"]["code"] == "already_friends"
    assert to_self.json()["error"]["code"] == "self_relation"
    assert Friendship.objects.count() == 1


def test_pending_requests_are_limited(settings):
    settings.PLAYERS_MAX_PENDING_FRIEND_REQUESTS = 2
    alice = PlayerFactory()
    others = PlayerFactory.create_batch(3)

    codes = [request_friend(alice, other).status_code for other in others]
    third = request_friend(alice, others[2])

    assert codes == [201, 201, 409]
    assert third.json()["error"]["code"] == "friend_request_limit"
    assert FriendRequest.objects.filter(from_player=alice).count() == 2


def test_remove_friend():
    alice, bob = PlayerFactory(), PlayerFactory()
    request_friend(alice, bob)
    request_friend(bob, alice)

    removed = client_for(bob).delete(f"/api/v1/friends/{alice.id}")
    again = client_for(bob).delete(f"/api/v1/friends/{alice.id}")

    assert (removed.status_code, again.status_code) == (204, 404)
    assert Friendship.objects.count() == 0


def test_shadow_players_cannot_be_befriended():
    alice, shadow = PlayerFactory(), PlayerFactory(user=None)

    response = request_friend(alice, shadow)

    assert response.status_code == 404
    assert FriendRequest.objects.count() == 0


def test_block_removes_friendship_and_pending_requests_both_ways():
    alice, bob, carol = PlayerFactory(), PlayerFactory(), PlayerFactory()
    request_friend(alice, bob)
    request_friend(bob, alice)
    request_friend(carol, alice)

    client_for(alice).post("/api/v1/blocks/new", {"player_id": bob.id}, format="json")
    client_for(alice).post("/api/v1/blocks/new", {"player_id": carol.id}, format="json")

    assert Friendship.objects.count() == 0
    assert FriendRequest.objects.count() == 0
    assert [p["id"] for p in client_for(alice).get("/api/v1/blocks").json()] == [carol.id, bob.id]


def test_blocked_players_cannot_request_see_message_mention_or_invite_each_other():
    alice, bob = PlayerFactory(), PlayerFactory()
    block_create(blocker=alice, blocked=bob)

    request = request_friend(bob, alice)
    profile = client_for(bob).get(f"/api/v1/players/{alice.id}")
    reverse_profile = client_for(alice).get(f"/api/v1/players/{bob.id}")
    mention = notification_create(recipient=alice, kind="mention", data={}, actor=bob)
    invite = notification_create(recipient=bob, kind="guild_invite", data={}, actor=alice)

    assert request.status_code == 404
    assert profile.status_code == 404
    assert reverse_profile.status_code == 404
    assert selectors.can_direct_message(sender=bob, recipient=alice) is False
    assert selectors.can_direct_message(sender=alice, recipient=bob) is False
    assert (mention, invite) == (None, None)
    assert FriendRequest.objects.count() == 0
    assert Notification.objects.count() == 0


def test_unblock_restores_reachability_but_not_friendship():
    alice, bob = PlayerFactory(), PlayerFactory()
    block_create(blocker=alice, blocked=bob)

    by_blocked = client_for(bob).delete(f"/api/v1/blocks/{alice.id}")
    by_blocker = client_for(alice).delete(f"/api/v1/blocks/{bob.id}")

    assert (by_blocked.status_code, by_blocker.status_code) == (404, 204)
    assert Block.objects.count() == 0
    assert client_for(bob).get(f"/api/v1/players/{alice.id}").status_code == 200
    assert Friendship.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_players_requesting_each_other_at_once_become_friends_exactly_once():
    for _round in range(5):
        alice, bob = PlayerFactory(), PlayerFactory()

        _results, errors = run_concurrently(
            lambda a=alice, b=bob: friend_request_send(sender=a, recipient=b),
            lambda a=alice, b=bob: friend_request_send(sender=b, recipient=a),
        )

        assert errors == []
        low, high = sorted((alice.id, bob.id))
        assert Friendship.objects.filter(player_low_id=low, player_high_id=high).count() == 1
        assert FriendRequest.objects.filter(from_player__in=[alice, bob]).count() == 0
        accepted = Notification.objects.filter(
            kind="friend_accepted", recipient__in=[alice, bob]
        ).count()
        assert accepted == 1
