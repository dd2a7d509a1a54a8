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
    GuildInvite,
    GuildJoinRequest,
    GuildMembership,
    GuildRole,
    JoinPolicy,
    RoleKind,
)
from apps.guilds.services import guild_member_role_set
from apps.players.friends import block_create
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
    assert page.count("/manage/members/") == 2 * 1  # kick and ban, for the member only
    assert member_url(guild, member, "kick") in page
    assert member_url(guild, member, "ban") in page
    assert 'data-testid="guild-requests"' in page
    assert 'data-testid="guild-invite-form"' in page  # officers hold invite
    assert 'data-testid="guild-role-form"' not in page
    assert 'data-testid="guild-disband-form"' not in page  # the leader's only


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


def field_errors(response, field_id: str) -> str:
    """The inline errors Django renders for the field whose element id is ``field_id`` (its
    ``<ul class="errorlist"`` next to the input, referenced by ``aria-describedby``)."""
    page = response.content.decode()
    marker = f'id="{field_id}_error"'
    assert marker in page, f"no inline error for {field_id}"
    return page.split(marker, 1)[1].split("</ul>", 1)[0]


def test_an_officer_invites_by_name_sees_it_pending_and_revokes_it():
    guild, _leader, officer, member = staffed_guild()
    invited = PlayerFactory(display_name="Night Owl")
    blocker = PlayerFactory(display_name="Hermit")
    block_create(blocker=blocker, blocked=officer)
    client = client_for(officer)
    url = reverse("guilds:manage-invite", kwargs={"guild_id": guild.id})

    sent = client.post(url, {"name": "NIGHT OWL"}, follow=True)  # names fold like REST's
    unknown = client.post(url, {"name": "Nobody Here"})
    blocked = client.post(url, {"name": "Hermit"})
    already = client.post(url, {"name": member.display_name})
    denied = client_for(member).post(url, {"name": "Hermit"})

    invite = GuildInvite.objects.get(guild=guild)
    assert (invite.player_id, invite.inviter_id) == (invited.id, officer.id)
    assert "The invitation was sent." in sent.content.decode()
    assert "Night Owl" in sent.content.decode().split('data-testid="guild-invites"', 1)[1]
    assert unknown.status_code == 200  # the page again, with the error in place
    assert "No player has this name." in field_errors(unknown, "invite_name")
    assert "No player has this name." in field_errors(blocked, "invite_name")  # blocks don't leak
    assert "already a member" in field_errors(already, "invite_name")
    assert denied.status_code == 403
    revoke = reverse(
        "guilds:manage-invite-revoke", kwargs={"guild_id": guild.id, "invite_id": invite.id}
    )
    other_guild = make_guild()
    foreign = reverse(
        "guilds:manage-invite-revoke", kwargs={"guild_id": other_guild.id, "invite_id": invite.id}
    )
    assert client_for(other_guild.memberships.get().player).post(foreign).status_code == 404
    assert client_for(member).post(revoke).status_code == 403
    assert GuildInvite.objects.filter(guild=guild).count() == 1
    revoked = client.post(revoke, follow=True)
    assert "The invitation was revoked." in revoked.content.decode()
    assert not GuildInvite.objects.filter(guild=guild).exists()
    assert GuildAuditEntry.objects.filter(
        guild=guild, action=AuditAction.INVITE_REVOKED, target=invited
    ).exists()


