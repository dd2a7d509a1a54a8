"""seed_demo's guilds: a few per demo title with the demo players, made once."""

import pytest

from apps.accounts import demo as accounts_demo
from apps.guilds import demo
from apps.guilds.models import Guild, GuildMembership
from apps.players import demo as players_demo
from apps.titles import demo as titles_demo

pytestmark = pytest.mark.django_db


def test_demo_guilds_have_members_in_each_demo_title_and_are_made_once():
    accounts_demo.seed()
    titles_demo.seed()
    players_demo.seed()

    demo.seed()
    demo.seed()

    guilds = Guild.objects.all()
    assert guilds.count() == 6
    assert {guild.title.slug for guild in guilds} == {
        "starfall-arena", "kaiju-kingdoms", "tiny-racers",
    }  # fmt: skip
    assert GuildMembership.objects.filter(player__user__username="alice").count() == 3
    assert all(guild.member_count == guild.memberships.count() for guild in guilds)
