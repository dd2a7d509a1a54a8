"""The applier's fast path applies ``player.progressed`` through players' bulk service: a
whole batch in a few queries, one bad event failed on its own, a replay changing nothing."""

import pytest

from apps.game_events.envelope import envelope_validate
from apps.game_events.models import Channel, InboxEvent
from apps.game_events.services import events_apply_pending, events_ingest
from apps.players.models import PlayerTitleStats
from tests.game_events.events import cloud_event

pytestmark = pytest.mark.django_db


def _progressed(event_id: str, external_id: str, level: int, minute: int) -> dict:
    data = {"player": {"provider": "custom", "external_id": external_id},
            "level": level, "xp": level * 10, "rank": f"r{level}"}  # fmt: skip
    return cloud_event(event_id=event_id, data=data, time=f"2026-11-25T03:{minute:02}:00Z")


def _ingest(events: list[dict]) -> None:
    validated = [envelope_validate(event) for event in events]
    events_ingest(events=validated, channel=Channel.HTTP)


def _levels() -> dict[str, tuple[int | None, int | None, str]]:
    rows = PlayerTitleStats.objects.values_list(
        "player__identities__external_id", "level", "xp", "rank"
    )
    return {external_id: (level, xp, rank) for external_id, level, xp, rank in rows}


def test_a_batch_sets_each_players_latest_progress_and_fails_only_the_bad_event(title):
    _ingest([
        _progressed("a1", "ann", 3, 1),
        _progressed("b1", "ben", 5, 2),
        _progressed("bad", "   ", 9, 3),  # passes the schema; players refuse the identity
        _progressed("a2", "ann", 4, 4),
    ])  # fmt: skip

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
