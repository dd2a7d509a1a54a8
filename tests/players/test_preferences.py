"""A signed-in player's language and time zone: precedence, persistence and rendering."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from apps.players.models import ActivityEntry, Player
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

ACTIVITY_AT = datetime(2026, 12, 5, 12, 7, tzinfo=UTC)


def _page_language(response) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def _client_for(player: Player) -> Client:
    client = Client()
    client.force_login(player.user)
    return client


def test_a_visitor_gets_the_browser_language_and_the_cookie_wins_over_it():
    visitor = Client(HTTP_ACCEPT_LANGUAGE="ja")
    assert _page_language(visitor.get("/")) == "ja"

    visitor.cookies["django_language"] = "en"
    assert _page_language(visitor.get("/")) == "en"


def test_the_players_own_language_wins_over_cookie_and_browser():
    player = PlayerFactory(locale="ja")
    client = _client_for(player)
    client.cookies["django_language"] = "en"

    response = client.get("/players/me/", HTTP_ACCEPT_LANGUAGE="en")

    assert _page_language(response) == "ja"
    assert response.headers["Content-Language"] == "ja"


def test_the_language_menu_keeps_a_players_choice_on_their_profile():
    player = PlayerFactory(locale="en")

    _client_for(player).post("/i18n/setlang/", {"language": "ja", "next": "/"})

    player.refresh_from_db()
    assert player.locale == "ja"
    # Another device, no cookie, an English browser: the profile's choice follows them.
    other_device = _client_for(player)
    assert _page_language(other_device.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "ja"


def test_the_language_menu_refuses_an_unknown_language_and_changes_nothing():
    player = PlayerFactory(locale="en")

    _client_for(player).post("/i18n/setlang/", {"language": "xx", "next": "/"})

    player.refresh_from_db()
    assert player.locale == "en"


def test_each_viewer_sees_the_same_moment_in_their_own_time_zone():
    author = PlayerFactory(display_name="Author")
    entry = ActivityEntry.objects.create(
        player=author, kind="match_completed", data={"outcome": "win"}
    )
    ActivityEntry.objects.filter(id=entry.id).update(created_at=ACTIVITY_AT)
    tokyo = PlayerFactory(time_zone="Asia/Tokyo")
    new_york = PlayerFactory(time_zone="America/New_York")

    as_tokyo = _client_for(tokyo).get(f"/players/{author.id}/").content.decode()
    as_new_york = _client_for(new_york).get(f"/players/{author.id}/").content.decode()

    # The full local time is the <time>'s title (the text itself is relative within a day).
    assert 'title="Dec. 5, 2026, 9:07 p.m."' in as_tokyo  # UTC+9
    assert 'title="Dec. 5, 2026, 7:07 a.m."' in as_new_york  # UTC-5
    assert "12:07 p.m." not in as_tokyo + as_new_york
    assert as_tokyo.count('datetime="2026-12-05T12:07:00Z"') == 1


def test_the_time_zone_setting_is_a_list_of_iana_zones():
    player = PlayerFactory(time_zone="UTC")
    client = _client_for(player)

    page = client.get("/players/me/").content.decode()
    assert '<option value="Asia/Tokyo"' in page

    refused = client.post(
        "/players/me/",
        {"display_name": player.display_name, "locale": "en", "time_zone": "Mars/Olympus"},
    )
    assert refused.status_code == 200
    player.refresh_from_db()
    assert player.time_zone == "UTC"
