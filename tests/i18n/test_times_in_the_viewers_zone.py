"""The same stored (UTC) time shows in each viewer's zone and language: relative within a day
("3分前"), else Django's short date format of the language; the UTC instant stays in
``<time datetime>``."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.players.models import Notification
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

STORED = datetime(2026, 12, 1, 3, 7, tzinfo=UTC)


def _notifications_page_of(player) -> str:
    client = Client()
    client.force_login(player.user)
    response = client.get(reverse("players:notifications"))
    assert response.status_code == 200
    return response.content.decode()


def _notified(player, *, at: datetime) -> None:
    notification = Notification.objects.create(recipient=player, kind="moderation")
    Notification.objects.filter(id=notification.id).update(created_at=at)


def test_one_stored_time_in_two_zones_and_languages():
    tokyo = PlayerFactory(locale="ja", time_zone="Asia/Tokyo")
    new_york = PlayerFactory(locale="en", time_zone="America/New_York")
    for player in (tokyo, new_york):
        _notified(player, at=STORED)

    in_tokyo = _notifications_page_of(tokyo)
    in_new_york = _notifications_page_of(new_york)

    assert '<time datetime="2026-12-01T03:07:00Z"' in in_tokyo
    assert '<time datetime="2026-12-01T03:07:00Z"' in in_new_york
    assert ">2026/12/01 12:07</time>" in in_tokyo
    assert ">11/30/2026 10:07 p.m.</time>" in in_new_york


def test_recent_times_are_relative_in_the_viewers_language():
    japanese = PlayerFactory(locale="ja", time_zone="Asia/Tokyo")
    english = PlayerFactory(locale="en", time_zone="Europe/London")
    for player in (japanese, english):
        _notified(player, at=timezone.now() - timedelta(minutes=3, seconds=5))

    assert ">3分前</time>" in _notifications_page_of(japanese)
    assert ">3\xa0minutes ago</time>" in _notifications_page_of(english)


def test_a_sanctions_end_on_my_sanctions_is_in_the_viewers_zone():
    from apps.moderation.sanctions import sanction_issue

    until = datetime(2027, 1, 15, 3, 7, tzinfo=UTC)
    pages = {}
    for zone, locale in (("Asia/Tokyo", "ja"), ("America/New_York", "en")):
        player = PlayerFactory(locale=locale, time_zone=zone)
        sanction_issue(player=player, kind="chat_mute", expires_at=until)
        client = Client()
        client.force_login(player.user)
        pages[zone] = client.get(reverse("moderation:my-sanctions")).content.decode()

    for page in pages.values():
        assert '<time datetime="2027-01-15T03:07:00Z"' in page
    assert ">2027/01/15 12:07</time>" in pages["Asia/Tokyo"]
    assert ">01/14/2027 10:07 p.m.</time>" in pages["America/New_York"]