def test_the_leader_creates_edits_assigns_and_deletes_a_custom_role():
    guild, leader, _officer, member = staffed_guild()
    client = client_for(leader)
    create = reverse("guilds:manage-roles", kwargs={"guild_id": guild.id})

    client.post(create, {"name": "Recruiter", "rank": 20, "permissions": ["invite"]})
    role = GuildRole.objects.get(guild=guild, name="Recruiter")
    assert (role.kind, role.rank, role.permissions) == (RoleKind.CUSTOM, 20, ["invite"])
    taken = client.post(create, {"name": "Recruiter", "rank": 10, "permissions": []})
    assert "This name is taken in the guild." in field_errors(taken, "role_new_name")

    def role_url(action: str) -> str:
        kwargs = {"guild_id": guild.id, "role_id": role.id, "action": action}
        return reverse("guilds:manage-role", kwargs=kwargs)

    client.post(role_url("permissions"), {f"role-{role.id}-permissions": ["invite", "kick"]})
    role.refresh_from_db()
    assert role.permissions == ["invite", "kick"]
    client.post(member_url(guild, member, "role"), {"role": role.id})
    assert roles_of(guild)[member.id] == RoleKind.CUSTOM
    in_use = client.post(role_url("delete"), follow=True)
    assert "Members still hold this role" in in_use.content.decode()
    assert GuildRole.objects.filter(id=role.id).exists()

    client.post(member_url(guild, member, "role"), {"role": guild.roles.get(kind="member").id})
    client.post(role_url("delete"))
    assert not GuildRole.objects.filter(id=role.id).exists()
    actions = set(GuildAuditEntry.objects.filter(guild=guild).values_list("action", flat=True))
    assert {AuditAction.ROLE_CREATED, AuditAction.ROLE_UPDATED, AuditAction.ROLE_DELETED} <= actions


def test_a_role_manager_grants_only_what_they_hold_below_their_rank_errors_inline():
    guild, leader, officer, _member = staffed_guild()
    officer_role = GuildRole.objects.get(guild=guild, kind=RoleKind.OFFICER)
    officer_role.permissions = [*officer_role.permissions, "manage_roles"]
    officer_role.save(update_fields=["permissions"])
    create = reverse("guilds:manage-roles", kwargs={"guild_id": guild.id})
    client = client_for(officer)

    not_held = client.post(create, {"name": "Editors", "rank": 10, "permissions": ["edit_guild"]})
    too_high = client.post(create, {"name": "Seniors", "rank": 60, "permissions": []})
    builtin_leader = guild.roles.get(kind=RoleKind.LEADER)
    kwargs = {"guild_id": guild.id, "role_id": builtin_leader.id, "action": "delete"}
    leader_delete = client_for(leader).post(reverse("guilds:manage-role", kwargs=kwargs))
    page = client.get(manage_url(guild)).content.decode()

    assert not_held.status_code == 200
    assert "You can grant only permissions you hold yourself." in field_errors(
        not_held, "role_new_permissions"
    )
    assert "rank" in field_errors(too_high, "role_new_rank").lower()
    assert not GuildRole.objects.filter(guild=guild, kind=RoleKind.CUSTOM).exists()
    assert leader_delete.status_code == 302 and guild.roles.filter(id=builtin_leader.id).exists()
    # The officer edits only roles below their rank (the member role), never their own.
    assert f"/manage/roles/{officer_role.id}/" not in page
    member_role = guild.roles.get(kind=RoleKind.MEMBER)
    assert f"/manage/roles/{member_role.id}/permissions/" in page


