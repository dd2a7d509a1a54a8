"""Staff actions and moderation: reports name guilds; rename and disband are audited twice."""

import pytest
from rest_framework.test import APIClient

from apps.guilds.models import GuildAuditEntry
from apps.guilds.moderation import guild_staff_disband, guild_staff_rename
from apps.moderation.models import AuditEntry, TargetType
from apps.moderation.targets import target_kind
from tests.factories import UserFactory
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_a_guild_is_a_report_target_owned_by_its_leader():
    guild = make_guild(name="Rude Words")
    reporter = PlayerFactory()

    resolved = target_kind(TargetType.GUILD).resolve(str(guild.id), reporter)

    assert resolved.owner == guild.memberships.get(is_leader=True).player
    assert resolved.snapshot["guild"]["name"] == "Rude Words"


def test_staff_rename_and_disband_are_in_both_audit_logs():
    guild = make_guild(name="Rude Words", members=1)
    staff = UserFactory(is_staff=True)

    guild_staff_rename(staff=staff, guild=guild, name="Renamed Guild", tag="RN", reason="rude")
    guild_staff_disband(staff=staff, guild=guild, reason="repeated abuse")

    guild.refresh_from_db()
    assert (guild.name, guild.disbanded_at is not None) == ("Renamed Guild", True)
    assert list(
        AuditEntry.objects.filter(target_type="guild")
        .order_by("id")
        .values_list("action", "reason")
    ) == [("guild_renamed", "rude"), ("guild_disbanded", "repeated abuse")]
    assert GuildAuditEntry.objects.filter(guild=guild, action="disbanded").count() == 1
    former_member = guild.audit_entries.filter(action="joined").last()
    assert former_member is not None
    client = APIClient()
    client.force_authenticate(former_member.target.user)
    assert client.get("/api/v1/guilds/mine").json() == []
