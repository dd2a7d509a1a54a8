"""Notifications (stored, live, read state, opt-outs) and the activity feed."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.players.friends import friend_request_send
from apps.players.models import Notification, Player, Privacy
from apps.players.services import activity_record, notification_create
from community.asgi import application
from tests.players.factories import PlayerFactory


def client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def befriend(one: Player, other: Player) -> None:
    friend_request_send(sender=one, recipient=other)
    friend_request_send(sender=other, recipient=one)


@pytest.mark.django_db
def test_list_unread_count_mark_read_and_read_all():
    player, actor = PlayerFactory(), PlayerFactory(display_name="Bob")
    first = notification_create(recipient=player, kind="mention", data={"channel": 3}, actor=actor)
    second = notification_create(recipient=player, kind="moderation", data={})
    client = client_for(player)

    listed = client.get("/api/v1/notifications").json()["results"]
    read_one = client.post(f"/api/v1/notifications/{first.id}/read").json()
    unread = client.get("/api/v1/notifications?unread=1").json()["results"]
    read_all = client.post("/api/v1/notifications/read-all").json()

    assert [(n["id"], n["kind"]) for n in listed] == [
        (second.id, "moderation"),
        (first.id, "mention"),
    ]
    assert listed[1]["actor"]["display_name"] == "Bob"
    assert listed[1]["data"] == {"channel": 3}
    assert read_one == {"unread_count": 1}
    assert [n["id"] for n in unread] == [second.id]
    assert read_all == {"unread_count": 0}
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread_count": 0}


@pytest.mark.django_db
def test_another_players_notification_cannot_be_marked_read():
    owner, other = PlayerFactory(), PlayerFactory()
    notification = notification_create(recipient=owner, kind="mention", data={})

    response = client_for(other).post(f"/api/v1/notifications/{notification.id}/read")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.django_db
def test_opt_out_per_kind_over_rest():
    player = PlayerFactory()
    client = client_for(player)

    saved = client.put(
        "/api/v1/me/notification-preferences", {"opted_out": ["mention"]}, format="json"
    )
    bad = client.put("/api/v1/me/notification-preferences", {"opted_out": ["spam"]}, format="json")
    mention = notification_create(recipient=player, kind="mention", data={})
    invite = notification_create(recipient=player, kind="guild_invite", data={})

    assert saved.json() == {"opted_out": ["mention"]}
    assert bad.status_code == 400
    assert mention is None
    assert list(Notification.objects.values_list("id", flat=True)) == [invite.id]


@pytest.mark.django_db(transaction=True)
async def test_notifications_are_pushed_live_with_the_unread_count():
    player, actor = await sync_to_async(PlayerFactory)(), await sync_to_async(PlayerFactory)()
    secret = (await sync_to_async(api_token_create)(user=player.user, name="t")).secret
    socket = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{secret}"]
    )
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "ping", "id": "sync"})
    while (await socket.receive_json_from(timeout=10))["type"] != "pong":
        continue  # the pong proves the socket has joined its user group

    notification = await sync_to_async(notification_create)(
        recipient=player, kind="friend_request", data={"friend_request_id": 5}, actor=actor
    )
    frames = []
    while not frames or frames[-1]["type"] != "notification":
        frames.append(await socket.receive_json_from(timeout=10))
    await socket.disconnect()

    assert frames[-1] == {
        "type": "notification",
        "notification": {
            "id": notification.id,
            "kind": "friend_request",
            "data": {"friend_request_id": 5},
            "actor": {"id": actor.id, "display_name": actor.display_name},
            "created_at": notification.created_at.isoformat(),
            "read_at": None,
        },
        "unread_count": 1,
    }


@pytest.mark.django_db
def test_feed_has_own_and_friends_activity_newest_first_and_paginates():
    me, friend, stranger = PlayerFactory(), PlayerFactory(), PlayerFactory()
    befriend(me, friend)
    mine = activity_record(player=me, kind="match_completed", data={"won": True})
    theirs = activity_record(player=friend, kind="guild_joined", data={"guild": "Owls"})
    activity_record(player=stranger, kind="match_completed", data={})
    client = client_for(me)

    first = client.get("/api/v1/feed?limit=2").json()
    second = client.get(first["next"]).json()
    everything = first["results"] + second["results"]

    own_ids = [e["id"] for e in everything if e["kind"] != "friendship_started"]
    assert own_ids == [theirs.id, mine.id]
    assert {e["player"]["id"] for e in everything} == {me.id, friend.id}
    assert second["next"] is None


@pytest.mark.django_db
def test_feed_hides_friends_who_made_their_activity_private():
    me, friend = PlayerFactory(), PlayerFactory()
    befriend(me, friend)
    Player.objects.filter(id=friend.id).update(privacy=Privacy.PRIVATE)
    hidden = activity_record(player=friend, kind="match_completed", data={})

    ids = [e["id"] for e in client_for(me).get("/api/v1/feed").json()["results"]]

    assert hidden.id not in ids


@pytest.mark.django_db
def test_feed_query_count_does_not_grow_with_friends_or_entries(django_assert_max_num_queries):
    me = PlayerFactory()
    client = client_for(me)

    def add_friends(count: int) -> None:
        for _ in range(count):
            friend = PlayerFactory()
            befriend(me, friend)
            for kind in ("match_completed", "guild_joined", "content_shared"):
                activity_record(player=friend, kind=kind, data={"n": 1})

    add_friends(3)
    with django_assert_max_num_queries(7):
        small = client.get("/api/v1/feed").json()["results"]
    add_friends(12)
    with django_assert_max_num_queries(7):
        large = client.get("/api/v1/feed").json()["results"]

    assert (len(small), len(large)) == (15, 50)


@pytest.mark.django_db
def test_notification_list_query_count(django_assert_max_num_queries):
    player = PlayerFactory()
    for _ in range(30):
        notification_create(recipient=player, kind="mention", data={}, actor=PlayerFactory())

    with django_assert_max_num_queries(3):
        results = client_for(player).get("/api/v1/notifications").json()["results"]

    assert len(results) == 30


@pytest.mark.django_db
def test_notifications_page_forwards_and_back_without_gaps_or_repeats():
    player, other = PlayerFactory(), PlayerFactory()
    made = [notification_create(recipient=player, kind="mention", data={"n": n}) for n in range(7)]
    notification_create(recipient=other, kind="mention", data={})  # someone else's
    client = client_for(player)

    first = client.get("/api/v1/notifications?limit=3").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(third["previous"]).json()

    def ids(page):
        return [n["id"] for n in page["results"]]

    newest_first = [n.id for n in reversed(made)]
    assert ids(first) + ids(second) + ids(third) == newest_first
    assert third["next"] is None
    assert ids(back) == ids(second)
    assert first["previous"] is None
