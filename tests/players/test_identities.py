"""Linked identities: game servers resolve identities and mint claim codes; players redeem."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.players.models import (
    Achievement,
    ActivityEntry,
    IdentityClaimCode,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
)
from apps.players.services import achievement_unlock, player_match_record
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def game_server(title, scope_list=(scopes.IDENTITIES_WRITE,)) -> APIClient:  # type: ignore[no-untyped-def]
    credential = title_credential_create(title=title, name="server", scopes=list(scope_list))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {credential.key}")
    return client


def client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


STEAM = {"provider": "steam", "external_id": "76561198000000001", "display_name_hint": "Kai"}


def test_game_server_resolves_an_unknown_identity_to_one_shadow_player():
    server = game_server(TitleFactory())

    first = server.post("/api/v1/identities/resolve", STEAM, format="json")
    second = server.post("/api/v1/identities/resolve", STEAM, format="json")

    assert first.status_code == 200
    assert first.json() == second.json()
    assert first.json()["is_claimed"] is False
    assert first.json()["display_name"] == "Kai"
    assert Player.objects.count() == 1


def test_identity_endpoints_need_the_identities_scope_and_a_title_key():
    title = TitleFactory()
    reader = game_server(title, scope_list=(scopes.PLAYERS_READ,))
    player_client = client_for(PlayerFactory())

    assert reader.post("/api/v1/identities/resolve", STEAM, format="json").status_code == 403
    assert (
        player_client.post("/api/v1/identities/claim-codes", STEAM, format="json").status_code
        == 403
    )
    assert PlayerIdentity.objects.count() == 0


def test_claim_code_links_the_identity_and_merges_the_shadows_history():
    title = TitleFactory()
    server = game_server(title)
    issued = server.post("/api/v1/identities/claim-codes", STEAM, format="json").json()
    shadow = Player.objects.get(id=issued["player_id"])
    player_match_record(
        player=shadow, title=title, won=True, duration_seconds=60, counters={"k": 2}
    )
    achievement_unlock(player=shadow, title=title, key="a1", name="A1", unlocked_at=timezone.now())
    me = PlayerFactory()
    player_match_record(player=me, title=title, won=False, duration_seconds=40, counters={"k": 1})

    response = client_for(me).post(
        "/api/v1/me/identities/claim", {"code": issued["code"].lower()}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["provider"] == "steam"
    assert response.json()["is_verified"] is True
    assert PlayerIdentity.objects.get().player == me
    stats = PlayerTitleStats.objects.get()
    assert (stats.player, stats.matches_played, stats.matches_won) == (me, 2, 1)
    assert (stats.playtime_seconds, stats.counters) == (100, {"k": 3})
    assert Achievement.objects.get().player == me
    assert set(ActivityEntry.objects.values_list("player_id", flat=True)) == {me.id}
    shadow.refresh_from_db()
    assert (shadow.merged_into, shadow.is_deleted) == (me, True)


def test_a_claim_code_works_once():
    server = game_server(TitleFactory())
    code = server.post("/api/v1/identities/claim-codes", STEAM, format="json").json()["code"]
    me, thief = PlayerFactory(), PlayerFactory()
    client_for(me).post("/api/v1/me/identities/claim", {"code": code}, format="json")

    again = client_for(thief).post("/api/v1/me/identities/claim", {"code": code}, format="json")

    assert again.status_code == 404
    assert again.json()["error"]["code"] == "claim_code_invalid"
    assert PlayerIdentity.objects.get().player == me


@pytest.mark.parametrize("code", ["AAAA-BBBB", "", "expired"])
def test_wrong_or_expired_codes_are_refused_and_change_nothing(code):
    server = game_server(TitleFactory())
    issued = server.post("/api/v1/identities/claim-codes", STEAM, format="json").json()
    if code == "expired":
        IdentityClaimCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        code = issued["code"]
    me = PlayerFactory()

    response = client_for(me).post("/api/v1/me/identities/claim", {"code": code}, format="json")

    assert response.status_code in (400, 404)
    assert PlayerIdentity.objects.get().player_id == issued["player_id"]
    assert IdentityClaimCode.objects.get().redeemed_at is None


def test_no_claim_code_for_an_identity_someone_already_claimed():
    server = game_server(TitleFactory())
    code = server.post("/api/v1/identities/claim-codes", STEAM, format="json").json()["code"]
    client_for(PlayerFactory()).post("/api/v1/me/identities/claim", {"code": code}, format="json")

    response = server.post("/api/v1/identities/claim-codes", STEAM, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "identity_already_claimed"
    assert IdentityClaimCode.objects.count() == 1


def test_claim_codes_are_stored_hashed():
    server = game_server(TitleFactory())

    code = server.post("/api/v1/identities/claim-codes", STEAM, format="json").json()["code"]

    stored = IdentityClaimCode.objects.get().digest
    assert code.replace("-", "") not in stored
    assert len(stored) == 64


def test_player_lists_and_unlinks_own_identities_only():
    server = game_server(TitleFactory())
    code = server.post("/api/v1/identities/claim-codes", STEAM, format="json").json()["code"]
    me, other = PlayerFactory(), PlayerFactory()
    client_for(me).post("/api/v1/me/identities/claim", {"code": code}, format="json")
    identity_id = client_for(me).get("/api/v1/me/identities").json()[0]["id"]

    by_other = client_for(other).delete(f"/api/v1/me/identities/{identity_id}")
    by_owner = client_for(me).delete(f"/api/v1/me/identities/{identity_id}")

    assert (by_other.status_code, by_owner.status_code) == (404, 204)
    assert PlayerIdentity.objects.count() == 0


def _title_get(key: str, **params):
    return APIClient().get("/api/v1/identities/lookup", params, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.mark.django_db
def test_a_game_server_reads_the_player_behind_an_identity_with_its_own_stats_only():
    from apps.players.services import player_get_or_create_by_identity

    mine, other = TitleFactory(slug="mine"), TitleFactory(slug="other")
    key = title_credential_create(title=mine, name="s", scopes=["players:read"]).key
    player = player_get_or_create_by_identity(
        provider="steam", external_id="765", title=mine, display_name_hint="Kai"
    )
    player_match_record(player=player, title=mine, won=True, duration_seconds=600)
    player_match_record(player=player, title=other, won=False, duration_seconds=60)

    response = _title_get(key, provider="steam", external_id="765")

    assert response.status_code == 200
    body = response.json()
    assert (body["player_id"], body["display_name"], body["is_claimed"]) == (
        player.id, player.display_name, False
    )  # fmt: skip
    assert body["stats"]["matches_played"] == 1
    assert body["stats"]["matches_won"] == 1
    assert body["stats"]["playtime_seconds"] == 600


@pytest.mark.django_db
def test_identity_lookup_needs_the_scope_and_never_creates_a_shadow():
    title = TitleFactory()
    reader = title_credential_create(title=title, name="r", scopes=["players:read"]).key
    writer = title_credential_create(title=title, name="w", scopes=["identities:write"]).key

    unknown = _title_get(reader, provider="xbox", external_id="nobody")
    forbidden = _title_get(writer, provider="xbox", external_id="nobody")
    invalid = _title_get(reader, provider="sega", external_id="x")

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert forbidden.status_code == 403
    assert invalid.json()["error"]["code"] == "validation_error"
    assert Player.objects.count() == 0
