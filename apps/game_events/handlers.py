"""Effects of the event types handled now. Each calls the owning app's services only.

Players are resolved by linked game identity; an identity nobody claimed yet becomes a shadow
player (players' ``player_get_or_create_by_identity``). Guilds, moderation and UGC register
their own handlers for ``match.completed``, ``player.sanctioned``, ``player.unsanctioned`` and
``ugc.published`` (registry.py); until then those types are recorded as ``ignored``.
"""

from datetime import datetime
from types import ModuleType
from typing import Any

from apps.common.exceptions import ApplicationError
from apps.game_events.envelope import rfc3339_parse
from apps.game_events.exceptions import EventRefused
from apps.game_events.registry import HandledEvent, batch_preparer, event_handler

# Players' ActivityKind.MATCH_COMPLETED; the notification kind a player may opt out of.
MATCH_ACTIVITY_KIND = "match_completed"
MATCH_NOTIFICATION_KIND = "match_result"


def _players() -> ModuleType:
    from apps.players import services

    return services


def _chat() -> ModuleType:
    from apps.chat import services

    return services


def _chat_channels() -> ModuleType:
    from apps.chat import match_channels

    return match_channels


def _memo_key(ref: dict[str, Any], title_id: int) -> str:
    # Per title: a title whose events first name an identity in this batch is recorded as
    # using it by ``player_get_or_create_by_identity``, even if another title's event came first.
    return f"player:{title_id}:{ref['provider']}:{ref['external_id']}"


def _player_refs(event: HandledEvent) -> list[dict[str, Any]]:
    """The identity references an event of a type handled here names."""
    data = event.data
    if isinstance(data.get("player"), dict):
        return [data["player"]]
    entries = data.get("players")
    if isinstance(entries, list):
        return [e["player"] for e in entries if isinstance(e, dict) and "player" in e]
    return []


@batch_preparer
def players_prefetch(events: list[HandledEvent]) -> None:
    """Every known player the batch names, in one query (unknown identities are created one
    by one by ``_player``, as shadow players)."""
    refs: dict[tuple[str, str], dict[str, Any]] = {}
    # The titles whose events name each identity: recorded as using it (claim codes and chat
    # tokens are minted only for identities a title created or used).
    title_ids: dict[tuple[str, str], set[int]] = {}
    for event in events:
        for ref in _player_refs(event):
            if isinstance(ref.get("provider"), str) and isinstance(ref.get("external_id"), str):
                key = (ref["provider"], ref["external_id"])
                refs[key] = ref
                title_ids.setdefault(key, set()).add(event.title.id)
    if not refs or not events:
        return
    found = _players().players_by_identities(refs=list(refs), title_ids=title_ids)
    memo = events[0].memo
    for key, player in found.items():
        for title_id in title_ids[key]:
            memo[_memo_key(refs[key], title_id)] = player


def _player(event: HandledEvent, ref: dict[str, Any]) -> Any:
    """The player of a game identity, memoized for the applier's transaction (a batch often
    names the same players many times; ``players_prefetch`` loads the known ones at once)."""
    key = _memo_key(ref, event.title.id)
    if key not in event.memo:
        event.memo[key] = _players().player_get_or_create_by_identity(
            provider=ref["provider"],
            external_id=ref["external_id"],
            title=event.title,
            display_name_hint=ref.get("display_name"),
        )
    return event.memo[key]


class _RedoOneByOne(Exception):
    """A bulk form met an item it cannot refuse on its own: the applier rolls the attempt back
    and finds the event by halving, then applies it alone, so it fails as a whole."""


def presence_many(events: list[HandledEvent]) -> dict[int, Exception]:
    """Bulk form of ``presence``: the batch's session and match starts and ends, in order,
    folded over the players' sessions in a few queries (players' ``presence_changes_apply``).
    A match is all or nothing: a refused player fails the attempt (the applier then finds the
    event and applies it alone)."""
    from apps.players import presence_events as bulk

    changes = []
    for event in events:
        data = event.data
        try:
            if event.type.startswith("player.session."):
                players = [_player(event, data["player"])]
            else:
                players = [_player(event, entry["player"]) for entry in data["players"]]
        except ApplicationError as error:
            raise _RedoOneByOne() from error
        kind = {"player.session.started": bulk.SESSION_START,
                "player.session.ended": bulk.SESSION_END}.get(event.type, bulk.MATCH)  # fmt: skip
        match_id = data["match_id"] if event.type == "match.started" else None
        changes.append(
            bulk.PresenceChange(
                kind=kind,
                players=players,
                title=event.title,
                at=event.time,
                event_id=event.id,
                session_id=data.get("session_id", ""),
                match_id=match_id,
            )
        )
    bulk.presence_changes_apply(changes=changes)
    return {}


