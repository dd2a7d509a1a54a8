"""The friends list offers "Invite to <guild>" only where ``guild_invite_send`` would accept
the invitation, and says why where it would not (a pending invitation, a guild ban, a
sanction on the viewer), as the profile's panel does: both ask ``guild_invite_check``. Each
offer and refusal is tried against the service through the portal, and the page's queries do
not grow with the number of friends."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.guilds.membership import guild_invite_send, guild_join, guild_member_ban
from apps.guilds.models import Guild, GuildInvite, GuildMembership
from apps.moderation.models import SanctionKind
from apps.moderation.sanctions import sanction_issue
from apps.players.friends import friend_request_send
from apps.players.models import Player
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def leader_of(guild: Guild) -> Player:
    return GuildMembership.objects.get(guild=guild, is_leader=True).player


def befriend(player: Player, other: Player) -> None:
    friend_request_send(sender=player, recipient=other)
    friend_request_send(sender=other, recipient=player)  # accepts


def portal_client(player: Player) -> Client:
    client = Client()
    client.force_login(player.user)
    return client


def friends_page(viewer: Player) -> str:
    response = portal_client(viewer).get(reverse("players:friends"))
    assert response.status_code == 200
    return response.content.decode()


def row_of(page: str, friend: Player) -> str:
    match = re.search(rf'data-testid="friend-{friend.id}">(.*?)</li>', page, re.DOTALL)
    assert match is not None
    return match.group(1)


def invite_through_portal(viewer: Player, guild: Guild, player: Player) -> None:
    portal_client(viewer).post(
        reverse("guilds:invite", kwargs={"guild_id": guild.id, "player_id": player.id})
    )


def test_each_friend_is_offered_what_the_service_accepts_and_told_why_not_otherwise():
    red = make_guild(name="Red Guild")
    leader = leader_of(red)
    make_guild(name="Blue Guild", leader=leader)
    fresh, invited, banned, member = (PlayerFactory() for _ in range(4))
    for friend in (fresh, invited, banned, member):
        befriend(leader, friend)
    guild_invite_send(inviter=leader, guild=red, player=invited)
    guild_member_ban(actor=leader, guild=red, target=banned)
    guild_join(player=member, guild=red)

    page = friends_page(leader)

    assert "Invite to Red Guild" in row_of(page, fresh)
    assert "Invite to Blue Guild" in row_of(page, fresh)
    assert "Invite to Red Guild" not in row_of(page, invited)
    assert "Invited to <bdi>Red Guild</bdi>: the invitation is pending." in row_of(page, invited)
    assert "Invite to Blue Guild" in row_of(page, invited)
    assert "Invite to Red Guild" not in row_of(page, banned)
    assert "Banned from <bdi>Red Guild</bdi>: lift the ban to invite them." in row_of(page, banned)
    assert "Invite to Blue Guild" in row_of(page, banned)
    assert "Red Guild" not in row_of(page, member)  # a member: nothing to offer or explain
    assert "Invite to Blue Guild" in row_of(page, member)
    # What was refused on the page, the service refuses; what was offered, it accepts.
    invite_through_portal(leader, red, banned)
    invite_through_portal(leader, red, invited)
    invite_through_portal(leader, red, fresh)
    assert not GuildInvite.objects.filter(guild=red, player=banned).exists()
    assert GuildInvite.objects.filter(guild=red, player=invited).count() == 1
    assert GuildInvite.objects.filter(guild=red, player=fresh).count() == 1
    assert "Invited to <bdi>Red Guild</bdi>" in row_of(friends_page(leader), fresh)


def test_a_viewer_suspended_in_the_guilds_title_is_offered_nothing_and_told_why_once():
    guild = make_guild(name="Held Guild")
    leader = leader_of(guild)
    friends = [PlayerFactory() for _ in range(3)]
    for friend in friends:
        befriend(leader, friend)
    sanction_issue(player=leader, kind=SanctionKind.SUSPENSION, title=guild.title,
                   duration=timedelta(days=1), reason="Cheating")  # fmt: skip

    page = friends_page(leader)

    assert "Invite to Held Guild" not in page
    assert page.count('data-testid="invite-held">Your account is suspended until ') == 1
    assert all('data-testid="message-friend"' in row_of(page, friend) for friend in friends)
    invite_through_portal(leader, guild, friends[0])
    assert not GuildInvite.objects.filter(guild=guild, player=friends[0]).exists()


def _friends_with_every_state(leader: Player, guilds: list[Guild], count: int) -> None:
    for index in range(count):
        friend = PlayerFactory()
        befriend(leader, friend)
        guild = guilds[index % len(guilds)]
        if index % 3 == 1:
            guild_invite_send(inviter=leader, guild=guild, player=friend)
        elif index % 3 == 2:
            guild_member_ban(actor=leader, guild=guild, target=friend)


def test_the_friends_page_reads_the_offers_in_the_same_queries_for_3_or_12_friends():
    counts = []
    for friend_count in (3, 12):
        first = make_guild()
        leader = leader_of(first)
        guilds = [first, make_guild(leader=leader)]
        _friends_with_every_state(leader, guilds, friend_count)
        client = portal_client(leader)
        client.get(reverse("players:friends"))  # sessions and caches warmed
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("players:friends")).content.decode()
        refused = sum(1 for index in range(friend_count) if index % 3)
        assert page.count('data-testid="invite-friend"') == 2 * friend_count - refused
        assert page.count("the invitation is pending.") == len(range(1, friend_count, 3))
        counts.append(len(queries))
    assert counts[0] == counts[1]
