"""Guild stats and feed from match events through the real ingest → apply path."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.game_events.envelope import envelope_validate
from apps.game_events.models import Channel
from apps.game_events.registry import HandledEvent
from apps.game_events.services import events_apply_pending, events_ingest
from apps.guilds.membership import guild_join
from apps.guilds.models import GuildMembership, GuildStats
from apps.guilds.services import guild_create
from apps.guilds.stats import guild_match_stats_many
from tests.factories import TitleFactory
from tests.game_events.events import cloud_event, linked_player

pytestmark = pytest.mark.django_db


def match(event_id: str, at: str, results: dict[str, str]) -> dict:
    players = [
        {"player": {"provider": "custom", "external_id": f"ext-{name}"}, "outcome": outcome}
        for name, outcome in results.items()
    ]
    data = {"match_id": event_id, "mode": "duel", "duration_seconds": 60, "players": players}
    return cloud_event("match.completed", data=data, event_id=event_id, time=at)


def ingest(*events: dict) -> None:
    events_ingest(events=[envelope_validate(e) for e in events], channel=Channel.HTTP)


def joined(player, guild, at: str) -> None:  # type: ignore[no-untyped-def]
    when = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC)
    GuildMembership.objects.filter(player=player, guild=guild).update(joined_at=when)


def test_stats_count_members_matches_only_while_members_once_per_guild():
    title = TitleFactory(slug="starfall-arena")
    ann, ben, cid, dee = (
        linked_player(username=name, title=title, provider="custom", external_id=f"ext-{name}")
        for name in ("ann", "ben", "cid", "dee")
    )
    guild = guild_create(founder=ann, title=title, name="Red Team", tag="RED")
    other = guild_create(founder=cid, title=title, name="Blue Team", tag="BLU")
    for player in (ben, dee):
        guild_join(player=player, guild=guild)
    joined(ann, guild, "2026-01-01T00:00:00Z")
    joined(ben, guild, "2026-01-01T00:00:00Z")
    joined(cid, other, "2026-01-01T00:00:00Z")
    joined(dee, guild, "2026-11-25T04:00:00Z")  # after the first match
    first = match("m1", "2026-11-25T03:00:00Z",
                  {"ann": "loss", "ben": "loss", "cid": "loss", "dee": "win"})  # fmt: skip
    second = match("m2", "2026-11-25T05:00:00Z", {"ann": "loss", "dee": "win", "cid": "loss"})

    ingest(first, second)
    ingest(first)  # a duplicate delivery
    assert events_apply_pending() == 2

    client = APIClient()
    client.force_authenticate(ann.user)
    stats = client.get(f"/api/v1/guilds/{guild.id}/stats").json()
    assert [(r["season"], r["matches_played"], r["matches_won"]) for r in stats] == [
        ("", 2, 1),
        ("2026-h2", 2, 1),
    ]
    other_stats = client.get(f"/api/v1/guilds/{other.id}/stats").json()
    assert [(r["matches_played"], r["matches_won"]) for r in other_stats] == [(2, 0), (2, 0)]
    board = client.get("/api/v1/guilds/leaderboard", {"title": "starfall-arena"}).json()
    assert [row["guild"]["id"] for row in board] == [guild.id, other.id]
    feed = client.get(f"/api/v1/guilds/{guild.id}/feed").json()["results"]
    assert [(e["kind"], e["player"]["id"]) for e in feed if e["kind"] == "match_won"] == [
        ("match_won", dee.id)
    ]


def test_a_match_of_ten_members_is_one_write_per_guild_and_season():
    title = TitleFactory(slug="starfall-arena")
    players = [
        linked_player(
            username=f"player{n}", title=title, provider="custom", external_id=f"ext-p{n}"
        )
        for n in range(10)
    ]
    guild = guild_create(founder=players[0], title=title, name="Big Team", tag="BIG")
    for player in players[1:]:
        guild_join(player=player, guild=guild)
    GuildMembership.objects.update(joined_at=datetime(2026, 1, 1, tzinfo=UTC))
    results = {f"p{n}": "win" if n % 2 else "loss" for n in range(10)}
    event = envelope_validate(match("m1", "2026-11-25T03:00:00Z", results))
    handled = HandledEvent(
        id=event.id, source=event.source, type=event.type, version=1, time=event.time,
        subject="", data=event.data, title=title,
    )  # fmt: skip

    guild_match_stats_many([handled])  # the rows exist from here on
    with CaptureQueriesContext(connection) as queries:
        guild_match_stats_many([handled, handled])

    writes = [
        q["sql"] for q in queries.captured_queries
        if "guilds_guildstats" in q["sql"] and q["sql"].startswith(("UPDATE", "INSERT"))
    ]  # fmt: skip
    assert len(writes) == 2  # all time and the season, for twenty member results
    stats = sorted(GuildStats.objects.values_list("season", "matches_played", "matches_won"))
    assert stats == [("", 3, 3), ("2026-h2", 3, 3)]
