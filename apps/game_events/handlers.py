"""Effects of the event types handled now. Each calls the owning app's services only.

Players are resolved by linked game identity; an identity nobody claimed yet becomes a shadow
player (players' ``player_get_or_create_by_identity``). Guilds, moderation and UGC register
their own handlers for ``match.completed``, ``player.sanctioned``, ``player.unsanctioned`` and
``ugc.published`` (registry.py); until then those types are recorded as ``ignored``.
"""

from typing import Any

from apps.game_events.registry import HandledEvent, event_handler


def _players():
    from apps.players import services

    return services


def _chat():
    from apps.chat import services

    return services


def _player(event: HandledEvent, ref: dict[str, Any]) -> Any:
    return _players().player_get_or_create_by_identity(
        provider=ref["provider"],
        external_id=ref["external_id"],
        title=event.title,
        display_name_hint=ref.get("display_name"),
    )


@event_handler("player.session.started")
def session_started(event: HandledEvent) -> None:
    player = _player(event, event.data["player"])
    _players().presence_game_session_start(
        player=player, title=event.title, session_id=event.data["session_id"]
    )


@event_handler("player.session.ended")
def session_ended(event: HandledEvent) -> None:
    player = _player(event, event.data["player"])
    _players().presence_game_session_end(
        player=player, title=event.title, session_id=event.data["session_id"]
    )


@event_handler("match.started")
def match_started(event: HandledEvent) -> None:
    players = [_player(event, entry["player"]) for entry in event.data["players"]]
    match_id = event.data["match_id"]
    _chat().match_channel_open(
        title=event.title, match_id=match_id, player_ids=[player.id for player in players]
    )
    for player in players:
        _players().presence_match_set(player=player, title=event.title, match_id=match_id)


def _match_summary(event: HandledEvent, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "match_id": event.data["match_id"],
        "mode": event.data["mode"],
        "outcome": entry["outcome"],
        "score": entry.get("score"),
        "team": entry.get("team"),
        "duration_seconds": event.data["duration_seconds"],
        "title": event.title.slug,
    }


@event_handler("match.completed")
def match_completed(event: HandledEvent) -> None:
    players = _players()
    for entry in event.data["players"]:
        player = _player(event, entry["player"])
        counters = dict(entry.get("counters") or {})
        if entry.get("score") is not None:
            counters["score"] = entry["score"]
        players.player_match_record(
            player=player,
            title=event.title,
            won=entry["outcome"] == "win",
            duration_seconds=event.data["duration_seconds"],
            counters=counters,
        )
        summary = _match_summary(event, entry)
        players.activity_record(
            player=player, kind="match.completed", data=summary, title=event.title
        )
        players.notification_create(recipient=player, kind="match.completed", data=summary)
        players.presence_match_set(player=player, title=event.title, match_id=None)
    _chat().match_channel_close(title=event.title, match_id=event.data["match_id"])


@event_handler("achievement.unlocked")
def achievement_unlocked(event: HandledEvent) -> None:
    players = _players()
    player = _player(event, event.data["player"])
    data = event.data
    is_new = players.achievement_unlock(
        player=player,
        title=event.title,
        key=data["key"],
        name=data["name"],
        unlocked_at=_datetime(data["unlocked_at"]),
    )
    if not is_new:
        return
    summary = {"key": data["key"], "name": data["name"], "title": event.title.slug}
    players.activity_record(
        player=player, kind="achievement.unlocked", data=summary, title=event.title
    )
    players.notification_create(recipient=player, kind="achievement.unlocked", data=summary)


@event_handler("player.progressed")
def player_progressed(event: HandledEvent) -> None:
    player = _player(event, event.data["player"])
    _players().player_progress_update(
        player=player,
        title=event.title,
        level=event.data["level"],
        xp=event.data["xp"],
        rank=event.data.get("rank", ""),
    )


@event_handler("announcement.posted")
def announcement_posted(event: HandledEvent) -> None:
    _chat().announcement_post(
        title=event.title, body=event.data["body"], locale=event.data.get("locale")
    )


def _datetime(text: str) -> Any:
    from django.utils.dateparse import parse_datetime

    return parse_datetime(text)
