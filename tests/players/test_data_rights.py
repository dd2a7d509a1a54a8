"""Export everything a player owns; deletion anonymizes what others see and erases the rest."""

import json
from datetime import timedelta

import pytest
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from apps.players.data_rights import DELETED_NAME
from apps.players.friends import block_create, friend_request_send
from apps.players.models import (
    Achievement,
    ActivityEntry,
    Block,
    FriendRequest,
    Friendship,
    Notification,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
)
from apps.players.services import (
    achievement_unlock,
    activity_record,
    notification_create,
    player_get_or_create_by_identity,
    player_match_record,
)
from apps.players.tasks import deletion_purge_task
from tests.factories import TEST_PASSWORD, TitleFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def api_client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def rich_player():  # type: ignore[no-untyped-def]
    """A player owning one of everything, and the others it relates to."""
    title = TitleFactory(slug="starfall")
    me = PlayerFactory(display_name="Hanako", bio="hello")
    friend, asker, blocked = PlayerFactory(), PlayerFactory(), PlayerFactory()
    friend_request_send(sender=me, recipient=friend)
    friend_request_send(sender=friend, recipient=me)
    friend_request_send(sender=asker, recipient=me)
    block_create(blocker=me, blocked=blocked)
    shadow = player_get_or_create_by_identity(provider="epic", external_id="e-1")
    PlayerIdentity.objects.filter(player=shadow).update(player=me)
    player_match_record(player=me, title=title, won=True, duration_seconds=90, counters={"k": 1})
    achievement_unlock(player=me, title=title, key="k1", name="First", unlocked_at=timezone.now())
    notification_create(recipient=friend, kind="mention", data={}, actor=me)
    activity_record(player=me, kind="content_shared", data={"id": 1})
    return me, friend, asker, blocked


def test_export_contains_everything_the_player_owns():
    me, friend, asker, blocked = rich_player()
    client = APIClient()
    client.force_authenticate(me.user)

    response = client.get("/api/v1/me/export")
    export = response.json()

    assert response["Content-Disposition"] == 'attachment; filename="my-community-data.json"'
    assert export["account"] == {"username": me.user.username, "email": me.user.email}
    assert export["profile"]["display_name"] == "Hanako"
    assert export["profile"]["bio"] == "hello"
    assert [(i["provider"], i["external_id"]) for i in export["identities"]] == [("epic", "e-1")]
    assert export["stats"][0]["title__slug"] == "starfall"
    assert export["stats"][0]["counters"] == {"k": 1}
    assert [a["key"] for a in export["achievements"]] == ["k1"]
    assert [f["id"] for f in export["friends"]] == [friend.id]
    assert [r["from_player_id"] for r in export["friend_requests_received"]] == [asker.id]
    assert [b["blocked_id"] for b in export["blocks"]] == [blocked.id]
    kinds = {n["kind"] for n in export["notifications"]}
    assert kinds == {"friend_request", "friend_accepted", "achievement"}
    kinds = sorted(a["kind"] for a in export["activity"])
    assert kinds == ["achievement_unlocked", "content_shared", "friendship_started"]


def test_portal_export_downloads_json():
    me, *_others = rich_player()
    client = Client()
    client.force_login(me.user)

    response = client.get("/players/settings/export/")

    assert response.status_code == 200
    assert json.loads(response.content)["profile"]["id"] == me.id


def test_deletion_request_logs_out_and_erasure_after_grace_anonymizes():
    me, friend, _asker, _blocked = rich_player()
    api_token_create(user=me.user, name="game")
    client = Client()
    # django-axes needs the request that carries the login attempt.
    client.login(request=HttpRequest(), username=me.user.username, password=TEST_PASSWORD)

    client.post("/players/settings/delete/", {"confirm": "delete"})
    me.refresh_from_db()
    before_grace = deletion_purge_task.delay().get()
    Player.objects.filter(id=me.id).update(
        deletion_requested_at=timezone.now() - timedelta(days=15)
    )
    after_grace = deletion_purge_task.delay().get()
    again = deletion_purge_task.delay().get()

    assert me.deletion_requested_at is not None
    assert api_client_for(friend).get(f"/api/v1/players/{me.id}").status_code == 404
    login = Client().login(request=HttpRequest(), username=me.user.username, password=TEST_PASSWORD)
    assert login is False
    assert (before_grace, after_grace, again) == (0, 1, 0)
    me.refresh_from_db()
    assert (me.display_name, me.bio, me.is_deleted) == (DELETED_NAME, "", True)
    assert me.user.username == f"deleted-{me.user_id}"
    assert me.user.email.endswith("@deleted.invalid")
    assert me.user.has_usable_password() is False
    assert ApiToken.objects.filter(user=me.user).count() == 0
    for model, lookup in (
        (PlayerIdentity, {"player": me}),
        (PlayerTitleStats, {"player": me}),
        (Achievement, {"player": me}),
        (ActivityEntry, {"player": me}),
        (Notification, {"recipient": me}),
        (Block, {"blocker": me}),
        (FriendRequest, {"to_player": me}),
    ):
        assert model.objects.filter(**lookup).count() == 0, model
    assert Friendship.objects.count() == 0
    # What others keep shows a deleted author, not the person.
    kept = Notification.objects.get(recipient=friend, kind="mention")
    assert kept.actor_id is None
    assert PlayerFactory(display_name="Hanako").display_name == "Hanako"  # the name is free
    assert APIClient().get(f"/api/v1/players/{me.id}").status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
async def test_requesting_deletion_closes_the_players_open_sockets():
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from apps.players.data_rights import player_deletion_request
    from community.asgi import application

    player = await sync_to_async(PlayerFactory)()
    secret = (await sync_to_async(api_token_create)(user=player.user, name="t")).secret
    socket = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{secret}"]
    )
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "ping", "id": "p"})
    frame = await socket.receive_json_from(timeout=10)
    while frame["type"] != "pong":  # the pong proves the connect hooks have run
        frame = await socket.receive_json_from(timeout=10)

    await sync_to_async(player_deletion_request)(player=player)

    output = await socket.receive_output(timeout=10)
    while output["type"] != "websocket.close":  # frames sent before the close are skipped
        output = await socket.receive_output(timeout=10)
    assert output["code"] == 4003
    await socket.disconnect()
