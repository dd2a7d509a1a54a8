"""Races on real PostgreSQL: each call on its own connection, released together."""

from datetime import timedelta

import pytest

from apps.guilds.exceptions import GuildFull, NotMember, NotPermitted
from apps.guilds.membership import guild_invite_respond, guild_join, guild_member_kick
from apps.guilds.models import Guild, GuildInvite, GuildMembership
from apps.guilds.services import guild_leader_transfer
from apps.players.models import Player
from tests.guilds.factories import make_guild
from tests.players.concurrency import run_concurrently
from tests.players.factories import PlayerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_players_racing_for_the_last_seat_exactly_one_joins():
    guild = make_guild(capacity=3, members=1)
    players = [PlayerFactory() for _ in range(6)]

    results, errors = run_concurrently(
        *[lambda p=player: guild_join(player=p, guild=guild) for player in players]
    )

    guild.refresh_from_db()
    assert len(results) == 1
    assert [type(error) for error in errors] == [GuildFull] * 5
    assert guild.member_count == 3
    assert GuildMembership.objects.filter(guild=guild).count() == 3


def test_two_concurrent_leadership_transfers_leave_one_leader():
    guild = make_guild(members=2)
    leader = GuildMembership.objects.get(guild=guild, is_leader=True).player
    first, second = [m.player for m in GuildMembership.objects.filter(guild=guild, is_leader=False)]

    results, errors = run_concurrently(
        lambda: guild_leader_transfer(actor=leader, guild=guild, new_leader=first),
        lambda: guild_leader_transfer(actor=leader, guild=guild, new_leader=second),
    )

    leaders = list(GuildMembership.objects.filter(guild=guild, is_leader=True))
    assert len(results) == 1
    assert [type(error) for error in errors] == [NotPermitted]
    assert len(leaders) == 1
    assert leaders[0].player_id in (first.id, second.id)
    assert GuildMembership.objects.filter(guild=guild).count() == 3


def test_accepting_an_invite_while_being_kicked_ends_outside_the_guild_or_kicked():
    for _round in range(4):
        guild = make_guild(members=1)
        leader = GuildMembership.objects.get(guild=guild, is_leader=True).player
        invited = PlayerFactory()
        invite = GuildInvite.objects.create(
            guild=guild,
            player=invited,
            inviter=leader,
            expires_at=guild.created_at + timedelta(days=1),
        )

        def kick(g: Guild = guild, actor: Player = leader, target: Player = invited) -> None:
            # The kick may run before the accept (nothing to kick: not_member) or after it.
            guild_member_kick(actor=actor, guild=g, target=target)

        _results, errors = run_concurrently(
            lambda i=invite, p=invited: guild_invite_respond(player=p, invite=i, accept=True),
            kick,
        )

        guild.refresh_from_db()
        is_member = GuildMembership.objects.filter(guild=guild, player=invited).exists()
        assert all(isinstance(error, NotMember) for error in errors)
        if errors:  # the kick came first and found no member; the accept then joined
            assert is_member
        else:  # the accept joined, then the kick removed them
            assert not is_member
        assert guild.member_count == GuildMembership.objects.filter(guild=guild).count()
        assert not GuildInvite.objects.filter(guild=guild, player=invited).exists()
