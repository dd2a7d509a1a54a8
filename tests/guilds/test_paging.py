"""Browse and member pages walked forwards through ``next`` and back through ``previous`` on
sorts full of ties: the pages must be the same both ways, in the documented order, and the
cursor opaque and checked (apps/guilds/pagination.py)."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from rest_framework.test import APIClient

from apps.api.cursors import cursor_sign
from apps.guilds.models import Guild, GuildMembership
from apps.players.models import Player
from tests.factories import TitleFactory
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 1, 12, tzinfo=UTC)


def client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def walk(client: APIClient, url: str, ids_of) -> tuple[list[list[int]], list[list[int]]]:
    """Every page forwards from ``url``, then every page backwards from the last one."""
    forwards, page = [], client.get(url).json()
    forwards.append(ids_of(page))
    while page["next"]:
        page = client.get(page["next"]).json()
        forwards.append(ids_of(page))
    backwards = [ids_of(page)]
    while page["previous"]:
        page = client.get(page["previous"]).json()
        backwards.append(ids_of(page))
    return forwards, backwards


def guild_ids(page: dict) -> list[int]:
    return [row["id"] for row in page["results"]]


@pytest.fixture
def tied_guilds() -> list[Guild]:
    """14 guilds of one title whose member counts, creation times and activity times tie in
    groups (no activity yet counts as the creation time)."""
    title = TitleFactory(slug="ties")
    guilds = [make_guild(title=title) for _ in range(14)]
    for index, guild in enumerate(guilds):
        Guild.objects.filter(id=guild.id).update(
            capacity=50,
            member_count=[1, 5, 5, 5, 9][index % 5],
            created_at=NOON - timedelta(hours=index % 3),
            last_activity_at=None if index % 4 == 0 else NOON + timedelta(minutes=index % 2),
        )
    return list(Guild.objects.filter(id__in=[guild.id for guild in guilds]))


def expected_order(guilds: list[Guild], sort: str) -> list[int]:
    def key(guild: Guild) -> tuple:
        value = {
            "members": guild.member_count,
            "created": guild.created_at,
            "activity": guild.last_activity_at or guild.created_at,
        }[sort]
        return value, guild.id

    return [guild.id for guild in sorted(guilds, key=key, reverse=True)]


@pytest.mark.parametrize("sort", ["members", "activity", "created"])
@pytest.mark.parametrize("limit", [1, 3, 5])
def test_browse_pages_back_through_previous_are_the_pages_walked_forwards(
    tied_guilds: list[Guild], sort: str, limit: int
):
    client = client_for(PlayerFactory())

    forwards, backwards = walk(client, f"/api/v1/guilds?title=ties&sort={sort}&limit={limit}",
                               guild_ids)  # fmt: skip

    assert [row for page in forwards for row in page] == expected_order(tied_guilds, sort)
    assert all(len(page) == limit for page in forwards[:-1])
    assert backwards == list(reversed(forwards))


def test_member_pages_back_through_previous_with_everyone_joined_at_once():
    guild = make_guild(members=8, capacity=20)
    GuildMembership.objects.filter(guild=guild).update(joined_at=NOON)
    everyone = list(
        GuildMembership.objects.filter(guild=guild)
        .order_by("id")
        .values_list("player_id", flat=True)
    )
    client = client_for(PlayerFactory())

    forwards, backwards = walk(
        client,
        f"/api/v1/guilds/{guild.id}/members?limit=3",
        lambda page: [row["player"]["id"] for row in page["results"]],
    )

    assert [row for page in forwards for row in page] == everyone
    assert [len(page) for page in forwards] == [3, 3, 3]
    assert backwards == list(reversed(forwards))


def cursor_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda cursor: cursor[:-1] + ("A" if cursor[-1] != "A" else "B"),  # signature broken
        lambda cursor: "x" + cursor,  # payload changed
        lambda cursor: "bz0wJnA9NQ==",  # DRF's own format: o=0&p=5
        lambda cursor: cursor_sign([0, "five", 1], salt="guilds.api.cursor"),  # not a count
        lambda cursor: cursor_sign([2, 5, 1], salt="guilds.api.cursor"),  # no such direction
        lambda cursor: cursor_sign([0, 5, "1"], salt="guilds.api.cursor"),  # id not a number
        lambda cursor: cursor_sign([0, 5, 1], salt="another.salt"),  # signed for elsewhere
        lambda cursor: cursor_sign([0, 5], salt="guilds.api.cursor"),  # a value missing
        lambda cursor: cursor.replace(".", ""),  # no signature at all
        lambda cursor: "é" + cursor,  # not ASCII
    ],
)
def test_a_tampered_cursor_is_invalid_cursor(tied_guilds: list[Guild], tamper):
    client = client_for(PlayerFactory())
    first = client.get("/api/v1/guilds?title=ties&limit=3").json()
    cursor = cursor_of(first["next"])
    query = urlencode({"title": "ties", "limit": 3, "cursor": tamper(cursor)})

    response = client.get(f"/api/v1/guilds?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_members_cursor_with_a_time_that_is_no_time_is_invalid_cursor():
    guild = make_guild(members=2)
    cursor = cursor_sign([0, "yesterday", 1], salt="guilds.api.cursor")

    response = client_for(PlayerFactory()).get(
        f"/api/v1/guilds/{guild.id}/members?{urlencode({'cursor': cursor})}"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_cursor")
