"""Game servers read a player's guild and the leaderboard of their own title only."""

import pytest
from rest_framework.test import APIClient

from apps.guilds.membership import guild_join
from apps.guilds.services import guild_create
from apps.titles import scopes
from apps.titles.models import Title
from apps.titles.services import title_credential_create
from tests.factories import TitleFactory
from tests.game_events.events import linked_player
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def title_client(title: Title, scope: str) -> APIClient:
    issued = title_credential_create(title=title, name="game server", scopes=[scope])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")
    return client


def test_a_game_server_sees_the_players_guild_in_its_title_only():
    title, other_title = TitleFactory(slug="starfall-arena"), TitleFactory()
    ann = linked_player(username="ann", title=title, provider="custom", external_id="ext-ann")
    guild = guild_create(founder=ann, title=title, name="Red Team", tag="RED")
    guild_join(player=PlayerFactory(), guild=guild)
    guild_create(founder=ann, title=other_title, name="Elsewhere", tag="ELS")
    query = {"provider": "custom", "external_id": "ext-ann"}

    found = title_client(title, scopes.GUILDS_READ).get("/api/v1/guilds/game/player", query)
    refused = title_client(title, scopes.PLAYERS_READ).get("/api/v1/guilds/game/player", query)
    board = title_client(title, scopes.GUILDS_READ).get("/api/v1/guilds/game/leaderboard")

    assert found.status_code == 200
    assert [entry["guild"]["name"] for entry in found.json()] == ["Red Team"]
    assert [m["is_leader"] for m in found.json()[0]["members"]] == [True, False]
    assert refused.status_code == 403
    assert board.status_code == 200
    assert board.json() == []  # no matches yet
