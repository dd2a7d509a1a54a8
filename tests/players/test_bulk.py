from datetime import UTC, datetime

import pytest

from apps.players.bulk import (
    AchievementUnlock,
    MatchResult,
    ProgressChange,
    achievements_unlock_many,
    stats_matches_record_many,
    stats_progress_set_many,
)
from apps.players.models import (
    Achievement,
    ActivityEntry,
    Notification,
    NotificationKind,
    PlayerTitleStats,
)
from apps.players.services import player_match_record
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def _stats(player, title) -> PlayerTitleStats:  # type: ignore[no-untyped-def]
    return PlayerTitleStats.objects.get(player=player, title=title)


def _progress(title, *players) -> dict:  # type: ignore[no-untyped-def]
    rows = PlayerTitleStats.objects.filter(title=title, player__in=players)
    return {row.player_id: (row.level, row.xp, row.rank) for row in rows}


def test_match_results_are_summed_per_player_like_one_at_a_time():
    title = TitleFactory()
    alice, bob = PlayerFactory(), PlayerFactory()
    player_match_record(player=alice, title=title, won=True, duration_seconds=10,
                        counters={"kills": 1})  # fmt: skip

    refused = stats_matches_record_many(
        title=title,
        results=[
            MatchResult(player=alice, won=True, duration_seconds=100, counters={"kills": 3}),
            MatchResult(player=bob, won=False, duration_seconds=50, counters={"laps": 2}),
            MatchResult(player=alice, won=False, duration_seconds=-5, counters={"deaths": 1}),
        ],
    )

    assert refused == {}
    a, b = _stats(alice, title), _stats(bob, title)
    assert (a.matches_played, a.matches_won, a.playtime_seconds) == (3, 2, 110)
    assert a.counters == {"kills": 4, "deaths": 1}
    assert (b.matches_played, b.matches_won, b.playtime_seconds) == (1, 0, 50)
    assert b.counters == {"laps": 2}


def test_a_result_with_bad_counters_is_refused_and_the_others_are_added():
    title = TitleFactory()
    alice, bob = PlayerFactory(), PlayerFactory()

    refused = stats_matches_record_many(
        title=title,
        results=[
            MatchResult(player=alice, won=True, duration_seconds=30, counters={"kills": "many"}),
            MatchResult(player=bob, won=True, duration_seconds=30, counters={"kills": 2}),
            MatchResult(player=alice, won=False, duration_seconds=20),
        ],
    )

    assert list(refused) == [0]
    assert refused[0].code == "invalid_counters"
    a, b = _stats(alice, title), _stats(bob, title)
    assert (a.matches_played, a.matches_won, a.playtime_seconds, a.counters) == (1, 0, 20, {})
    assert (b.matches_played, b.matches_won, b.counters) == (1, 1, {"kills": 2})


def test_progress_keeps_the_last_change_per_player_and_reapplying_changes_nothing():
    title = TitleFactory()
    alice, bob = PlayerFactory(), PlayerFactory()
    changes = [
        ProgressChange(player=alice, level=3, xp=300, rank="silver"),
        ProgressChange(player=bob, level=1, xp=10, rank=None),
        ProgressChange(player=alice, level=4, xp=None, rank="gold"),
        ProgressChange(player=bob, level=-1, xp=5, rank="x"),
    ]

    refused = stats_progress_set_many(title=title, changes=changes)
    first = _progress(title, alice, bob)
    again = stats_progress_set_many(title=title, changes=changes)

    assert list(refused) == [3]
    assert refused[3].code == "invalid_progress"
    assert first == {alice.id: (4, 300, "gold"), bob.id: (1, 10, "")}
    assert list(again) == [3]
    assert _progress(title, alice, bob) == first
    assert PlayerTitleStats.objects.filter(title=title).count() == 2


def test_achievements_unlock_once_with_one_feed_entry_and_notification_each():
    title = TitleFactory()
    alice, bob = PlayerFactory(), PlayerFactory()
    unlocks = [
        AchievementUnlock(player=alice, key="first-blood", name="First blood", unlocked_at=WHEN),
        AchievementUnlock(player=alice, key="first-blood", name="First blood", unlocked_at=WHEN),
        AchievementUnlock(player=bob, key="first-blood", name="First blood", unlocked_at=WHEN),
        AchievementUnlock(player=bob, key="marathon", name="Marathon", unlocked_at=WHEN),
    ]

    assert achievements_unlock_many(title=title, unlocks=unlocks) == 3
    assert achievements_unlock_many(title=title, unlocks=unlocks) == 0

    assert sorted(Achievement.objects.values_list("player_id", "key")) == sorted(
        [(alice.id, "first-blood"), (bob.id, "first-blood"), (bob.id, "marathon")]
    )
    assert ActivityEntry.objects.filter(kind="achievement_unlocked").count() == 3
    notified = Notification.objects.filter(kind=NotificationKind.ACHIEVEMENT)
    assert sorted(notified.values_list("recipient_id", "data__key")) == sorted(
        [(alice.id, "first-blood"), (bob.id, "first-blood"), (bob.id, "marathon")]
    )


def test_an_opted_out_player_unlocks_without_a_notification():
    title = TitleFactory()
    quiet = PlayerFactory(notification_opt_outs=[NotificationKind.ACHIEVEMENT])

    unlocked = achievements_unlock_many(
        title=title,
        unlocks=[AchievementUnlock(player=quiet, key="k", name="K", unlocked_at=WHEN)],
    )

    assert unlocked == 1
    assert Achievement.objects.filter(player=quiet).count() == 1
    assert not Notification.objects.filter(recipient=quiet).exists()


def test_bulk_services_take_few_queries_for_many_players(django_assert_max_num_queries):
    title = TitleFactory()
    players = [PlayerFactory(user=None) for _ in range(40)]
    results = [MatchResult(player=p, won=True, duration_seconds=60) for p in players * 3]

    # Each: savepoint, insert missing stats rows, lock them, one update, release.
    with django_assert_max_num_queries(10):
        stats_matches_record_many(title=title, results=results)
        stats_progress_set_many(
            title=title, changes=[ProgressChange(player=p, level=2, xp=5, rank="") for p in players]
        )

    assert {s.matches_played for s in PlayerTitleStats.objects.filter(title=title)} == {3}
