"""Chat tokens: a title mints one only for a player it knows, and it never lets a game
server act for the player beyond that title (docs/websocket-protocol.md, "Chat tokens and
what they reach"). The full credential matrix is in test_credential_matrix.py."""

import pytest
from rest_framework.test import APIClient

from apps.chat.channels import direct_channel_get_or_create
from apps.chat.models import ChatToken
from apps.chat.services import message_send
from apps.players.models import PlayerIdentity
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def game_server(title) -> APIClient:  # type: ignore[no-untyped-def]
    scope_list = [scopes.CHAT_TOKENS, scopes.IDENTITIES_WRITE]
    key = title_credential_create(title=title, name="server", scopes=scope_list).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_another_titles_key_cannot_mint_a_token_for_a_player_it_never_met():
    starfall, kaiju = TitleFactory(slug="starfall-arena"), TitleFactory(slug="kaiju-kingdoms")
    alice, bob = PlayerFactory(), PlayerFactory()
    PlayerIdentity.objects.create(player=alice, provider="steam", external_id="1", title=starfall)
    message_send(channel=direct_channel_get_or_create(first=alice, second=bob), author=bob,
                 body="a secret")  # fmt: skip

    refused = game_server(kaiju).post("/api/v1/chat/tokens", {"player_id": alice.id})
    missing = game_server(kaiju).post("/api/v1/chat/tokens", {"player_id": alice.id + 1000})
    own = game_server(starfall).post("/api/v1/chat/tokens", {"player_id": alice.id})

    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()  # whether the player exists is not told
    assert refused.json()["error"]["code"] == "unknown_player"
    assert own.status_code == 201
    assert list(ChatToken.objects.values_list("title__slug", flat=True)) == ["starfall-arena"]


def test_a_title_that_resolved_the_players_identity_may_mint_a_token():
    starfall, kaiju = TitleFactory(slug="starfall-arena"), TitleFactory(slug="kaiju-kingdoms")
    alice = PlayerFactory()
    PlayerIdentity.objects.create(player=alice, provider="steam", external_id="1", title=starfall)
    server = game_server(kaiju)

    resolved = server.post(
        "/api/v1/identities/resolve", {"provider": "steam", "external_id": "1"}, format="json"
    )
    minted = server.post("/api/v1/chat/tokens", {"player_id": alice.id})

    assert resolved.json()["player_id"] == alice.id
    assert minted.status_code == 201


def test_the_demo_titles_may_mint_chat_tokens_for_their_demo_players():
    from django.core.management import call_command

    from apps.players.models import Player
    from apps.titles.models import Title

    call_command("seed_demo")
    alice = Player.objects.get(user__username="alice")  # plays Starfall Arena

    starfall = game_server(Title.objects.get(slug="starfall-arena"))
    racers = game_server(Title.objects.get(slug="tiny-racers"))

    assert starfall.post("/api/v1/chat/tokens", {"player_id": alice.id}).status_code == 201
    assert racers.post("/api/v1/chat/tokens", {"player_id": alice.id}).status_code == 404
