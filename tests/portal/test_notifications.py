"""Notifications as sentences with links, runs of match results grouped, mark-all-read."""

from django.test import Client

from apps.players.models import Notification
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory


def _page(player) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(player.user)
    return client.get("/players/notifications/").content.decode()


def _notify(player, kind: str, data: dict, actor=None) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(recipient=player, kind=kind, data=data, actor=actor)


def test_consecutive_match_results_of_one_game_are_one_line(db):
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    player = PlayerFactory()
    for outcome in ("win", "loss", "win"):
        _notify(player, "match_result", {"outcome": outcome, "title": "starfall-arena"})

    page = _page(player)

    assert page.count('data-testid="notification"') == 1
    assert "3 match results in Starfall Arena" in page
    assert "2 wins" in page
    assert (
        "match_result"
        not in page.split('data-testid="notification-list"')[1].split(
            'data-kind="match_result"', 1
        )[1]
    )


def test_a_mention_links_to_its_channel_and_a_friend_to_their_profile(db):
    player, friend = PlayerFactory(), PlayerFactory(display_name="Bruno")
    _notify(player, "mention", {"channel_id": 42, "message_id": 7, "seq": 3}, actor=friend)
    _notify(player, "friend_accepted", {}, actor=friend)

    page = _page(player)

    assert "<bdi>Bruno</bdi> mentioned you in chat." in page
    assert 'href="/chat/?channel=42&amp;seq=3" data-testid="mention-link"' in page
    assert f'href="/players/{friend.id}/"' in page
    assert page.count('data-testid="notification"') == 2


def test_mark_all_read_clears_the_unread_rows(db):
    player = PlayerFactory()
    _notify(player, "moderation", {})
    client = Client()
    client.force_login(player.user)

    assert 'class="unread"' in client.get("/players/notifications/").content.decode()
    client.post("/players/notifications/read-all/")

    assert 'class="unread"' not in client.get("/players/notifications/").content.decode()
    assert Notification.objects.filter(recipient=player, read_at__isnull=True).count() == 0


def test_content_notifications_link_to_the_item(db):
    player, commenter = PlayerFactory(), PlayerFactory(display_name="Mika")
    _notify(player, "ugc_comment", {"item_id": 5, "name": "Sunset", "comment_id": 9}, commenter)

    page = _page(player)

    assert "<bdi>Mika</bdi> commented on <bdi>Sunset</bdi>." in page
    assert 'href="/ugc/items/5/"' in page
