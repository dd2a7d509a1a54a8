"""The applier's fast path applies ``player.progressed``, match stats and achievements through
players' bulk services: a whole batch in a few queries, one bad event failed on its own (a
match as a whole), a replay changing nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.game_events.envelope import envelope_validate, rfc3339_parse
from apps.game_events.models import Channel, InboxEvent, InboxState
from apps.game_events.services import events_apply_pending, events_ingest
from apps.players.models import Achievement, ActivityEntry, PlayerTitleStats
from apps.titles.models import Title
from tests.game_events.events import cloud_event

pytestmark = pytest.mark.django_db


def _progressed(event_id: str, external_id: str, level: int, minute: int) -> dict:
    data = {"player": {"provider": "custom", "external_id": external_id},
            "level": level, "xp": level * 10, "rank": f"r{level}"}  # fmt: skip
    return cloud_event(event_id=event_id, data=data, time=f"2026-11-25T03:{minute:02}:00Z")


def _ingest(events: list[dict]) -> None:
    validated = [envelope_validate(event) for event in events]
    events_ingest(events=validated, channel=Channel.HTTP)


def _recorded_unchecked(event: dict) -> None:
    """An event recorded before the catalog refused a blank account id on arrival (a row
    from an older version, or a gap in the schema): the applier must still fail it alone."""
    InboxEvent.objects.create(
        source=event["source"],
        event_id=event["id"],
        title=Title.objects.get(slug="starfall-arena"),
        event_type=event["type"],
        occurred_at=rfc3339_parse(event["time"]),
        channel=Channel.HTTP,
        state=InboxState.RECEIVED,
        payload=event,
    )


def _levels() -> dict[str, tuple[int | None, int | None, str]]:
    rows = PlayerTitleStats.objects.values_list(
        "player__identities__external_id", "level", "xp", "rank"
    )
    return {external_id: (level, xp, rank) for external_id, level, xp, rank in rows}


def test_a_batch_sets_each_players_latest_progress_and_fails_only_the_bad_event(title):
    _ingest([_progressed("a1", "ann", 3, 1), _progressed("b1", "ben", 5, 2)])
    _recorded_unchecked(_progressed("bad", "   ", 9, 3))  # players refuse the identity
    _ingest([_progressed("a2", "ann", 4, 4)])

    assert events_apply_pending() == 4

    states = dict(InboxEvent.objects.values_list("event_id", "state"))
    assert states == {"a1": "applied", "b1": "applied", "a2": "applied", "bad": "failed"}
    bad = InboxEvent.objects.get(event_id="bad")
    assert bad.reason == "handler_error"
    assert bad.detail.startswith("InvalidInput: ")
    assert _levels() == {"ann": (4, 40, "r4"), "ben": (5, 50, "r5")}


def test_many_players_progress_in_a_few_queries(title, django_assert_max_num_queries):
    _ingest([_progressed(f"w{i}", f"p{i}", 1, 0) for i in range(60)])
    events_apply_pending()  # creates the 60 shadow players and their stats rows
    _ingest([_progressed(f"e{i}", f"p{i % 60}", 2 + i // 60, 1 + i // 60) for i in range(180)])

    # Not one per event: claim, prefetch, bulk stats, inbox update, metrics and the like.
    with django_assert_max_num_queries(20):
        assert events_apply_pending() == 180

    assert set(_levels().values()) == {(4, 40, "r4")}
    assert set(InboxEvent.objects.values_list("state", flat=True)) == {"applied"}


def test_applying_the_same_events_again_changes_nothing(title):
    events = [_progressed("x1", "ann", 7, 1), _progressed("x2", "ben", 2, 2)]
    _ingest(events)
    events_apply_pending()
    before = _levels()

    _ingest(events)
    assert events_apply_pending() == 0
    assert _levels() == before == {"ann": (7, 70, "r7"), "ben": (2, 20, "r2")}
    assert InboxEvent.objects.count() == 2


def _ref(external_id: str) -> dict:
    return {"provider": "custom", "external_id": external_id}


def _match(event_id: str, minute: int, *results: tuple[str, str, int]) -> dict:
    data = {"match_id": f"m-{event_id}", "mode": "ranked", "duration_seconds": 600,
            "players": [{"player": _ref(name), "outcome": outcome, "score": score,
                         "counters": {"kills": score // 100}}
                        for name, outcome, score in results]}  # fmt: skip
    return cloud_event("match.completed", event_id=event_id, data=data,
                       time=f"2026-11-25T04:{minute:02}:00Z")  # fmt: skip


def _stats() -> dict[str, tuple]:
    rows = PlayerTitleStats.objects.values_list(
        "player__identities__external_id", "matches_played", "matches_won", "playtime_seconds",
        "counters",
    )  # fmt: skip
    return {row[0]: row[1:] for row in rows}


def test_match_results_are_added_in_bulk_and_a_bad_match_fails_whole(title):
    _ingest([_match("w", 0, ("ann", "win", 0), ("ben", "loss", 0))])
    events_apply_pending()  # the shadow players and their stats rows exist from here on
    _ingest([
        _match("m1", 1, ("ann", "win", 1000), ("ben", "loss", 500)),
        _match("m2", 2, ("ann", "loss", 200), ("ben", "win", 900)),
        _match("m3", 3, ("ann", "draw", 300), ("ben", "draw", 300)),
    ])  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        assert events_apply_pending() == 3

    # The stats of all six results: create-missing, lock and update, not a few per result
    # (feed entries, notifications and presence still go one result at a time).
    stats_queries = [q for q in queries if "players_playertitlestats" in q["sql"]]
    assert len(stats_queries) == 3, [q["sql"][:80] for q in stats_queries]

    assert _stats() == {
        "ann": (4, 2, 2400, {"kills": 15, "score": 1500}),
        "ben": (4, 1, 2400, {"kills": 17, "score": 1700}),
    }

    # One result names an identity players refuse: the whole match fails, the others of the
    # batch apply, and nobody's stats carry half of the failed match.
    _ingest([_match("m4", 4, ("ann", "win", 100), ("ben", "loss", 100))])
    _recorded_unchecked(_match("bad", 5, ("ann", "win", 100), ("   ", "loss", 100)))
    assert events_apply_pending() == 2

    states = dict(
        InboxEvent.objects.filter(event_id__in=["m4", "bad"]).values_list("event_id", "state")
    )
    assert states == {"m4": "applied", "bad": "failed"}
    assert _stats() == {
        "ann": (5, 3, 3000, {"kills": 16, "score": 1600}),
        "ben": (5, 1, 3000, {"kills": 18, "score": 1800}),
    }


def _unlock(event_id: str, external_id: str, key: str, minute: int) -> dict:
    data = {"player": _ref(external_id), "key": key, "name": key.title(),
            "unlocked_at": f"2026-11-25T05:{minute:02}:00+09:00"}  # fmt: skip
    return cloud_event("achievement.unlocked", event_id=event_id, data=data,
                       time=f"2026-11-25T05:{minute:02}:00Z")  # fmt: skip


def test_achievements_unlock_in_bulk_once_each_with_their_feed_entries(title):
    _ingest([
        _unlock("a1", "ann", "first-blood", 1),
        _unlock("a2", "ben", "first-blood", 2),
        _unlock("a3", "ann", "first-blood", 3),  # a repeat: unlocked once
        _unlock("a4", "ann", "ace", 4),
    ])  # fmt: skip
    _recorded_unchecked(_unlock("bad", "   ", "ace", 5))

    assert events_apply_pending() == 5

    states = dict(InboxEvent.objects.values_list("event_id", "state"))
    assert states == {"a1": "applied", "a2": "applied", "a3": "applied", "a4": "applied",
                      "bad": "failed"}  # fmt: skip
    unlocked = Achievement.objects.values_list(
        "player__identities__external_id", "key", "unlocked_at"
    )
    assert sorted((name, key, at.isoformat()) for name, key, at in unlocked) == [
        ("ann", "ace", "2026-11-24T20:04:00+00:00"),
        ("ann", "first-blood", "2026-11-24T20:01:00+00:00"),
        ("ben", "first-blood", "2026-11-24T20:02:00+00:00"),
    ]
    feed = ActivityEntry.objects.filter(kind="achievement_unlocked")
    assert sorted(feed.values_list("player__identities__external_id", "data__key")) == [
        ("ann", "ace"), ("ann", "first-blood"), ("ben", "first-blood"),
    ]  # fmt: skip

    _ingest([_unlock("a5", "ben", "first-blood", 6)])  # already unlocked: nothing new
    assert events_apply_pending() == 1
    assert Achievement.objects.count() == 3 and feed.count() == 3
