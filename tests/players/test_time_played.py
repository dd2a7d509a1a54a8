"""Time played per title comes from game sessions: start to end by the events' times, an open
session up to now, an end that arrives before its start counted once the start is known, and
the profile shows it per title in the viewer's language (docs/players.md, "Time played")."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.game_events.envelope import envelope_validate
from apps.game_events.models import Channel
from apps.game_events.services import events_apply_pending, events_ingest
from apps.players.models import PlayerIdentity, PlayerTitleStats
from apps.players.presence import presence_sweep
from tests.factories import TitleFactory
from tests.game_events.events import cloud_event
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

ADA = {"provider": "custom", "external_id": "ext-ada", "display_name": "ada"}


def _session(kind: str, session_id: str, time: datetime, slug: str = "starfall-arena") -> dict:
    data = {"player": ADA, "session_id": session_id}
    if kind == "ended":
        data["duration_seconds"] = 600  # the game's own figure; the events' times decide
    return cloud_event(
        f"player.session.{kind}",
        data=data,
        slug=slug,
        time=time.isoformat().replace("+00:00", "Z"),
    )


def _apply(*raw_events: dict) -> None:
    events = [envelope_validate(raw) for raw in raw_events]
    events_ingest(events=events, channel=Channel.SERVICE_BUS)
    events_apply_pending()


@pytest.fixture
def ada():  # type: ignore[no-untyped-def]
    arena = TitleFactory(slug="starfall-arena", name="Starfall Arena")
    TitleFactory(slug="tiny-racers", name="Tiny Racers")
    player = PlayerFactory(display_name="ada")
    PlayerIdentity.objects.create(
        player=player, provider="custom", external_id="ext-ada", title=arena, is_verified=True
    )
    return player  # one identity serves every title


DAY = datetime(2026, 11, 25, tzinfo=UTC)


def _fixed_dataset() -> None:
    """Starfall Arena: 1 h 30 min ended, 40 min whose end came first, 30 min open now;
    Tiny Racers: 20 min ended."""
    now = datetime.now(UTC)
    _apply(
        _session("started", "s1", DAY.replace(hour=10)),
        _session("ended", "s1", DAY.replace(hour=11, minute=30)),
        _session("ended", "s2", DAY.replace(hour=12, minute=40)),
    )
    _apply(_session("started", "s2", DAY.replace(hour=12)))  # late: after its end
    _apply(_session("started", "s2", DAY.replace(hour=12)))  # a repeat of it counts nothing
    _apply(_session("started", "s3", now - timedelta(minutes=30)))
    _apply(
        _session("started", "r1", DAY.replace(hour=9), slug="tiny-racers"),
        _session("ended", "r1", DAY.replace(hour=9, minute=20), slug="tiny-racers"),
    )


def _profile_page(viewer, player) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(viewer.user)
    response = client.get(reverse("players:profile", args=[player.id]))
    assert response.status_code == 200
    return response.content.decode()


def test_time_played_per_title_from_sessions_in_the_viewers_language(ada):
    _fixed_dataset()
    english = PlayerFactory(locale="en")
    japanese = PlayerFactory(locale="ja")

    in_english = _profile_page(english, ada)
    in_japanese = _profile_page(japanese, ada)

    # 1:30 + 0:40 + 0:30 (open, up to now) = 2 h 40 min
    assert "<td>2.7 hours</td>" in in_english
    assert "<td>20 minutes</td>" in in_english
    assert "<td>2.7 時間</td>" in in_japanese
    assert "<td>20 分</td>" in in_japanese


def test_the_api_gives_seconds_played_and_an_open_session_counts_up_to_now(ada):
    _fixed_dataset()
    client = APIClient()
    client.force_authenticate(PlayerFactory().user)

    body = client.get(f"/api/v1/players/{ada.id}").json()

    played = {row["title"]: row["played_seconds"] for row in body["stats"]}
    assert played["tiny-racers"] == 20 * 60
    ended = (90 + 40) * 60
    assert ended + 30 * 60 <= played["starfall-arena"] < ended + 40 * 60
    assert (
        PlayerTitleStats.objects.get(player=ada, title__slug="starfall-arena").session_seconds
        == ended
    )


def test_a_session_the_game_never_ended_counts_up_to_its_last_sign_of_life(ada, settings):
    _apply(_session("started", "lost", datetime.now(UTC) - timedelta(minutes=50)))
    settings.PLAYERS_GAME_SESSION_TTL_SECONDS = 0

    presence_sweep()

    stats = PlayerTitleStats.objects.get(player=ada, title__slug="starfall-arena")
    assert 50 * 60 <= stats.session_seconds < 60 * 60
    assert not ada.game_sessions.exists()
