"""Demo history: one finished Starfall Arena match between Alice and 大輔, and a lobby
announcement, ingested like any title's events. Idempotent by construction: the event ids are
fixed, so a second seed finds them in the inbox and changes nothing."""

from apps.game_events.models import Channel
from apps.game_events.selectors import inbox_known_ids
from apps.game_events.services import events_submit
from apps.titles.models import Title

TITLE = "starfall-arena"
ALICE = {"provider": "steam", "external_id": "76561198000000101"}
DAISUKE = {"provider": "playstation", "external_id": "psn-daisuke-103"}


def _event(event_id: str, event_type: str, time: str, data: dict) -> dict:
    return {"specversion": "1.0", "id": event_id, "source": f"/titles/{TITLE}",
            "type": event_type, "time": time, "data": data}  # fmt: skip


def demo_events() -> list[dict]:
    players = [{"player": ALICE, "team": "red"}, {"player": DAISUKE, "team": "blue"}]
    results = [
        {"player": ALICE, "team": "red", "outcome": "win", "score": 2150,
         "counters": {"kills": 19}},
        {"player": DAISUKE, "team": "blue", "outcome": "loss", "score": 1720,
         "counters": {"kills": 14}},
    ]  # fmt: skip
    return [
        _event("demo-seed-match-1-started", "match.started", "2026-01-10T12:00:00Z",
               {"match_id": "demo-1", "mode": "duel", "players": players}),
        _event("demo-seed-match-1-completed", "match.completed", "2026-01-10T12:18:00Z",
               {"match_id": "demo-1", "mode": "duel", "duration_seconds": 1080,
                "players": results}),
        _event("demo-seed-announcement-1", "announcement.posted", "2026-01-10T12:30:00Z",
               {"body": "Welcome to Starfall Arena season 1!", "locale": "en"}),
    ]  # fmt: skip


def seed() -> list[str]:
    title = Title.objects.filter(slug=TITLE, is_active=True).first()
    if title is None:
        return []
    events = demo_events()
    known = inbox_known_ids(source=f"/titles/{TITLE}", event_ids=[e["id"] for e in events])
    # Skipping known ids (rather than resubmitting them as duplicates) keeps a second seed
    # from touching anything, metrics included.
    fresh = [event for event in events if event["id"] not in known]
    if fresh:
        events_submit(raw_events=fresh, caller=title, channel=Channel.IN_PROCESS)
    return [f"Game events: {len(fresh)} demo events ingested ({len(known)} already there)"]
