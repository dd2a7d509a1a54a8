"""Cross-title identities: a title key mints claim codes only for identities its title
created or used (docs/players.md, "Which titles may act for an identity")."""

import json

import pytest
from rest_framework.test import APIClient

from apps.players.models import (
    IdentityClaimCode,
    IdentityTitleUse,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
)
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.factories import TitleFactory
from tests.game_events.events import cloud_event
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

STEAM = {"provider": "steam", "external_id": "76561198000000042"}


@pytest.fixture
def starfall():
    return TitleFactory(slug="starfall-arena", name="Starfall Arena")


@pytest.fixture
def kaiju():
    return TitleFactory(slug="kaiju-kingdoms", name="Kaiju Kingdoms")


def game_server(title) -> APIClient:  # type: ignore[no-untyped-def]
    scope_list = [scopes.IDENTITIES_WRITE, scopes.EVENTS_PUBLISH]
    key = title_credential_create(title=title, name="server", scopes=scope_list).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def progressed(title, level: int) -> dict:  # type: ignore[no-untyped-def]
    return cloud_event(
        "player.progressed",
        slug=title.slug,
        data={"player": {**STEAM, "display_name": "Nova"}, "level": level, "xp": level * 100},
    )


def publish(server: APIClient, events: list[dict], capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):  # the apply task runs after the ingest commits
        response = server.post(
            "/api/v1/events", data=json.dumps(events), content_type="application/json"
        )
    assert response.json()["counts"]["accepted"] == len(events)


def test_a_title_cannot_mint_a_claim_code_for_a_shadow_only_another_titles_events_created(
    starfall, kaiju, django_capture_on_commit_callbacks
):
    publish(game_server(starfall), [progressed(starfall, 42)], django_capture_on_commit_callbacks)
    shadow = Player.objects.get(display_name="Nova")

    response = game_server(kaiju).post("/api/v1/identities/claim-codes", STEAM, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "identity_not_known_to_title"
    assert IdentityClaimCode.objects.count() == 0
    assert IdentityTitleUse.objects.count() == 0
    assert PlayerIdentity.objects.get().player_id == shadow.id
    assert PlayerTitleStats.objects.get(player=shadow).level == 42


def test_the_creating_title_mints_the_code_and_the_player_gets_its_history(
    starfall, django_capture_on_commit_callbacks
):
    publish(game_server(starfall), [progressed(starfall, 42)], django_capture_on_commit_callbacks)
    me = PlayerFactory()

    code = game_server(starfall).post("/api/v1/identities/claim-codes", STEAM, format="json")
    claimed = APIClient()
    claimed.force_authenticate(me.user)
    redeemed = claimed.post("/api/v1/me/identities/claim", {"code": code.json()["code"]})

    assert (code.status_code, redeemed.status_code) == (201, 201)
    assert PlayerTitleStats.objects.get(player=me, title=starfall).level == 42


def test_a_title_whose_events_named_the_identity_may_mint_the_code(
    starfall, kaiju, django_capture_on_commit_callbacks
):
    publish(game_server(starfall), [progressed(starfall, 42)], django_capture_on_commit_callbacks)
    publish(game_server(kaiju), [progressed(kaiju, 3)], django_capture_on_commit_callbacks)

    response = game_server(kaiju).post("/api/v1/identities/claim-codes", STEAM, format="json")

    assert response.status_code == 201
    assert list(IdentityTitleUse.objects.values_list("title__slug", flat=True)) == [
        "kaiju-kingdoms"
    ]


def test_a_resolve_call_records_the_title_as_using_the_identity(starfall, kaiju):
    starfall_server, kaiju_server = game_server(starfall), game_server(kaiju)
    created = starfall_server.post("/api/v1/identities/resolve", STEAM, format="json")

    refused = kaiju_server.post("/api/v1/identities/claim-codes", STEAM, format="json")
    resolved = kaiju_server.post("/api/v1/identities/resolve", STEAM, format="json")
    again = kaiju_server.post("/api/v1/identities/resolve", STEAM, format="json")
    minted = kaiju_server.post("/api/v1/identities/claim-codes", STEAM, format="json")

    assert refused.status_code == 404
    assert resolved.json()["player_id"] == created.json()["player_id"] == again.json()["player_id"]
    assert minted.status_code == 201
    assert IdentityTitleUse.objects.count() == 1  # once per title, however often


def test_a_lookup_is_a_read_and_grants_nothing(starfall, kaiju):
    game_server(starfall).post("/api/v1/identities/resolve", STEAM, format="json")
    key = title_credential_create(
        title=kaiju, name="reader", scopes=[scopes.PLAYERS_READ, scopes.IDENTITIES_WRITE]
    ).key
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    looked_up = reader.get("/api/v1/identities/lookup", STEAM)
    minted = reader.post("/api/v1/identities/claim-codes", STEAM, format="json")

    assert looked_up.status_code == 200
    assert minted.status_code == 404
    assert IdentityTitleUse.objects.count() == 0


def test_one_batch_naming_an_identity_for_two_titles_records_both(starfall, kaiju):
    from apps.game_events.handlers import players_prefetch
    from apps.game_events.registry import HandledEvent
    from apps.players.services import player_get_or_create_by_identity

    shadow = player_get_or_create_by_identity(**STEAM, title=starfall)
    events = [
        HandledEvent(id=f"e{index}", source=f"/titles/{title.slug}", type="player.progressed",
                     version=1, time=None, subject="", title=title,  # type: ignore[arg-type]
                     data={"player": STEAM, "level": 1, "xp": 1})
        for index, title in enumerate([starfall, kaiju, kaiju])
    ]  # fmt: skip

    players_prefetch(events)

    assert events[0].memo[f"player:{kaiju.id}:steam:{STEAM['external_id']}"] == shadow
    assert list(IdentityTitleUse.objects.values_list("title_id", flat=True)) == [kaiju.id]
