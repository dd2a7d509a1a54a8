"""Chat over REST: history pages, search, channel list with unread counts, title endpoints."""

import pytest
from rest_framework.test import APIClient

from apps.chat.channels import direct_channel_get_or_create
from apps.chat.models import ChatToken, Message
from apps.chat.services import message_send
from apps.common.secrets import secret_digest
from apps.players.models import PlayerIdentity
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def client_for(player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def title_client(title, *scope_list) -> APIClient:
    client = APIClient()
    key = title_credential_create(title=title, name="server", scopes=list(scope_list)).key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def fill(channel, author, count):
    for number in range(1, count + 1):
        message_send(channel=channel, author=author, body=f"m{number}")


def test_history_is_paginated_by_sequence_backwards_and_forwards(lobby, alice):
    fill(lobby, alice, 5)
    client = client_for(alice)
    url = f"/api/v1/chat/channels/{lobby.id}/messages"

    first = client.get(url, {"limit": 2}).json()
    second = client.get(url, {"limit": 2, "before": first["next_before"]}).json()
    last = client.get(url, {"limit": 2, "before": second["next_before"]}).json()
    forward = client.get(url, {"after": 3}).json()

    assert [m["seq"] for m in first["results"]] == [4, 5]
    assert [m["seq"] for m in second["results"]] == [2, 3]
    assert [m["seq"] for m in last["results"]] == [1]
    assert last["next_before"] is None
    assert [m["seq"] for m in forward["results"]] == [4, 5]
    assert first["head_seq"] == 5


def test_history_of_a_dm_is_not_found_for_others(alice, bob, carol):
    dm = direct_channel_get_or_create(first=alice, second=bob)
    message_send(channel=dm, author=alice, body="secret")

    response = client_for(carol).get(f"/api/v1/chat/channels/{dm.id}/messages")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_channel"


def test_history_reads_a_fixed_number_of_queries(
    lobby, alice, bob, settings, django_assert_max_num_queries
):
    settings.CHAT_RATE_PLAYER_CAPACITY = 100
    fill(lobby, alice, 30)
    client = client_for(bob)

    with django_assert_max_num_queries(6):
        response = client.get(f"/api/v1/chat/channels/{lobby.id}/messages", {"limit": 30})

    assert len(response.json()["results"]) == 30


def test_search_finds_words_in_one_channel(lobby, alice):
    message_send(channel=lobby, author=alice, body="anyone up for ranked tonight")
    message_send(channel=lobby, author=alice, body="casual only")

    response = client_for(alice).get(f"/api/v1/chat/channels/{lobby.id}/search", {"q": "ranked"})

    assert [m["body"] for m in response.json()] == ["anyone up for ranked tonight"]


def test_channel_list_has_unread_counts_in_one_query(lobby, alice, bob, django_assert_num_queries):
    dm = direct_channel_get_or_create(first=alice, second=bob)
    message_send(channel=dm, author=alice, body="one")
    message_send(channel=dm, author=alice, body="two")
    client = client_for(bob)
    client.post(f"/api/v1/chat/channels/{dm.id}/read", {"seq": 1})

    # The token with its user and player, memberships with channels; for can_send of direct
    # messages: their other members, then blocks, friends and the others' privacy — whatever
    # the number of DMs.
    with django_assert_num_queries(5):
        channels = client.get("/api/v1/chat/channels").json()
    for number in range(3):
        direct_channel_get_or_create(first=bob, second=PlayerFactory(display_name=f"p{number}"))
    with django_assert_num_queries(5):
        more = client.get("/api/v1/chat/channels").json()
    sender_view = client_for(alice).get("/api/v1/chat/channels").json()

    assert [(c["id"], c["kind"], c["unread_count"]) for c in channels] == [(dm.id, "direct", 1)]
    assert len(more) == 4
    assert sender_view[0]["unread_count"] == 0


def test_send_over_rest_is_idempotent(lobby, alice):
    client = client_for(alice)
    url = f"/api/v1/chat/channels/{lobby.id}/messages"

    first = client.post(url, {"body": "hi", "client_msg_id": "k1"})
    retry = client.post(url, {"body": "hi", "client_msg_id": "k1"})

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["id"] == retry.json()["id"]
    assert Message.objects.count() == 1


def test_a_title_mints_chat_tokens_only_with_the_scope(title, alice):
    PlayerIdentity.objects.create(player=alice, provider="steam", external_id="1", title=title)
    allowed = title_client(title, scopes.CHAT_TOKENS)
    denied = title_client(title, scopes.PLAYERS_READ)

    minted = allowed.post("/api/v1/chat/tokens", {"player_id": alice.id})
    refused = denied.post("/api/v1/chat/tokens", {"player_id": alice.id})

    assert minted.status_code == 201
    token = minted.json()["token"]
    assert token.startswith("chat_")
    assert ChatToken.objects.get().digest == secret_digest(token)
    assert refused.status_code == 403
    assert ChatToken.objects.count() == 1


def test_a_title_posts_announcements(title):
    client = title_client(title, scopes.CHAT_ANNOUNCE)

    response = client.post("/api/v1/chat/announcements", {"body": "Server maintenance at 10:00"})

    assert response.status_code == 201
    assert response.json()["author"] is None
    message = Message.objects.select_related("channel").get()
    assert (message.channel.kind, message.body) == ("announcement", "Server maintenance at 10:00")