def test_transfer_and_disband_need_the_leader_and_a_confirmation():
    guild, leader, officer, member = staffed_guild()
    transfer = reverse("guilds:manage-transfer", kwargs={"guild_id": guild.id})
    disband = reverse("guilds:manage-disband", kwargs={"guild_id": guild.id})

    unconfirmed = client_for(leader).post(transfer, {"new_leader": member.id})
    by_officer = client_for(officer).post(transfer, {"new_leader": officer.id, "confirm": "on"})
    stranger = client_for(leader).post(
        transfer, {"new_leader": PlayerFactory().id, "confirm": "on"}
    )
    assert GuildMembership.objects.get(guild=guild, is_leader=True).player_id == leader.id
    assert unconfirmed.status_code == 200
    assert "This field is required." in field_errors(unconfirmed, "transfer_confirm")
    assert by_officer.status_code == 403
    assert "Select a valid choice." in field_errors(stranger, "transfer_new_leader")

    done = client_for(leader).post(
        transfer, {"new_leader": member.id, "confirm": "on"}, follow=True
    )
    assert "You handed the leadership over." in done.content.decode()
    assert GuildMembership.objects.get(guild=guild, is_leader=True).player_id == member.id
    assert roles_of(guild)[leader.id] == RoleKind.OFFICER

    assert client_for(member).post(disband).status_code == 200  # not confirmed: the page again
    assert client_for(leader).post(disband, {"confirm": "on"}).status_code == 403  # not leader
    guild.refresh_from_db()
    assert guild.disbanded_at is None
    gone = client_for(member).post(disband, {"confirm": "on"})
    assert gone.status_code == 302 and gone["Location"] == reverse("guilds:browse")
    guild.refresh_from_db()
    assert guild.disbanded_at is not None and guild.member_count == 0


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_manage_journey_invite_role_transfer_and_disband_in_chromium(daphne_server):
    """Headless Chromium: the leader invites by name (a wrong name is refused under the field),
    the invited player accepts in a second context, gets a custom role, receives the
    leadership (confirmed) and disbands the guild (confirmed)."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.test_portal_login import CHROMIUM_ARGS
    from tests.players.test_browser import log_in
    from tests.portal.browser import record_console_errors, screenshot
    from tests.support.services import CHROMIUM

    alice = PlayerFactory(user__username="alice-m", display_name="Alice M")
    PlayerFactory(user__username="bob-m", display_name="Bob M")
    guild = make_guild(leader=alice, name="Manage Journey")
    manage = f"{daphne_server.url}{manage_url(guild)}"
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            alice_page = log_in(browser, daphne_server.url, "alice-m")
            record_console_errors(alice_page, console)
            alice_page.goto(manage)
            invite_form = alice_page.get_by_test_id("guild-invite-form")
            invite_form.get_by_label("Player name").fill("Nobody At All")
            invite_form.get_by_role("button", name="Send the invitation").click()
            expect(alice_page.locator("#invite_name_error")).to_have_text(
                "No player has this name."
            )
            invite_form = alice_page.get_by_test_id("guild-invite-form")
            invite_form.get_by_label("Player name").fill("bob m")
            invite_form.get_by_role("button", name="Send the invitation").click()
            expect(alice_page.get_by_test_id("guild-invites")).to_contain_text("Bob M")

            bob_page = log_in(browser, daphne_server.url, "bob-m")
            record_console_errors(bob_page, console)
            bob_page.goto(f"{daphne_server.url}/guilds/")
            bob_page.get_by_role("button", name="Accept").click()
            expect(bob_page.get_by_test_id("guild-members")).to_contain_text("Bob M")

            alice_page.goto(manage)
            role_form = alice_page.get_by_test_id("guild-role-form")
            role_form.get_by_label("Role name").fill("Scout")
            role_form.get_by_label("Rank").fill("20")
            role_form.get_by_label("Invite players").check()
            role_form.get_by_role("button", name="Create the role").click()
            expect(alice_page.get_by_test_id("guild-roles")).to_contain_text("Scout")
            alice_page.get_by_label("Role of Bob M").select_option(label="Scout")
            alice_page.get_by_role("button", name="Change role").click()
            expect(alice_page.get_by_test_id("guild-manage-members")).to_contain_text("Scout")

            transfer = alice_page.get_by_test_id("guild-transfer-form")
            transfer.get_by_label("New leader:").select_option(label="Bob M")
            transfer.get_by_label("I understand that I will become an officer").check()
            transfer.get_by_role("button", name="Transfer the leadership").click()
            expect(alice_page.get_by_text("You handed the leadership over.")).to_be_visible()
            expect(alice_page.get_by_test_id("guild-disband-form")).to_have_count(0)
            screenshot(alice_page, "guild-manage-after-transfer")

            bob_page.goto(manage)
            disband = bob_page.get_by_test_id("guild-disband-form")
            disband.get_by_label("I understand that disbanding").check()
            disband.get_by_role("button", name="Disband the guild").click()
            expect(bob_page.get_by_text("The guild was disbanded.")).to_be_visible()
        finally:
            browser.close()
    guild.refresh_from_db()
    assert guild.disbanded_at is not None
    assert console == []
