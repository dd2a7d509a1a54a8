"""Guild stats and feed from live games: game-event handlers (registered on import, from
GuildsConfig.ready) and the leaderboard (docs/guilds.md, docs/events.md).

``match.completed``: a guild plays a match when at least one member played it while a member
(the event's time is not before their ``joined_at``), and wins it when one of those members
won. Counts go to the all-time row and the season row of (guild, event title); the bulk form
adds a whole batch with one write per (guild, title, season), however many members played.
Duplicated events never reach the handlers (the inbox keeps one row per event id).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet

from apps.game_events.registry import HandledEvent, event_handler
from apps.guilds.models import FeedKind, GuildFeedEntry, GuildMembership, GuildStats
from apps.players.services import players_by_identities

ALL_TIME = ""


def seasons_of(moment: datetime) -> list[str]:
    """``""`` (all time) and the key of each configured season ``moment`` falls in."""
    day = moment.date()
    keys = [ALL_TIME]
    for season in settings.GUILD_SEASONS:
        if date.fromisoformat(season["starts"]) <= day <= date.fromisoformat(season["ends"]):
            keys.append(season["key"])
    return keys


@dataclass(frozen=True)
class _Member:
    guild_id: int
    joined_at: datetime


def _refs(events: Iterable[HandledEvent], *, many: bool) -> set[tuple[str, str]]:
    refs = set()
    for event in events:
        entries = event.data["players"] if many else [event.data]
        for entry in entries:
            refs.add((entry["player"]["provider"], entry["player"]["external_id"]))
    return refs


def _members_by_ref(
    events: list[HandledEvent], *, many: bool
) -> dict[tuple[str, str], tuple[int, list[_Member]]]:
    """Each named identity of a guild member → (player id, memberships): two queries."""
    players = players_by_identities(refs=list(_refs(events, many=many)))
    if not players:
        return {}
    memberships: dict[int, list[_Member]] = defaultdict(list)
    rows = GuildMembership.objects.filter(
        player_id__in=[player.id for player in players.values()], guild__disbanded_at=None
    ).values_list("player_id", "guild_id", "joined_at")
    for player_id, guild_id, joined_at in rows:
        memberships[player_id].append(_Member(guild_id, joined_at))
    return {
        ref: (player.id, memberships[player.id])
        for ref, player in players.items()
        if player.id in memberships
    }


def _stats_add(deltas: dict[tuple[int, int, str], list[int]]) -> None:
    """One write per (guild, title, season): an update, or an insert when the row is new."""
    for (guild_id, title_id, season), (played, won) in deltas.items():
        rows = GuildStats.objects.filter(guild_id=guild_id, title_id=title_id, season=season)
        changes = {"matches_played": F("matches_played") + played,
                   "matches_won": F("matches_won") + won}  # fmt: skip
        if rows.update(**changes):
            continue
        try:
            with transaction.atomic():
                GuildStats.objects.create(
                    guild_id=guild_id, title_id=title_id, season=season,
                    matches_played=played, matches_won=won,
                )  # fmt: skip
        except IntegrityError:  # created concurrently: add to it
            rows.update(**changes)


def guild_match_stats_many(events: list[HandledEvent]) -> dict[int, Exception]:
    """Bulk form of ``guild_match_stats``."""
    members = _members_by_ref(events, many=True)
    deltas: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    feed: list[GuildFeedEntry] = []
    for event in events:
        winners: dict[int, list[int]] = defaultdict(list)
        played: set[int] = set()
        for entry in event.data["players"]:
            ref = (entry["player"]["provider"], entry["player"]["external_id"])
            player_id, memberships = members.get(ref, (0, []))
            for member in memberships:
                if member.joined_at <= event.time:
                    played.add(member.guild_id)
                    if entry["outcome"] == "win":
                        winners[member.guild_id].append(player_id)
        for guild_id in played:
            for season in seasons_of(event.time):
                delta = deltas[(guild_id, event.title.id, season)]
                delta[0] += 1
                delta[1] += guild_id in winners
        feed.extend(
            GuildFeedEntry(
                guild_id=guild_id,
                kind=FeedKind.MATCH_WON,
                player_id=player_ids[0],
                data={
                    "match_id": event.data["match_id"],
                    "mode": event.data["mode"],
                    "title": event.title.slug,
                    "player_ids": player_ids,
                },
            )
            for guild_id, player_ids in winners.items()
        )
    _stats_add(deltas)
    GuildFeedEntry.objects.bulk_create(feed)
    return {}


@event_handler("match.completed", batch=guild_match_stats_many)
def guild_match_stats(event: HandledEvent) -> None:
    guild_match_stats_many([event])


def guild_achievements_many(events: list[HandledEvent]) -> dict[int, Exception]:
    """Bulk form of ``guild_achievement``: a feed entry in each guild of the player."""
    members = _members_by_ref(events, many=False)
    feed = []
    for event in events:
        ref = (event.data["player"]["provider"], event.data["player"]["external_id"])
        player_id, memberships = members.get(ref, (0, []))
        for member in memberships:
            if member.joined_at <= event.time:
                feed.append(
                    GuildFeedEntry(
                        guild_id=member.guild_id,
                        kind=FeedKind.ACHIEVEMENT,
                        player_id=player_id,
                        data={
                            "key": event.data["key"],
                            "name": event.data["name"],
                            "title": event.title.slug,
                        },
                    )
                )
    GuildFeedEntry.objects.bulk_create(feed)
    return {}


@event_handler("achievement.unlocked", batch=guild_achievements_many)
def guild_achievement(event: HandledEvent) -> None:
    guild_achievements_many([event])


def feed_record(*, guild_id: int, kind: str, player_id: int | None, data: Any = None) -> None:
    GuildFeedEntry.objects.create(
        guild_id=guild_id, kind=kind, player_id=player_id, data=data or {}
    )


def guild_leaderboard(*, title_id: int, season: str = ALL_TIME) -> QuerySet[GuildStats]:
    """Live guilds of ``title`` ranked by wins, then matches, in ``season``."""
    return (
        GuildStats.objects.filter(title_id=title_id, season=season, guild__disbanded_at=None)
        .select_related("guild")
        .order_by("-matches_won", "-matches_played", "guild_id")
    )
