"""Guilds made through the service, so roles and the leader are what production makes."""

import itertools

from apps.guilds.membership import guild_join
from apps.guilds.models import Guild, JoinPolicy
from apps.guilds.services import guild_create
from apps.players.models import Player
from apps.titles.models import Title
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory

_numbers = itertools.count(1)


def make_guild(
    *,
    leader: Player | None = None,
    title: Title | None = None,
    members: int = 0,
    join_policy: str = JoinPolicy.OPEN,
    capacity: int | None = None,
    name: str | None = None,
) -> Guild:
    number = next(_numbers)
    guild = guild_create(
        founder=leader or PlayerFactory(),
        title=title or TitleFactory(),
        name=name or f"Guild Number {number}",
        tag=f"G{number}",
        join_policy=JoinPolicy.OPEN,
        capacity=capacity,
    )
    for _index in range(members):
        guild_join(player=PlayerFactory(), guild=guild)
    if join_policy != JoinPolicy.OPEN:
        Guild.objects.filter(id=guild.id).update(join_policy=join_policy)
        guild.refresh_from_db()
    return guild
