"""The browse and member lists build their JSON from plain rows (apps/guilds/apis.py): here
each is compared with what the schema's serializers make of the same guilds and players, for
every field (presence in each state and as privacy hides it, avatar and emblem URLs, deleted
players), and their query counts are pinned at two page sizes."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from apps.guilds.apis import GuildSerializer, MemberSerializer
from apps.guilds.membership import guild_member_kick
from apps.guilds.models import Guild, GuildMembership
from apps.guilds.services import guild_disband
from apps.players.models import Player, Privacy
from apps.players.presence import presence_visible_to
from apps.players.presence_store import presence_store
from tests.factories import TitleFactory
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory, in_game
from tests.players.test_presence import befriend

pytestmark = pytest.mark.django_db


def client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def as_json(data: object) -> object:
    return json.loads(json.dumps(data))


def join(guild: Guild, player: Player) -> Player:
    client_for(player).post(f"/api/v1/guilds/{guild.id}/join")
    return player


def test_the_member_list_is_what_the_member_serializer_makes_of_it():
    guild = make_guild(capacity=20)
    viewer = PlayerFactory()
    with_avatar = join(guild, PlayerFactory())
    Player.objects.filter(id=with_avatar.id).update(
        avatar_large="avatars/7/0a1b2c3d4e5f-256.webp",
        avatar_small="avatars/7/0a1b2c3d4e5f-64.webp",
    )
    online = join(guild, PlayerFactory())
    private_online = join(guild, PlayerFactory(privacy=Privacy.PRIVATE))
    for player in (online, private_online):
        presence_store().connection_open(user_id=player.user_id, connection_id="d1")
    in_match = join(guild, PlayerFactory())
    in_game(in_match, match_id="m-42")
    friend_in_game = join(guild, PlayerFactory(privacy=Privacy.FRIENDS))
    befriend(viewer, friend_in_game)
    in_game(friend_in_game)
    stranger_in_game = join(guild, PlayerFactory(privacy=Privacy.FRIENDS))
    in_game(stranger_in_game)
    deleted = join(guild, PlayerFactory())
    Player.objects.filter(id=deleted.id).update(
        deleted_at=timezone.now(), avatar_large="avatars/9/ffee-256.webp"
    )

    response = client_for(viewer).get(f"/api/v1/guilds/{guild.id}/members?limit=50")

    memberships = list(
        GuildMembership.objects.filter(guild=guild)
        .select_related("player", "role")
        .order_by("joined_at")
    )
    players = [membership.player for membership in memberships]
    presence = presence_visible_to(viewer=viewer, players=players)
    expected = MemberSerializer(memberships, many=True, context={"presence": presence}).data
    results = response.json()["results"]
    assert results == as_json(expected)
    statuses = {row["player"]["id"]: row["player"]["presence"]["status"] for row in results}
    assert [statuses[p.id] for p in (online, private_online, in_match, friend_in_game)] == [
        "online", "offline", "in_match", "in_game"
    ]  # fmt: skip
    assert statuses[stranger_in_game.id] == "offline"
    cards = {row["player"]["id"]: row["player"] for row in results}
    assert cards[with_avatar.id]["avatar_url"] == (
        f"/players/{with_avatar.id}/avatar/large?v=0a1b2c3d4e5f"
    )
    assert cards[deleted.id]["avatar_url"] is None
    assert cards[in_match.id]["presence"]["match_id"] == "m-42"


def test_the_browse_list_is_what_the_guild_serializer_makes_of_it():
    title = TitleFactory(slug="shapes")
    guilds = [make_guild(title=title, members=count) for count in (2, 0, 1)]
    Guild.objects.filter(id=guilds[0].id).update(
        emblem_large="emblems/1/abcdef123456-256.webp",
        description="Night racers.",
        description_translations={"ja": "夜のレーサー"},
    )
    client = client_for(PlayerFactory())

    for language, description in (("en", "Night racers."), ("ja", "夜のレーサー")):
        response = client.get(
            "/api/v1/guilds?title=shapes&sort=members", HTTP_ACCEPT_LANGUAGE=language
        )

        ordered = Guild.objects.filter(title=title).select_related("title")
        with translation.override(language):
            expected = GuildSerializer(ordered.order_by("-member_count"), many=True).data
        assert response.json()["results"] == as_json(expected)
        first = response.json()["results"][0]
        assert first["description"] == description
        assert first["emblem_url"] == f"/guilds/{guilds[0].id}/emblem/large?v=abcdef123456"
        assert [row["member_count"] for row in response.json()["results"]] == [3, 2, 1]


@pytest.mark.parametrize(
    ("path", "queries"),
    [("/api/v1/guilds?limit={n}", 1), ("/api/v1/guilds/{g}/members?limit={n}", 1)],
    ids=["browse", "members"],
)
def test_browse_and_member_list_query_counts_are_fixed(path: str, queries: int):
    guild = make_guild(members=12, capacity=50)
    for _index in range(12):
        make_guild()
    viewer = PlayerFactory()
    client = client_for(viewer)
    for member in GuildMembership.objects.filter(guild=guild)[:5]:
        in_game(member.player)
    client.get(path.format(n=1, g=guild.id))  # as a running worker: SQLite's JSON support known

    for size in (3, 12):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path.format(n=size, g=guild.id))
        assert len(response.json()["results"]) == size
        assert len(captured) == queries, [query["sql"] for query in captured]


def test_a_page_emptied_by_leavers_is_empty_and_a_disbanded_or_unknown_guild_is_not_found():
    guild = make_guild(members=1)
    leader = GuildMembership.objects.get(guild=guild, is_leader=True).player
    member = GuildMembership.objects.get(guild=guild, is_leader=False).player
    client = client_for(PlayerFactory())
    first = client.get(f"/api/v1/guilds/{guild.id}/members?limit=1").json()
    assert [row["player"]["id"] for row in first["results"]] == [leader.id]
    guild_member_kick(actor=leader, guild=guild, target=member)

    emptied = client.get(first["next"])

    assert (emptied.status_code, emptied.json()["results"]) == (200, [])
    guild_disband(actor=None, guild=guild)
    gone = client.get(f"/api/v1/guilds/{guild.id}/members")
    unknown = client.get("/api/v1/guilds/999999999/members")
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_found")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("sort", ["members", "activity", "created"])
def test_browse_pages_forwards_with_filters_without_gaps_or_repeats(sort: str):
    title, other = TitleFactory(slug="paging"), TitleFactory(slug="elsewhere")
    made = [make_guild(title=title, members=count % 3) for count in range(7)]
    make_guild(title=other)  # filtered out
    full = make_guild(title=title, capacity=1)  # no room: filtered out by has_room
    client = client_for(PlayerFactory())
    query = f"/api/v1/guilds?title=paging&has_room=true&sort={sort}&limit=3"

    first = client.get(query).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    def ids(page):
        return [row["id"] for row in page["results"]]

    listed = ids(first) + ids(second) + ids(third)
    assert sorted(listed) == sorted(guild.id for guild in made)
    assert len(set(listed)) == len(listed)
    assert full.id not in listed
    assert third["next"] is None


def test_member_pages_forwards_and_back_without_gaps_or_repeats():
    guild = make_guild(members=6, capacity=20)
    everyone = list(
        GuildMembership.objects.filter(guild=guild)
        .order_by("joined_at")
        .values_list("player_id", flat=True)
    )
    client = client_for(PlayerFactory())

    first = client.get(f"/api/v1/guilds/{guild.id}/members?limit=3").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(third["previous"]).json()

    def ids(page):
        return [row["player"]["id"] for row in page["results"]]

    assert ids(first) + ids(second) + ids(third) == everyone  # the leader and 6 members
    assert third["next"] is None
    assert ids(back) == ids(second)
