"""Order-sensitive effects keep the newest event by its ``time`` (then id), whatever the order
events arrive and are applied in (docs/events.md, "Ordering")."""

import threading

import pytest
from django.db import connection, transaction

from apps.game_events import registry
from apps.game_events.envelope import envelope_validate
from apps.game_events.handlers import player_progressed
from apps.game_events.models import Channel, InboxEvent
from apps.game_events.services import events_apply_pending, events_ingest
from apps.players.models import PlayerTitleStats
from apps.players.presence import presence_states
from apps.players.services import player_get_or_create_by_identity
from tests.game_events.events import cloud_event, player_ref

OLDER, NEWER = "2026-11-25T03:20:00Z", "2026-11-25T03:21:00Z"


def _progress(event_id: str, time: str, level: int, xp: int, rank: str = "") -> dict:
    data = {"player": player_ref("ada"), "level": level, "xp": xp, "rank": rank}
    return cloud_event("player.progressed", event_id=event_id, time=time, data=data)


OLD = _progress("p-old", OLDER, level=4, xp=1900, rank="silver")
NEW = _progress("p-new", NEWER, level=5, xp=2100, rank="gold")


def _ingest(*raw_events: dict) -> list[str]:
    events = [envelope_validate(raw) for raw in raw_events]
    return [o.status for o in events_ingest(events=events, channel=Channel.SERVICE_BUS)]


def _progress_of_ada(title) -> tuple[int | None, int | None, str]:  # type: ignore[no-untyped-def]
    stats = PlayerTitleStats.objects.get(title=title, player__identities__external_id="ext-ada")
    return stats.level, stats.xp, stats.rank


def _crashed_delivery(raw: dict) -> None:
    """The consumer dies after writing the inbox, before its commit: nothing of it is kept."""
    with pytest.raises(RuntimeError), transaction.atomic():
        _ingest(raw)
        raise RuntimeError("consumer killed")


def _newest_first(title_client) -> None:  # type: ignore[no-untyped-def]
    _ingest(NEW)
    events_apply_pending()
    _ingest(OLD)
    events_apply_pending()


def _newest_first_with_a_duplicate_between(title_client) -> None:  # type: ignore[no-untyped-def]
    _ingest(NEW)
    events_apply_pending()
    assert _ingest(NEW) == ["duplicate"]
    _ingest(OLD)
    events_apply_pending()


def _older_redelivered_after_a_crash(title_client) -> None:  # type: ignore[no-untyped-def]
    _crashed_delivery(OLD)
    _ingest(NEW)
    events_apply_pending()
    assert _ingest(OLD) == ["accepted"]  # the lock expired: Service Bus delivers it again
    events_apply_pending()


def _older_retried_over_http(title_client) -> None:  # type: ignore[no-untyped-def]
    # OLD's first request timed out on the way (never stored); the game server retries it
    # after sending NEW, and retries again when that answer is lost too.
    for event in (NEW, OLD, OLD):
        response = title_client.post("/api/v1/events", [event], format="json")
        assert response.status_code in (200, 202), response.content
        events_apply_pending()
    assert InboxEvent.objects.filter(event_id="p-old").count() == 1


def _both_in_one_batch_newest_first(title_client) -> None:  # type: ignore[no-untyped-def]
    _ingest(NEW, OLD)
    events_apply_pending()


@pytest.fixture(params=["bulk", "one_by_one"])
def path(request, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    """The applier's fast path (bulk forms) and the path that redoes a batch event by event."""
    if request.param == "one_by_one":
        monkeypatch.delitem(registry._batch_forms, player_progressed)
    return request.param


@pytest.mark.django_db
@pytest.mark.parametrize(
    "deliveries",
    [
        _newest_first,
        _newest_first_with_a_duplicate_between,
        _older_redelivered_after_a_crash,
        _older_retried_over_http,
        _both_in_one_batch_newest_first,
    ],
)
def test_level_and_xp_end_on_the_newest_event_by_time(title, title_client, deliveries, path):
    deliveries(title_client)

    assert _progress_of_ada(title) == (5, 2100, "gold")
    assert set(InboxEvent.objects.values_list("state", flat=True)) == {"applied"}


@pytest.mark.django_db
def test_same_time_progress_ties_break_on_the_event_id_in_any_arrival_order(title):
    first = _progress("tie-a", OLDER, level=7, xp=700)
    second = _progress("tie-b", OLDER, level=8, xp=800)
    _ingest(second)
    events_apply_pending()
    _ingest(first)
    events_apply_pending()

    assert _progress_of_ada(title)[:2] == (8, 800)


def _session(event_type: str, event_id: str, time: str, **data: object) -> dict:
    return cloud_event(
        event_type, event_id=event_id, time=time, data={"player": player_ref("ada"), **data}
    )


def _match(event_type: str, event_id: str, time: str) -> dict:
    entry: dict = {"player": player_ref("ada"), "team": "red"}
    data: dict = {"match_id": "m-1", "mode": "duel", "players": [entry]}
    if event_type == "match.completed":
        entry.update(outcome="win", score=10)
        data["duration_seconds"] = 300
    return cloud_event(event_type, event_id=event_id, time=time, data=data, subject="m-1")


def _status_of_ada(title) -> str:  # type: ignore[no-untyped-def]
    player = player_get_or_create_by_identity(provider="custom", external_id="ext-ada", title=title)
    return presence_states(players=[player])[player.id].status


@pytest.mark.django_db
def test_a_session_end_applied_before_its_older_start_leaves_the_player_out_of_the_game(title):
    _ingest(_session("player.session.ended", "s-end", NEWER, session_id="s1"))
    events_apply_pending()
    _ingest(_session("player.session.started", "s-start", OLDER, session_id="s1"))
    events_apply_pending()

    assert _status_of_ada(title) == "offline"


@pytest.mark.django_db
def test_a_match_end_applied_before_its_older_start_leaves_the_player_in_game(title):
    _ingest(_session("player.session.started", "s-start", "2026-11-25T03:19:00Z", session_id="s1"))
    events_apply_pending()
    _ingest(_match("match.completed", "m-end", NEWER))
    events_apply_pending()
    _ingest(_match("match.started", "m-start", OLDER))
    events_apply_pending()

    assert _status_of_ada(title) == "in_game"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_check_running_beside_the_applier_never_makes_an_older_event_win(
    title, apply_task_queued
):
    """The reproduction: a redelivered copy of the older event is being recorded (its
    transaction still open) while the applier runs on another connection."""
    assert _ingest(OLD, NEW) == ["accepted", "accepted"]
    recording, release = threading.Event(), threading.Event()
    outcome: list[list[str]] = []

    def redelivery() -> None:
        try:
            with transaction.atomic():
                outcome.append(_ingest(OLD))
                recording.set()
                release.wait(30)
        finally:
            recording.set()
            connection.close()

    thread = threading.Thread(target=redelivery)
    thread.start()
    try:
        assert recording.wait(30)
        claimed = events_apply_pending()  # while the duplicate check's transaction is open
    finally:
        release.set()
        thread.join(30)
    events_apply_pending()

    assert claimed == 2  # the duplicate check locks nothing the applier needs
    assert outcome == [["duplicate"]]
    assert _progress_of_ada(title) == (5, 2100, "gold")
    assert set(InboxEvent.objects.values_list("state", flat=True)) == {"applied"}
