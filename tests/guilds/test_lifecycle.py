# ruff: noqa: RUF001 -- fullwidth look-alikes are what the folding tests feed in
"""Membership lifecycle, names, browse and guild chat membership, through REST."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.chat.kinds import kind_registry
from apps.guilds.chat import guild_channel
from apps.guilds.models import Guild, GuildInvite, GuildMembership, JoinPolicy
from apps.players.friends import block_create
from apps.players.models import Notification, Player, Privacy
from tests.factories import TitleFactory
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def leader_of(guild: Guild) -> Player:
    return GuildMembership.objects.get(guild=guild, is_leader=True).player


def create(player: Player, **data: object):  # type: ignore[no-untyped-def]
    body = {"title": TitleFactory(slug="race-cars").slug, "name": "Sega Fans", "tag": "SEGA"}
    return client_for(player).post("/api/v1/guilds/new", body | data, format="json")


def test_create_makes_the_founder_leader_with_three_roles():
    founder = PlayerFactory()

    response = create(founder)

    assert response.status_code == 201
    guild = Guild.objects.get(id=response.json()["id"])
    assert leader_of(guild) == founder
    assert sorted(guild.roles.values_list("kind", flat=True)) == ["leader", "member", "officer"]
    assert guild.member_count == 1


def test_names_and_tags_are_unique_after_folding():
    create(PlayerFactory())

    fullwidth = create(PlayerFactory(), name="ＳＥＧＡ ＦＡＮＳ", tag="other")
    tag_clash = create(PlayerFactory(), name="Other Club", tag="ｓｅｇａ")
    other_title = create(PlayerFactory(), name="Other Club", tag="sega", title=TitleFactory().slug)

    assert fullwidth.json()["error"]["code"] == "name_taken"
    assert tag_clash.json()["error"]["code"] == "tag_taken"
    assert other_title.status_code == 201
    assert Guild.objects.count() == 2


def test_reserved_and_invalid_names_are_refused_with_their_code():
    reserved = create(PlayerFactory(), name="Admin Team")
    too_short = create(PlayerFactory(), name="ab")

    assert reserved.json()["error"]["code"] == "name_reserved"
    assert too_short.json()["error"]["code"] == "name_too_short"
    assert Guild.objects.count() == 0


def test_search_finds_fullwidth_queries_and_filters_by_room():
    guild = make_guild(name="Sega Heroes", capacity=2)
    make_guild(name="Nintendo Club")
    viewer = PlayerFactory()

    found = client_for(viewer).get("/api/v1/guilds", {"q": "ＳＥＧＡ"}).json()["results"]
    with_room = client_for(viewer).get("/api/v1/guilds", {"has_room": "true"}).json()["results"]

    assert [row["id"] for row in found] == [guild.id]
    assert len(with_room) == 2
    client_for(viewer).post(f"/api/v1/guilds/{guild.id}/join")
    with_room = client_for(viewer).get("/api/v1/guilds", {"has_room": "true"}).json()["results"]
    assert guild.id not in [row["id"] for row in with_room]


def test_a_player_belongs_to_one_guild_per_title_by_default():
    title = TitleFactory()
    first, second = make_guild(title=title), make_guild(title=title)
    player = PlayerFactory()

    joined = client_for(player).post(f"/api/v1/guilds/{first.id}/join")
    refused = client_for(player).post(f"/api/v1/guilds/{second.id}/join")
    elsewhere = client_for(player).post(f"/api/v1/guilds/{make_guild().id}/join")

    assert joined.status_code == 201
    assert refused.json()["error"]["code"] == "guild_limit_reached"
    assert elsewhere.status_code == 201


def test_approval_guild_turns_join_into_a_request_the_officer_approves():
    guild = make_guild(join_policy=JoinPolicy.APPROVAL)
    player = PlayerFactory()

    asked = client_for(player).post(f"/api/v1/guilds/{guild.id}/join")
    pending = client_for(leader_of(guild)).get(f"/api/v1/guilds/{guild.id}/requests").json()
    approved = client_for(leader_of(guild)).post(
        f"/api/v1/guilds/{guild.id}/requests/{pending[0]['id']}/approve"
    )

    assert asked.json() == {"status": "requested"}
    assert approved.status_code == 204
    assert GuildMembership.objects.filter(guild=guild, player=player).exists()
    assert Notification.objects.filter(recipient=player, kind="guild_news").count() == 1


def test_invites_respect_blocks_privacy_and_expire():
    guild = make_guild(join_policy=JoinPolicy.INVITE_ONLY)
    leader = leader_of(guild)
    blocker, private, welcome = PlayerFactory(), PlayerFactory(), PlayerFactory()
    block_create(blocker=blocker, blocked=leader)
    Player.objects.filter(id=private.id).update(privacy=Privacy.PRIVATE)
    url = f"/api/v1/guilds/{guild.id}/invites"

    to_blocker = client_for(leader).post(url, {"player_id": blocker.id}, format="json")
    to_private = client_for(leader).post(url, {"player_id": private.id}, format="json")
    to_welcome = client_for(leader).post(url, {"player_id": welcome.id}, format="json")

    assert to_blocker.status_code == 404  # the blocker is invisible to the leader
    assert to_private.json()["error"]["code"] == "invite_refused"
    assert to_welcome.status_code == 201
    assert Notification.objects.filter(recipient=welcome, kind="guild_invite").count() == 1
    GuildInvite.objects.filter(player=welcome).update(expires_at=timezone.now() - timedelta(1))
    invite_id = to_welcome.json()["id"]
    late = client_for(welcome).post(f"/api/v1/guilds/invites/{invite_id}/accept")
    assert late.json()["error"]["code"] == "invite_expired"
    assert not GuildMembership.objects.filter(guild=guild, player=welcome).exists()
    assert not GuildInvite.objects.filter(player=welcome).exists()


def test_guild_invite_opt_out_stops_the_notification():
    guild = make_guild()
    player = PlayerFactory(notification_opt_outs=["guild_invite"])

    response = client_for(leader_of(guild)).post(
        f"/api/v1/guilds/{guild.id}/invites", {"player_id": player.id}, format="json"
    )

    assert response.status_code == 201
    assert not Notification.objects.filter(recipient=player).exists()


def test_officer_cannot_kick_the_leader_or_a_peer():
    guild = make_guild(members=2)
    officer_role = guild.roles.get(kind="officer")
    first, second = list(GuildMembership.objects.filter(guild=guild, is_leader=False))
    GuildMembership.objects.filter(id__in=[first.id, second.id]).update(role=officer_role)
    client = client_for(first.player)

    on_leader = client.post(f"/api/v1/guilds/{guild.id}/members/{leader_of(guild).id}/kick")
    on_peer = client.post(f"/api/v1/guilds/{guild.id}/members/{second.player_id}/kick")

    assert on_leader.json()["error"]["code"] == "rank_too_low"
    assert on_peer.json()["error"]["code"] == "rank_too_low"
    assert GuildMembership.objects.filter(guild=guild).count() == 3


def test_guild_chat_membership_follows_the_guild():
    guild = make_guild()
    player = PlayerFactory()
    channel = guild_channel(guild=guild)
    rules = kind_registry.for_channel(channel)

    client_for(player).post(f"/api/v1/guilds/{guild.id}/join")
    can_read_as_member = rules.can_read(channel, player)
    client_for(leader_of(guild)).post(f"/api/v1/guilds/{guild.id}/members/{player.id}/kick")

    assert can_read_as_member
    assert not rules.can_read(channel, player)
    assert rules.can_read(channel, leader_of(guild))
    officers = guild_channel(guild=guild, officers=True)
    assert kind_registry.for_channel(officers).can_read(officers, leader_of(guild))
    assert not kind_registry.for_channel(officers).can_read(officers, player)


def test_last_leader_leaving_disbands_and_archives_chat():
    guild = make_guild()
    leader = leader_of(guild)
    channel = guild_channel(guild=guild)

    response = client_for(leader).post(f"/api/v1/guilds/{guild.id}/leave")

    guild.refresh_from_db()
    channel.refresh_from_db()
    assert response.status_code == 204
    assert guild.disbanded_at is not None
    assert channel.closed_at is not None
    assert not kind_registry.for_channel(channel).can_write(channel, leader)
    again = create(PlayerFactory(), name=guild.name, tag="NEW")
    assert again.json()["error"]["code"] == "name_taken"  # held during the cool-down


@pytest.mark.parametrize(
    "path", ["/api/v1/guilds?limit={n}", "/api/v1/guilds/{g}/members?limit={n}"]
)
def test_browse_and_member_list_queries_do_not_grow_with_the_page(path: str):
    guild = make_guild(members=12, capacity=50)
    for _index in range(12):
        make_guild()
    client = client_for(PlayerFactory())
    client.get(path.format(n=1, g=guild.id))  # as a running worker: SQLite's JSON support known

    counts = []
    for size in (3, 12):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path.format(n=size, g=guild.id))
        assert len(response.json()["results"]) == size
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_pending_invitations_are_listed_to_inviters_without_the_expired_ones():
    guild = make_guild(members=1)
    leader = GuildMembership.objects.get(guild=guild, is_leader=True).player
    member = GuildMembership.objects.get(guild=guild, is_leader=False).player
    fresh, stale = PlayerFactory(), PlayerFactory()
    for player in (fresh, stale):
        client_for(leader).post(
            f"/api/v1/guilds/{guild.id}/invites", {"player_id": player.id}, format="json"
        )
    GuildInvite.objects.filter(player=stale).update(expires_at=timezone.now() - timedelta(1))

    listed = client_for(leader).get(f"/api/v1/guilds/{guild.id}/invites/sent")
    refused = client_for(member).get(f"/api/v1/guilds/{guild.id}/invites/sent")

    assert listed.status_code == 200
    assert [(row["player"]["id"], row["inviter"]["id"]) for row in listed.json()] == [
        (fresh.id, leader.id)
    ]
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_permitted"
