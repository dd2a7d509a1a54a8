"""The guild manage page (apps/guilds/views_manage.py): settings, members (role, kick, ban)
and join requests, through the same services as REST; each action offered only where the
manager's permissions and rank allow it, and a refusal shown without changing anything."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.guilds.membership import guild_join
from apps.guilds.models import (
    AuditAction,
    Guild,
    GuildAuditEntry,
    GuildBan,
    GuildJoinRequest,
    GuildMembership,
    GuildRole,
    JoinPolicy,
    RoleKind,
)
from apps.guilds.services import guild_member_role_set
from apps.players.models import Player
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def client_for(player: Player) -> Client:
    client = Client()
    client.force_login(player.user)
    return client


def staffed_guild(**kwargs) -> tuple[Guild, Player, Player, Player]:
    """A guild with its leader, an officer and a member (in that order of joining)."""
    guild = make_guild(members=2, **kwargs)
    leader, officer, member = [
        m.player for m in GuildMembership.objects.filter(guild=guild).order_by("id")
    ]
    role = GuildRole.objects.get(guild=guild, kind=RoleKind.OFFICER)
    guild_member_role_set(actor=leader, guild=guild, target=officer, role=role)
    return guild, leader, officer, member


def manage_url(guild: Guild) -> str:
    return reverse("guilds:manage", kwargs={"guild_id": guild.id})


def member_url(guild: Guild, player: Player, action: str) -> str:
    kwargs = {"guild_id": guild.id, "player_id": player.id, "action": action}
    return reverse("guilds:manage-member", kwargs=kwargs)


def roles_of(guild: Guild) -> dict[int, str]:
    return dict(GuildMembership.objects.filter(guild=guild).values_list("player", "role__kind"))


def test_only_members_whose_role_manages_get_the_page_and_the_link_to_it():
    guild, leader, officer, member = staffed_guild()
    detail = reverse("guilds:detail", kwargs={"guild_id": guild.id})

    answers = {
        name: client_for(player).get(manage_url(guild)).status_code
        for name, player in (("leader", leader), ("officer", officer), ("member", member),
                             ("outsider", PlayerFactory()))
    }  # fmt: skip
    anonymous = Client().get(manage_url(guild))

    assert answers == {"leader": 200, "officer": 200, "member": 403, "outsider": 403}
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert 'data-testid="guild-manage-link"' in client_for(leader).get(detail).content.decode()
    assert 'data-testid="guild-manage-link"' not in client_for(member).get(detail).content.decode()


def test_the_page_offers_actions_only_on_lower_ranks_and_settings_only_with_edit_guild():
    guild, _leader, officer, member = staffed_guild()
    page = client_for(officer).get(manage_url(guild)).content.decode()

    # Officers start without edit_guild and manage_roles: no settings, no role change.
    assert 'data-testid="guild-settings-form"' not in page
    assert 'name="role"' not in page
    assert page.count('action="/guilds/') == 2 * 1  # kick and ban, for the member only
    assert member_url(guild, member, "kick") in page
    assert member_url(guild, member, "ban") in page
    assert 'data-testid="guild-requests"' in page


def test_settings_are_saved_and_audited_and_bad_values_change_nothing():
    guild, leader, officer, _member = staffed_guild()
    url = reverse("guilds:manage-settings", kwargs={"guild_id": guild.id})
    form = {"description": "Raids on Fridays.", "join_policy": JoinPolicy.APPROVAL,
            "language": "ja", "region": "asia"}  # fmt: skip

    saved = client_for(leader).post(url, form, follow=True)
    refused = client_for(leader).post(url, {**form, "region": "moon"}, follow=True)
    by_officer = client_for(officer).post(url, {**form, "description": "Officer's"}, follow=True)

    guild.refresh_from_db()
    assert (guild.description, guild.join_policy, guild.language, guild.region) == (
        "Raids on Fridays.", JoinPolicy.APPROVAL, "ja", "asia",
    )  # fmt: skip
    assert "The guild&#x27;s settings were saved." in saved.content.decode()
    assert "The settings were not saved: check the values." in refused.content.decode()
    assert by_officer.status_code == 200
    assert "Your guild role does not allow this." in by_officer.content.decode()
    assert GuildAuditEntry.objects.filter(guild=guild, action=AuditAction.UPDATED).count() == 1


def test_leader_changes_a_role_and_a_role_of_another_guild_is_refused():
    guild, leader, _officer, member = staffed_guild()
    officer_role = GuildRole.objects.get(guild=guild, kind=RoleKind.OFFICER)
    foreign_role = GuildRole.objects.get(guild=make_guild(), kind=RoleKind.OFFICER)
    client = client_for(leader)

    refused = client.post(member_url(guild, member, "role"), {"role": foreign_role.id}, follow=True)
    assert roles_of(guild)[member.id] == RoleKind.MEMBER
    assert "Choose one of the guild&#x27;s roles." in refused.content.decode()

    changed = client.post(member_url(guild, member, "role"), {"role": officer_role.id}, follow=True)
    assert roles_of(guild)[member.id] == RoleKind.OFFICER
    assert "The member&#x27;s role was changed." in changed.content.decode()


def test_officer_kicks_a_member_but_not_the_leader_and_bans_stick():
    guild, leader, officer, member = staffed_guild()
    banned = PlayerFactory()
    guild_join(player=banned, guild=guild)
    client = client_for(officer)

    refused = client.post(member_url(guild, leader, "kick"), follow=True)
    client.post(member_url(guild, member, "kick"))
    client.post(member_url(guild, banned, "ban"))

    assert set(roles_of(guild)) == {leader.id, officer.id}
    assert "You can act only on members of a lower rank than yours." in refused.content.decode()
    assert list(GuildBan.objects.filter(guild=guild).values_list("player", flat=True)) == [
        banned.id
    ]
    guild.refresh_from_db()
    assert guild.member_count == 2
    gone = client.post(member_url(guild, member, "kick"))
    assert gone.status_code == 404  # no longer a member of this guild


def test_requests_are_approved_and_denied_and_another_guilds_request_is_not_found():
    guild, _leader, officer, _member = staffed_guild(join_policy=JoinPolicy.APPROVAL)
    other = make_guild(join_policy=JoinPolicy.APPROVAL)
    applicant, refused_one, elsewhere = PlayerFactory(), PlayerFactory(), PlayerFactory()
    for player in (applicant, refused_one):
        guild_join(player=player, guild=guild)
    guild_join(player=elsewhere, guild=other)
    requests = {r.player_id: r.id for r in GuildJoinRequest.objects.all()}
    client = client_for(officer)

    def decide(request_id: int, answer: str, on: Guild = guild):
        kwargs = {"guild_id": on.id, "request_id": request_id, "answer": answer}
        return client.post(reverse("guilds:manage-request", kwargs=kwargs))

    page = client.get(manage_url(guild)).content.decode()
    assert applicant.display_name in page and refused_one.display_name in page
    assert decide(requests[elsewhere.id], "approve").status_code == 404
    decide(requests[applicant.id], "approve")
    decide(requests[refused_one.id], "deny")

    assert applicant.id in roles_of(guild)
    assert refused_one.id not in roles_of(guild)
    assert list(GuildJoinRequest.objects.values_list("player", flat=True)) == [elsewhere.id]


def test_a_ban_is_listed_and_lifted_and_the_audit_log_shows_who_did_what():
    guild, leader, officer, member = staffed_guild()
    client = client_for(officer)
    client.post(member_url(guild, member, "ban"))
    page = client.get(manage_url(guild)).content.decode()
    lift = reverse("guilds:manage-ban-lift", kwargs={"guild_id": guild.id, "player_id": member.id})
    assert lift in page
    stranger = reverse(
        "guilds:manage-ban-lift", kwargs={"guild_id": guild.id, "player_id": leader.id}
    )

    assert client.post(stranger).status_code == 404  # not banned here
    lifted = client.post(lift, follow=True)

    assert "The ban was lifted." in lifted.content.decode()
    assert not GuildBan.objects.filter(guild=guild).exists()
    audit = lifted.content.decode().split('data-testid="guild-audit"', 1)[1]
    assert "Ban lifted" in audit and "Banned" in audit and "Role changed" in audit
    # Members below officer rank see no audit log (and no manage page at all).
    assert client_for(PlayerFactory()).get(manage_url(guild)).status_code == 403
