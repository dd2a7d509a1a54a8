"""Starting a direct message over REST: one 1:1 channel per pair, refused as documented."""

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from apps.chat.models import Channel, Membership
from apps.players.friends import block_create
from apps.players.models import Privacy
from tests.chat.support import open_socket
from tests.players.factories import PlayerFactory

URL = "/api/v1/chat/direct-channels"


def client_for(player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


@pytest.mark.django_db
def test_the_first_call_creates_the_channel_and_later_calls_return_it(alice, bob):
    created = client_for(alice).post(URL, {"player_id": bob.id}, format="json")
    again = client_for(alice).post(URL, {"player_id": bob.id}, format="json")
    from_bob = client_for(bob).post(URL, {"player_id": alice.id}, format="json")

    assert (created.status_code, again.status_code, from_bob.status_code) == (201, 200, 200)
    body = created.json()
    assert body["id"] == again.json()["id"] == from_bob.json()["id"]
    assert (body["kind"], body["last_seq"], body["unread_count"]) == ("direct", 0, 0)
    assert body["reactions"] == ["👍", "❤️", "😂", "😮", "😢", "🎉", "🔥", "GG"]
    members = Membership.objects.filter(channel_id=body["id"]).values_list("player_id", flat=True)
    assert sorted(members) == sorted([alice.id, bob.id])


@pytest.mark.django_db
@pytest.mark.parametrize("refusal", ["blocked_by_recipient", "blocked_recipient", "private"])
def test_blocks_and_privacy_refuse_and_create_nothing(alice, bob, refusal):
    if refusal == "blocked_by_recipient":
        block_create(blocker=bob, blocked=alice)
    elif refusal == "blocked_recipient":
        block_create(blocker=alice, blocked=bob)
    else:
        bob.privacy = Privacy.PRIVATE
        bob.save(update_fields=["privacy"])

    response = client_for(alice).post(URL, {"player_id": bob.id}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "blocked"
    assert Channel.objects.count() == 0


@pytest.mark.django_db
def test_an_existing_channel_is_refused_after_a_block(alice, bob):
    client_for(alice).post(URL, {"player_id": bob.id}, format="json")
    block_create(blocker=bob, blocked=alice)

    response = client_for(alice).post(URL, {"player_id": bob.id}, format="json")

    assert response.json()["error"]["code"] == "blocked"


@pytest.mark.django_db
def test_unknown_players_shadow_players_and_yourself_are_refused(alice):
    shadow = PlayerFactory(user=None)
    client = client_for(alice)

    unknown = client.post(URL, {"player_id": 999_999}, format="json")
    no_login = client.post(URL, {"player_id": shadow.id}, format="json")
    yourself = client.post(URL, {"player_id": alice.id}, format="json")
    invalid = client.post(URL, {"player_id": "bob"}, format="json")

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_player")
    assert no_login.json()["error"]["code"] == "unknown_player"
    assert (yourself.status_code, yourself.json()["error"]["code"]) == (400, "self_direct_message")
    assert invalid.json()["error"]["code"] == "validation_error"
    assert Channel.objects.count() == 0


@pytest.mark.django_db(transaction=True)
async def test_both_players_sockets_learn_of_the_new_channel(alice, bob):
    recipient = await open_socket(bob.user)

    response = await database_sync_to_async(client_for(alice).post)(
        URL, {"player_id": bob.id}, format="json"
    )
    joined = await recipient.next_of("channel_joined")
    subscribed = await recipient.call(
        {"type": "subscribe", "channels": [{"channel_id": response.json()["id"]}]}
    )

    assert joined["channel"]["id"] == response.json()["id"]
    assert joined["channel"]["kind"] == "direct"
    assert subscribed["errors"] == []
    await recipient.close()