@event_handler("player.session.started", batch=presence_many)
@event_handler("player.session.ended", batch=presence_many)
@event_handler("match.started", batch=presence_many)
@event_handler("match.completed", batch=presence_many)
def presence(event: HandledEvent) -> None:
    """In game from a session's start to its end, in a match from its start to its end; the
    newest event by (time, id) decides each session, whatever the arrival order."""
    presence_many([event])


def match_channels_many(events: list[HandledEvent]) -> dict[int, Exception]:
    """Bulk form of ``match_channel``: the batch's match starts and ends, in order, open and
    close their chat channels in a few queries for the whole batch (chat's
    ``match_channels_apply``); a match's start and end in one batch open, then close."""
    chat = _chat_channels()
    changes = []
    for event in events:
        players = None
        if event.type == "match.started":
            try:
                players = [_player(event, entry["player"]) for entry in event.data["players"]]
            except ApplicationError as error:  # a match is all or nothing
                raise _RedoOneByOne() from error
        changes.append(
            chat.MatchChannelChange(
                title=event.title, match_id=event.data["match_id"], players=players
            )
        )
    chat.match_channels_apply(changes=changes)
    return {}


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


def _match_counters(entry: dict[str, Any]) -> dict[str, Any]:
    counters = dict(entry.get("counters") or {})
    if entry.get("score") is not None:
        counters["score"] = entry["score"]
    return counters


def _by_title(events: list[HandledEvent]) -> dict[int, list[int]]:
    """Indexes of ``events`` per title, in order (bulk services work on one title)."""
    grouped: dict[int, list[int]] = {}
    for index, event in enumerate(events):
        grouped.setdefault(event.title.id, []).append(index)
    return grouped


def match_stats_many(events: list[HandledEvent]) -> dict[int, Exception]:
    """Bulk form of ``match_stats``: every result of the batch added by players'
    ``stats_matches_record_many``. A match is all or nothing, so one refused result (bad
    counters, an identity players refuse) sends the batch down the one-by-one path."""
    from apps.players import bulk

    for indexes in _by_title(events).values():
        results = []
        for index in indexes:
            event = events[index]
            for entry in event.data["players"]:
                try:
                    player = _player(event, entry["player"])
                except ApplicationError as error:
                    raise _RedoOneByOne() from error
                results.append(
                    bulk.MatchResult(
                        player=player,
                        won=entry["outcome"] == "win",
                        duration_seconds=event.data["duration_seconds"],
                        counters=_match_counters(entry),
                    )
                )
        if bulk.stats_matches_record_many(title=events[indexes[0]].title, results=results):
            raise _RedoOneByOne()
    return {}


@event_handler("match.completed", batch=match_stats_many)
def match_stats(event: HandledEvent) -> None:
    players = _players()
    for entry in event.data["players"]:
        players.player_match_record(
            player=_player(event, entry["player"]),
            title=event.title,
            won=entry["outcome"] == "win",
            duration_seconds=event.data["duration_seconds"],
            counters=_match_counters(entry),
        )


def match_feed_many(events: list[HandledEvent]) -> dict[int, Exception]:
    """Bulk form of ``match_feed``: every result's feed entry and notification in a few
    queries for the whole batch (players' ``announcements_record_many``)."""
    from apps.players import bulk

    items = []
    for event in events:
        for entry in event.data["players"]:
            try:
                player = _player(event, entry["player"])
            except ApplicationError as error:  # a match is all or nothing
                raise _RedoOneByOne() from error
            items.append(
                bulk.Announcement(
                    player=player, title=event.title, data=_match_summary(event, entry)
                )
            )
    bulk.announcements_record_many(
        activity_kind=MATCH_ACTIVITY_KIND, notification_kind=MATCH_NOTIFICATION_KIND, items=items
    )
    return {}


@event_handler("match.completed", batch=match_feed_many)
def match_feed(event: HandledEvent) -> None:
    """A match's feed entries (``match_completed``) and notifications (``match_result``)."""
    match_feed_many([event])


@event_handler("match.started", batch=match_channels_many)
@event_handler("match.completed", batch=match_channels_many)
def match_channel(event: HandledEvent) -> None:
    """A match's chat channel: opened with its players at the start, closed at the end."""
    match_channels_many([event])


