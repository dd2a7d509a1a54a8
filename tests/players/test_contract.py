"""The services and selectors other apps call (game events, chat, guilds): their contract."""

from datetime import UTC, datetime

import pytest

from apps.common.exceptions import NotFound
from apps.players import selectors, services
from apps.players.friends import block_create, friend_request_send
from apps.players.models import (
    Achievement,
    ActivityEntry,
    Notification,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
    Privacy,
)
from tests.factories import TitleFactory, UserFactory
from tests.players.concurrency import run_concurrently
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_player_get_for_user_returns_the_player_and_raises_not_found_without_one():
    player = PlayerFactory()

    assert selectors.player_get_for_user(user=player.user) == player
    with pytest.raises(NotFound):
        selectors.player_get_for_user(user=UserFactory())


def test_player_register_creates_the_login_and_the_player_together():
    player = services.player_register(
        username="sonic",
        email="Sonic@Example.test",
        password="a-long-passphrase",
        display_name="\uff33\uff4f\uff4e\uff49\uff43",
    )

    assert player.user.username == "sonic"
    assert player.user.email == "sonic@example.test"
    assert player.display_name == "Sonic"


def test_player_register_with_a_rejected_name_creates_no_login():
    with pytest.raises(services.InvalidInput) as error:
        services.player_register(
            username="sonic",
            email="s@example.test",
            password="a-long-passphrase",
            display_name="So\u200bnic",
        )

    assert error.value.code == "name_control_characters"
    assert Player.objects.count() == 0
    from apps.accounts.models import User

    assert User.objects.filter(username="sonic").count() == 0


def test_unknown_identity_creates_one_shadow_player_and_is_found_again():
    title = TitleFactory()

    first = services.player_get_or_create_by_identity(
        provider="steam", external_id="7656119", title=title, display_name_hint="Kaiju Fan"
    )
    second = services.player_get_or_create_by_identity(provider="steam", external_id="7656119")

    assert first == second
    assert first.is_shadow is True
    assert first.display_name == "Kaiju Fan"
    assert PlayerIdentity.objects.get().is_verified is True


def test_shadow_player_with_a_taken_or_invalid_hint_gets_a_generated_name():
    PlayerFactory(display_name="Kaiju Fan")

    taken = services.player_get_or_create_by_identity(
        provider="xbox", external_id="1", display_name_hint="kaiju fan"
    )
    invalid = services.player_get_or_create_by_identity(
        provider="xbox", external_id="2", display_name_hint="\u202eevil"
    )

    assert taken.display_name.startswith("Player-")
    assert invalid.display_name.startswith("Player-")


def test_unknown_provider_is_rejected():
    with pytest.raises(services.InvalidInput) as error:
        services.player_get_or_create_by_identity(provider="myspace", external_id="1")

    assert error.value.code == "unknown_provider"
    assert Player.objects.count() == 0


def test_notification_create_stores_it_unless_opted_out_or_blocked():
    recipient, actor, blocked = PlayerFactory(), PlayerFactory(), PlayerFactory()
    block_create(blocker=recipient, blocked=blocked)

    stored = services.notification_create(
        recipient=recipient, kind="mention", data={"channel": 1}, actor=actor
    )
    from_blocked = services.notification_create(
        recipient=recipient, kind="mention", data={}, actor=blocked
    )
    services.player_notification_preferences_set(player=recipient, opted_out=["mention"])
    opted_out = services.notification_create(recipient=recipient, kind="mention", data={})

    assert stored is not None
    assert from_blocked is None
    assert opted_out is None
    assert list(Notification.objects.values_list("id", flat=True)) == [stored.id]


def test_match_record_adds_up_stats_and_counters():
    player, title = PlayerFactory(), TitleFactory()

    services.player_match_record(
        player=player, title=title, won=True, duration_seconds=300, counters={"kills": 3}
    )
    services.player_match_record(
        player=player,
        title=title,
        won=False,
        duration_seconds=200,
        counters={"kills": 2, "deaths": 1},
    )
    services.player_progress_update(player=player, title=title, level=7, xp=1200, rank=None)

    stats = PlayerTitleStats.objects.get(player=player, title=title)
    assert (stats.matches_played, stats.matches_won, stats.playtime_seconds) == (2, 1, 500)
    assert stats.counters == {"kills": 5, "deaths": 1}
    assert (stats.level, stats.xp, stats.rank) == (7, 1200, "")


def test_match_record_rejects_non_integer_counters_and_changes_nothing():
    player, title = PlayerFactory(), TitleFactory()

    with pytest.raises(services.InvalidInput) as error:
        services.player_match_record(
            player=player, title=title, won=True, duration_seconds=1, counters={"kills": "many"}
        )

    assert error.value.code == "invalid_counters"
    assert PlayerTitleStats.objects.count() == 0


def test_achievement_unlocks_once_with_activity_and_notification():
    player, title = PlayerFactory(), TitleFactory()
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)

    first = services.achievement_unlock(
        player=player, title=title, key="first-blood", name="First Blood", unlocked_at=when
    )
    again = services.achievement_unlock(
        player=player, title=title, key="first-blood", name="First Blood", unlocked_at=when
    )

    assert (first, again) == (True, False)
    assert Achievement.objects.get().unlocked_at == when
    assert list(ActivityEntry.objects.values_list("kind", flat=True)) == ["achievement_unlocked"]
    assert list(Notification.objects.values_list("kind", flat=True)) == ["achievement"]


def test_block_and_friend_selectors():
    alice, bob, carol = PlayerFactory(), PlayerFactory(), PlayerFactory()
    friend_request_send(sender=alice, recipient=bob)
    friend_request_send(sender=bob, recipient=alice)
    block_create(blocker=carol, blocked=alice)

    assert selectors.are_friends(player_id=alice.id, other_player_id=bob.id) is True
    assert selectors.block_exists_between(player_id=alice.id, other_player_id=carol.id) is True
    assert selectors.blocked_player_ids(player_id=alice.id) == {carol.id}
    assert selectors.blocked_player_ids(player_id=carol.id) == {alice.id}


@pytest.mark.parametrize(
    ("privacy", "is_friend", "expected"),
    [
        (Privacy.PUBLIC, False, True),
        (Privacy.FRIENDS, False, False),
        (Privacy.FRIENDS, True, True),
        (Privacy.PRIVATE, True, False),
    ],
)
def test_can_direct_message_follows_recipient_privacy(privacy, is_friend, expected):
    sender, recipient = PlayerFactory(), PlayerFactory(privacy=privacy)
    if is_friend:
        friend_request_send(sender=sender, recipient=recipient)
        friend_request_send(sender=recipient, recipient=sender)

    assert selectors.can_direct_message(sender=sender, recipient=recipient) is expected


def test_can_direct_message_is_false_when_blocked_either_way():
    sender, recipient = PlayerFactory(), PlayerFactory()
    block_create(blocker=recipient, blocked=sender)

    assert selectors.can_direct_message(sender=sender, recipient=recipient) is False
    assert selectors.can_direct_message(sender=recipient, recipient=sender) is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sightings_of_an_identity_make_one_shadow_player():
    def resolve() -> Player:
        return services.player_get_or_create_by_identity(
            provider="epic", external_id="race-1", display_name_hint="Racer"
        )

    results, errors = run_concurrently(resolve, resolve, resolve, resolve)

    assert errors == []
    assert len({player.id for player in results}) == 1
    assert PlayerIdentity.objects.filter(external_id="race-1").count() == 1
    assert Player.objects.count() == 1
