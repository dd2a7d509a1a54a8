# ruff: noqa: RUF001 -- fullwidth letters are what the search test types
"""Guild portal pages (apps/guilds/views.py): browse, guild page, create, join and leave
through the real services, refusals shown as the action form's error."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.guilds.models import Guild, GuildInvite, GuildJoinRequest, GuildMembership, JoinPolicy
from apps.guilds.services import guild_disband
from apps.players.models import Player
from tests.factories import TitleFactory
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def client_for(player: Player) -> Client:
    client = Client()
    client.force_login(player.user)
    return client


def leader_of(guild: Guild) -> Player:
    return GuildMembership.objects.get(guild=guild, is_leader=True).player


def test_create_makes_a_guild_led_by_the_creator_and_shows_its_page():
    player = PlayerFactory()
    title = TitleFactory(slug="portal-cars")
    client = client_for(player)
    form = {"title": title.slug, "name": "Night Riders", "tag": "NITE",
            "description": "We race at night.", "language": "en", "region": "eu",
            "join_policy": JoinPolicy.OPEN}  # fmt: skip
    response = client.post(reverse("guilds:create"), form, follow=True)
    guild = Guild.objects.get(name="Night Riders")
    assert leader_of(guild) == player
    assert response.redirect_chain[-1][0] == reverse("guilds:detail", kwargs={"guild_id": guild.id})
    page = response.content.decode()
    assert "[NITE] Night Riders" in page
    assert "We race at night." in page
    assert player.display_name in page  # the members list, with the leader


def test_create_with_a_taken_name_shows_the_error_under_the_name_field():
    title = TitleFactory(slug="portal-taken")
    make_guild(title=title, name="Sega Fans")
    form = {"title": title.slug, "name": "ＳＥＧＡ fans", "tag": "SF", "language": "en",
            "region": "", "join_policy": JoinPolicy.OPEN}  # fmt: skip
    response = client_for(PlayerFactory()).post(reverse("guilds:create"), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_name_error"' in page
    assert Guild.objects.filter(title=title).count() == 1


def test_join_then_leave_an_open_guild():
    guild = make_guild()
    player = PlayerFactory()
    client = client_for(player)
    response = client.post(reverse("guilds:join", kwargs={"guild_id": guild.id}), follow=True)
    assert GuildMembership.objects.filter(guild=guild, player=player).exists()
    assert "Leave the guild" in response.content.decode()
    response = client.post(reverse("guilds:leave", kwargs={"guild_id": guild.id}), follow=True)
    assert not GuildMembership.objects.filter(guild=guild, player=player).exists()
    assert response.redirect_chain[-1][0] == reverse("guilds:browse")


def test_join_an_approval_guild_files_a_request_and_says_so():
    guild = make_guild(join_policy=JoinPolicy.APPROVAL)
    player = PlayerFactory()
    client = client_for(player)
    response = client.post(reverse("guilds:join", kwargs={"guild_id": guild.id}), follow=True)
    assert GuildJoinRequest.objects.filter(guild=guild, player=player).exists()
    assert not GuildMembership.objects.filter(guild=guild, player=player).exists()
    assert "waiting for the guild" in response.content.decode()


def test_a_refusal_is_shown_as_the_forms_error():
    guild = make_guild(capacity=1)  # the leader fills it
    response = client_for(PlayerFactory()).post(
        reverse("guilds:join", kwargs={"guild_id": guild.id})
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert 'class="errorlist nonfield"' in page
    assert "The guild is full." in page
    assert guild.memberships.count() == 1


def test_the_leader_of_a_guild_with_members_cannot_leave():
    guild = make_guild(members=1)
    response = client_for(leader_of(guild)).post(
        reverse("guilds:leave", kwargs={"guild_id": guild.id})
    )
    assert response.status_code == 409
    assert "errorlist nonfield" in response.content.decode()
    assert guild.memberships.count() == 2


def test_unknown_and_disbanded_guilds_404():
    guild = make_guild()
    guild_disband(actor=leader_of(guild), guild=guild)
    client = client_for(PlayerFactory())
    assert client.get(reverse("guilds:detail", kwargs={"guild_id": guild.id})).status_code == 404
    assert client.get(reverse("guilds:detail", kwargs={"guild_id": 999999})).status_code == 404
    join = client.post(reverse("guilds:join", kwargs={"guild_id": guild.id}))
    assert join.status_code == 404


def test_browse_finds_by_folded_name_and_pages_with_more():
    title = TitleFactory(slug="portal-browse")
    make_guild(title=title, name="Sega Fans")
    for number in range(21):
        make_guild(title=title, name=f"Other Guild {number}")
    client = client_for(PlayerFactory())
    found = client.get(reverse("guilds:browse"), {"q": "ＳＥＧＡ", "title": title.slug})
    assert "Sega Fans" in found.content.decode()
    assert "Other Guild" not in found.content.decode()
    first = client.get(reverse("guilds:browse"), {"title": title.slug})
    more = first.context["next_url"]
    assert more is not None and len(first.context["guilds"]) == 20
    second = client.get(reverse("guilds:browse") + more)
    names = {guild.name for guild in first.context["guilds"]}
    names |= {guild.name for guild in second.context["guilds"]}
    assert len(names) == 22
    assert second.context["next_url"] is None


def test_visitors_browse_but_must_log_in_to_create():
    make_guild(name="Visible Guild")
    client = Client()
    assert "Visible Guild" in client.get(reverse("guilds:browse")).content.decode()
    response = client.get(reverse("guilds:create"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_players_guild_shows_on_their_profile():
    guild = make_guild(name="Profile Guild")
    member = PlayerFactory()
    client_for(member).post(reverse("guilds:join", kwargs={"guild_id": guild.id}))
    page = Client().get(reverse("players:profile", kwargs={"player_id": member.id}))
    assert page.status_code == 200
    assert f"[{guild.tag}] Profile Guild" in page.content.decode()


def test_invite_to_guild_from_a_profile_sends_an_invitation():
    guild = make_guild(name="Inviting Guild", join_policy=JoinPolicy.INVITE_ONLY)
    leader = leader_of(guild)
    invitee = PlayerFactory()
    client = client_for(leader)
    profile = reverse("players:profile", kwargs={"player_id": invitee.id})
    assert "Invite to Inviting Guild" in client.get(profile).content.decode()
    invite = reverse("guilds:invite", kwargs={"guild_id": guild.id, "player_id": invitee.id})
    response = client.post(invite, follow=True)
    assert GuildInvite.objects.filter(guild=guild, player=invitee, inviter=leader).exists()
    assert "Invitation sent." in response.content.decode()
    again = client.post(invite, follow=True)  # the refusal shows as an error on the profile
    assert GuildInvite.objects.filter(guild=guild, player=invitee).count() == 1
    assert (
        '<li class="error"><span role="alert">This player already has a pending invitation.'
        in again.content.decode()
    )


def test_a_plain_member_sees_no_invite_button_and_cannot_invite():
    guild = make_guild()
    member = PlayerFactory()
    client = client_for(member)
    client.post(reverse("guilds:join", kwargs={"guild_id": guild.id}))
    other = PlayerFactory()
    profile = client.get(reverse("players:profile", kwargs={"player_id": other.id}))
    assert "invite-to-guild" not in profile.content.decode()
    client.post(reverse("guilds:invite", kwargs={"guild_id": guild.id, "player_id": other.id}))
    assert not GuildInvite.objects.filter(guild=guild, player=other).exists()


def test_an_invitation_is_listed_on_browse_and_accepting_joins():
    guild = make_guild(name="Closed Guild", join_policy=JoinPolicy.INVITE_ONLY)
    invitee = PlayerFactory()
    leader_client = client_for(leader_of(guild))
    leader_client.post(
        reverse("guilds:invite", kwargs={"guild_id": guild.id, "player_id": invitee.id})
    )
    client = client_for(invitee)
    browse = client.get(reverse("guilds:browse")).content.decode()
    assert 'data-testid="guild-invites"' in browse and "Closed Guild" in browse
    invite = GuildInvite.objects.get(guild=guild, player=invitee)
    accept = reverse("guilds:invite-respond", kwargs={"invite_id": invite.id, "answer": "accept"})
    # Nobody else can answer it.
    assert client_for(PlayerFactory()).post(accept).status_code == 404
    response = client.post(accept, follow=True)
    assert GuildMembership.objects.filter(guild=guild, player=invitee).exists()
    assert response.redirect_chain[-1][0] == reverse("guilds:detail", kwargs={"guild_id": guild.id})


def test_declining_an_invitation_removes_it():
    guild = make_guild(join_policy=JoinPolicy.INVITE_ONLY)
    invitee = PlayerFactory()
    client_for(leader_of(guild)).post(
        reverse("guilds:invite", kwargs={"guild_id": guild.id, "player_id": invitee.id})
    )
    invite = GuildInvite.objects.get(guild=guild, player=invitee)
    decline = reverse("guilds:invite-respond", kwargs={"invite_id": invite.id, "answer": "decline"})
    client_for(invitee).post(decline)
    assert not GuildInvite.objects.filter(id=invite.id).exists()
    assert not GuildMembership.objects.filter(guild=guild, player=invitee).exists()
