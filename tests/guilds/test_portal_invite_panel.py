"""The profile's "Invite to" panel offers a guild only where ``guild_invite_send`` would
accept the invitation, and says why where it would not: the player's privacy, a pending
invitation, a guild ban, a sanction on the viewer. Each refusal is checked against the
service too, so the panel and the service cannot drift apart."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from apps.guilds.membership import guild_invite_send, guild_member_ban
from apps.guilds.models import Guild, GuildInvite, GuildMembership, JoinPolicy
from apps.moderation.models import SanctionKind
from apps.moderation.sanctions import sanction_issue
from apps.players.friends import friend_request_send
from apps.players.models import Player, Privacy
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

REFUSED = "This player does not accept guild invitations from you."


def leader_of(guild: Guild) -> Player:
    return GuildMembership.objects.get(guild=guild, is_leader=True).player


def profile_of(viewer: Player, player: Player) -> str:
    client = Client()
    client.force_login(viewer.user)
    response = client.get(reverse("players:profile", kwargs={"player_id": player.id}))
    assert response.status_code == 200
    return response.content.decode()


def invite_through_portal(viewer: Player, guild: Guild, player: Player) -> None:
    client = Client()
    client.force_login(viewer.user)
    client.post(reverse("guilds:invite", kwargs={"guild_id": guild.id, "player_id": player.id}))


def test_a_private_player_is_offered_no_guild_and_the_panel_says_why():
    guild = make_guild(name="Quiet Guild", join_policy=JoinPolicy.INVITE_ONLY)
    leader = leader_of(guild)
    private = PlayerFactory(privacy=Privacy.PRIVATE)
    page = profile_of(leader, private)
    assert 'data-testid="invite-to-guild"' not in page
    assert "Invite to Quiet Guild" not in page
    assert f'<p class="muted" data-testid="invite-refused">{REFUSED}</p>' in page
    invite_through_portal(leader, guild, private)  # the service refuses the same
    assert not GuildInvite.objects.filter(guild=guild, player=private).exists()


def test_a_friends_only_player_is_offered_to_friends_and_refused_to_others():
    guild = make_guild(name="Friendly Guild")
    leader = leader_of(guild)
    player = PlayerFactory(privacy=Privacy.FRIENDS)
    page = profile_of(leader, player)
    assert "Invite to Friendly Guild" not in page
    assert REFUSED in page
    friend_request_send(sender=leader, recipient=player)
    friend_request_send(sender=player, recipient=leader)  # accepts the leader's request
    page = profile_of(leader, player)
    assert "Invite to Friendly Guild" in page
    assert REFUSED not in page
    invite_through_portal(leader, guild, player)
    assert GuildInvite.objects.filter(guild=guild, player=player).count() == 1


def test_a_pending_invitation_replaces_the_button_with_its_state():
    offered = make_guild(name="Second Guild")
    leader = leader_of(offered)
    invited_to = make_guild(name="First Guild", leader=leader)
    player = PlayerFactory()
    guild_invite_send(inviter=leader, guild=invited_to, player=player)
    page = profile_of(leader, player)
    assert "Invite to First Guild" not in page
    assert "Invited to <bdi>First Guild</bdi>: the invitation is pending." in page
    assert "Invite to Second Guild" in page  # the other guild is still offered
    assert REFUSED not in page


def test_a_guild_banned_player_is_not_offered_that_guild():
    guild = make_guild(name="Strict Guild")
    leader = leader_of(guild)
    player = PlayerFactory()
    guild_member_ban(actor=leader, guild=guild, target=player)
    page = profile_of(leader, player)
    assert "Invite to Strict Guild" not in page
    assert "Banned from <bdi>Strict Guild</bdi>: lift the ban to invite them." in page
    invite_through_portal(leader, guild, player)
    assert not GuildInvite.objects.filter(guild=guild, player=player).exists()


def test_a_viewer_suspended_in_the_guilds_title_is_told_why_nothing_is_offered():
    guild = make_guild(name="Held Guild")
    leader = leader_of(guild)
    sanction_issue(
        player=leader,
        kind=SanctionKind.SUSPENSION,
        title=guild.title,
        duration=timedelta(days=1),
        reason="Cheating",
    )
    player = PlayerFactory()
    page = profile_of(leader, player)
    assert "Invite to Held Guild" not in page
    assert 'data-testid="invite-held">Your account is suspended until ' in page
    assert "Reason: Cheating" in page
    invite_through_portal(leader, guild, player)
    assert not GuildInvite.objects.filter(guild=guild, player=player).exists()


def test_nothing_about_invitations_shows_to_a_viewer_without_the_permission():
    guild = make_guild(members=1)
    member = GuildMembership.objects.get(guild=guild, is_leader=False).player
    private = PlayerFactory(privacy=Privacy.PRIVATE)
    page = profile_of(member, private)
    assert 'data-testid="profile-guilds"' not in page
    assert REFUSED not in page
