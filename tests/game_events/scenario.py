"""One coherent game, published through Service Bus, checked through the REST API.

Used by the in-process consumer test and by the test where `celery -A community worker` runs
the consumer (bootstep) and applies the effects as tasks.
"""

from collections.abc import Callable
from typing import Any

from rest_framework.test import APIClient

from tests.game_events.events import cloud_event, linked_player

ALICE = {"provider": "steam", "external_id": "alice-1"}
BOB = {"provider": "xbox", "external_id": "bob-2"}
CAROL = {"provider": "epic", "external_id": "carol-3", "display_name": "Carol"}


def _at(minute: int) -> str:
    return f"2026-11-25T03:{minute:02d}:00Z"


def first_half() -> list[dict[str, Any]]:
    return [
        cloud_event("player.session.started", time=_at(1),
                    data={"player": ALICE, "session_id": "s-1"}),
        cloud_event("match.started", time=_at(2), data={
            "match_id": "m-1", "mode": "duel",
            "players": [{"player": ALICE, "team": "red"}, {"player": BOB, "team": "blue"},
                        {"player": CAROL, "team": "blue"}]}),
    ]  # fmt: skip


def second_half() -> list[dict[str, Any]]:
    return [
        cloud_event("match.completed", time=_at(20), data={
            "match_id": "m-1", "mode": "duel", "duration_seconds": 1080,
            "players": [
                {"player": ALICE, "team": "red", "outcome": "win", "score": 10,
                 "counters": {"kills": 5}},
                {"player": BOB, "team": "blue", "outcome": "loss", "score": 4,
                 "counters": {"kills": 2}},
                {"player": CAROL, "team": "blue", "outcome": "loss", "score": 1}]}),
        cloud_event("achievement.unlocked", time=_at(21), data={
            "player": ALICE, "key": "first-win", "name": "First Win",
            "unlocked_at": _at(21)}),
        cloud_event("player.progressed", time=_at(22),
                    data={"player": ALICE, "level": 7, "xp": 700, "rank": "gold"}),
        cloud_event("announcement.posted", time=_at(23),
                    data={"body": "Season 4 starts tonight!", "locale": "en"}),
        cloud_event("player.session.ended", time=_at(24),
                    data={"player": ALICE, "session_id": "s-1"}),
        cloud_event("player.sanctioned", time=_at(25), data={
            "player": CAROL, "sanction_id": "ban-1", "kind": "suspension"}),
    ]  # fmt: skip


def players(title: Any) -> tuple[Any, Any]:
    alice = linked_player(username="alice", title=title, **ALICE)
    bob = linked_player(username="bob", title=title, **BOB)
    return alice, bob


def as_player(player: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def check_first_half(alice: Any, wait_until: Callable) -> None:
    client = as_player(alice)

    def in_match() -> Any:
        presence = client.get(f"/api/v1/players/{alice.id}").json()["presence"]
        return presence["status"] == "in_match" and presence

    presence = wait_until(in_match, what="alice in match")
    assert (presence["title"], presence["match_id"]) == ("starfall-arena", "m-1")
    channels = client.get("/api/v1/chat/channels").json()
    match = [c for c in channels if c["kind"] == "match"]
    assert [(c["title"], c["is_closed"]) for c in match] == [("starfall-arena", False)]


def check_second_half(alice: Any, bob: Any, wait_until: Callable) -> None:
    client = as_player(alice)

    def offline_profile() -> Any:
        body = client.get(f"/api/v1/players/{alice.id}").json()
        return body["presence"]["status"] == "offline" and body

    profile = wait_until(offline_profile, timeout=60, what="alice's session ended")
    assert profile["stats"] == [{
        "title": "starfall-arena", "title_name": "Starfall Arena", "matches_played": 1,
        "matches_won": 1, "playtime_seconds": 1080, "played_seconds": 23 * 60,  # 03:01 → 03:24
        "level": 7, "xp": 700, "rank": "gold",
        "counters": {"kills": 5, "score": 10}}]  # fmt: skip
    bob_stats = as_player(bob).get(f"/api/v1/players/{bob.id}").json()["stats"]
    assert [(s["matches_played"], s["matches_won"], s["counters"]) for s in bob_stats] == [
        (1, 0, {"kills": 2, "score": 4})
    ]
    notifications = client.get("/api/v1/notifications").json()["results"]
    from_events = [n["kind"] for n in notifications if n["kind"] != "identity_claimed"]
    assert sorted(from_events) == ["achievement", "match_result"]
    activity = client.get(f"/api/v1/players/{alice.id}/activity").json()["results"]
    assert sorted(a["kind"] for a in activity) == ["achievement_unlocked", "match_completed"]
    channels = client.get("/api/v1/chat/channels").json()
    assert [c["is_closed"] for c in channels if c["kind"] == "match"] == [True]