def achievements_unlocked_many(events: list[HandledEvent]) -> dict[int, Exception]:
    """Bulk form of ``achievement_unlocked`` (players' ``achievements_unlock_many``): new
    unlocks in one insert per title, each still once per (player, title, key)."""
    from apps.players import bulk

    refused: dict[int, Exception] = {}
    for indexes in _by_title(events).values():
        unlocks = []
        for index in indexes:
            event = events[index]
            try:
                player = _player(event, event.data["player"])
            except ApplicationError as error:  # e.g. an identity players refuse
                refused[index] = error
                continue
            unlocks.append(
                bulk.AchievementUnlock(
                    player=player,
                    key=event.data["key"],
                    name=event.data["name"],
                    unlocked_at=_unlocked_at(event),
                )
            )
        bulk.achievements_unlock_many(title=events[indexes[0]].title, unlocks=unlocks)
    return refused


def _unlocked_at(event: HandledEvent) -> datetime:
    parsed = rfc3339_parse(event.data["unlocked_at"])  # the schema checked the format
    assert parsed is not None
    return parsed


@event_handler("achievement.unlocked", batch=achievements_unlocked_many)
def achievement_unlocked(event: HandledEvent) -> None:
    """Players' ``achievement_unlock`` records the feed entry and notification of a new
    unlock itself, once per (player, title, key)."""
    player = _player(event, event.data["player"])
    _players().achievement_unlock(
        player=player,
        title=event.title,
        key=event.data["key"],
        name=event.data["name"],
        unlocked_at=_unlocked_at(event),
    )


def _player_key(event: HandledEvent) -> str:
    ref = event.data["player"]
    return f"{ref['provider']}:{ref['external_id']}"


def player_progressed_many(events: list[HandledEvent]) -> dict[int, Exception]:
    """Bulk form of ``player_progressed``: per title, the newest event of each player (by time,
    then id) sets level/xp/rank unless the stored values come from a newer one, all in a few
    queries (players' ``stats_progress_set_many``)."""
    from apps.players import bulk

    newest: dict[tuple[int, str], int] = {}
    for index, event in enumerate(events):
        key = (event.title.id, _player_key(event))
        if key not in newest or _order_key(event) > _order_key(events[newest[key]]):
            newest[key] = index
    by_title: dict[int, list[int]] = {}
    for (title_id, _key), index in sorted(newest.items(), key=lambda item: item[1]):
        by_title.setdefault(title_id, []).append(index)
    refused: dict[int, Exception] = {}
    for indexes in by_title.values():
        changes, positions = [], []
        for index in indexes:
            event = events[index]
            try:
                player = _player(event, event.data["player"])
            except ApplicationError as error:  # e.g. an identity players refuse
                refused[index] = error
                continue
            changes.append(_progress_change(bulk, player, event))
            positions.append(index)
        errors = bulk.stats_progress_set_many(title=events[indexes[0]].title, changes=changes)
        refused.update({positions[position]: error for position, error in errors.items()})
    return refused


def _order_key(event: HandledEvent) -> tuple[datetime, str]:
    return (event.time, event.id)


def _progress_change(bulk: ModuleType, player: Any, event: HandledEvent) -> Any:
    data = event.data
    return bulk.ProgressChange(
        player=player, level=data["level"], xp=data["xp"], rank=data.get("rank", ""),
        at=event.time, event_id=event.id,
    )  # fmt: skip


# Level, xp and rank are set, not added: the newest event per player (by time, then id)
# decides them, whatever order the events arrive in.
@event_handler("player.progressed", coalesce_key=_player_key, batch=player_progressed_many)
def player_progressed(event: HandledEvent) -> None:
    player = _player(event, event.data["player"])
    _players().player_progress_update(
        player=player,
        title=event.title,
        level=event.data["level"],
        xp=event.data["xp"],
        rank=event.data.get("rank", ""),
        at=event.time,
        event_id=event.id,
    )


@event_handler("announcement.posted")
def announcement_posted(event: HandledEvent) -> None:
    """Posted as the REST announcement is; a text chat refuses (a language that is not a
    product language, say) fails the event with chat's code as its reason."""
    try:
        _chat().announcement_post(
            title=event.title,
            body=event.data["body"],
            body_translations=event.data.get("body_translations"),
            locale=event.data.get("locale"),
        )
    except ApplicationError as error:
        raise EventRefused(code=error.code, message=str(error.message)) from error
