"""Presence: online in the portal / in game X / in a match (docs/players.md, "Presence").

"Online" comes from open websockets (``presence_store``); "in game"/"in match" from game
session events stored as ``GameSession`` rows, which the event inbox writes in its own
transaction. Changes are pushed as ``presence`` frames to the player and to friends who may
see them (never when the player is private), after commit.
"""

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone, translation

from apps.common.localized_text import localized
from apps.players import play_time, selectors
from apps.players.models import GameSession, Player, Privacy
from apps.players.presence_store import presence_store
from apps.players.realtime import presence_frame
from apps.realtime.broadcast import frame_send_to_user_on_commit
from apps.titles.models import Title

logger = logging.getLogger(__name__)

OFFLINE, ONLINE, IN_GAME, IN_MATCH = "offline", "online", "in_game", "in_match"


@dataclass(frozen=True)
class PresenceState:
    status: str
    title: str | None = None
    title_name: str | None = None
    match_id: str | None = None
    # The title's names in other languages (``Title.name_translations``), for the websocket
    # frame that goes to friends of every language; REST answers in the request's language.
    title_name_translations: Mapping[str, str] | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "title": self.title,
            "title_name": self.title_name,
            "match_id": self.match_id,
        }


HIDDEN = PresenceState(status=OFFLINE)


def _state(*, is_online: bool, session: GameSession | None) -> PresenceState:
    if session is not None:
        title = session.title
        names = title.name_translations or None
        if session.match_id:
            return PresenceState(IN_MATCH, title.slug, title.localized_name, session.match_id,
                                 title_name_translations=names)  # fmt: skip
        return PresenceState(IN_GAME, title.slug, title.localized_name,
                             title_name_translations=names)  # fmt: skip
    return PresenceState(ONLINE) if is_online else PresenceState(OFFLINE)


def presence_states(*, players: list[Player]) -> dict[int, PresenceState]:
    """Actual presence of ``players`` (no privacy applied): one store call, one query."""
    return presence_states_of_ids(user_ids={player.id: player.user_id for player in players})


def presence_states_of_ids(*, user_ids: dict[int, int | None]) -> dict[int, PresenceState]:
    """``presence_states`` for players read as rows: ``user_ids`` maps each player's id to
    their user's id (None for a player with no login). One query and at most one store call
    (one round trip), whatever the number of players."""
    return _with_online(user_ids, in_game=_open_sessions_of(list(user_ids)))


def presence_states_of_rows(
    *, user_ids: dict[int, int | None], sessions: Mapping[int, Mapping[str, Any] | None]
) -> dict[int, PresenceState]:
    """``presence_states_of_ids`` for rows that carry ``selectors.open_session_column``:
    ``sessions`` maps each player's id to that column. No query; at most one store call."""
    in_game = _states_of_sessions(
        (player_id, session["match_id"], session["slug"], session["name"], session["names"])
        for player_id, session in sessions.items()
        if session is not None and player_id in user_ids
    )
    return _with_online(user_ids, in_game=in_game)


def _with_online(
    user_ids: dict[int, int | None], *, in_game: dict[int, PresenceState]
) -> dict[int, PresenceState]:
    """Each player's state: in a game (``in_game``), else online or offline as the presence
    store says; only players in no game are asked about (no call when none is)."""
    asked = [uid for player_id, uid in user_ids.items() if uid and player_id not in in_game]
    online = presence_store().online_user_ids(asked) if asked else set()
    offline, online_state = PresenceState(OFFLINE), PresenceState(ONLINE)
    return {
        player_id: in_game.get(player_id) or (online_state if user_id in online else offline)
        for player_id, user_id in user_ids.items()
    }


# Each player's most recently active open game session with its title: one statement with
# the ids as a single array parameter (a list of hundreds of ``IN`` placeholders costs more
# to build and parse than the read itself; this runs on every member list page).
_OPEN_SESSIONS_SQL = f"""
    SELECT DISTINCT ON (s.player_id) s.player_id, s.match_id, t.slug, t.name, t.name_translations
    FROM {GameSession._meta.db_table} s JOIN {Title._meta.db_table} t ON t.id = s.title_id
    WHERE s.player_id = ANY(%s) AND s.ended_at IS NULL
    ORDER BY s.player_id, s.last_seen_at DESC"""  # noqa: S608 (table names from the models)


def _open_session_rows(player_ids: list[int]) -> list[tuple[Any, ...]]:
    """``(player_id, match_id, slug, name, name_translations)`` of each player's most recently
    active open session: the array statement on PostgreSQL; elsewhere (SQLite, the embedded
    default) the same read through the ORM, the most recent session winning."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_OPEN_SESSIONS_SQL, [player_ids])
            return cursor.fetchall()
    latest = {
        row[0]: row
        for row in GameSession.objects.filter(player_id__in=player_ids, ended_at__isnull=True)
        .order_by("last_seen_at", "id")
        .values_list(
            "player_id", "match_id", "title__slug", "title__name", "title__name_translations"
        )
    }
    return list(latest.values())


def _open_sessions_of(player_ids: list[int]) -> dict[int, PresenceState]:
    """``_state`` of each player with an open game session, equal states shared."""
    return _states_of_sessions(_open_session_rows(player_ids))


def _states_of_sessions(rows: Iterable[tuple[Any, ...]]) -> dict[int, PresenceState]:
    """``(player_id, match_id, slug, name, name_translations)`` rows as states, equal states
    shared (a page of players in one match makes one state)."""
    states: dict[tuple[str, str], PresenceState] = {}
    found: dict[int, PresenceState] = {}
    for player_id, match_id, slug, name, names in rows:
        state = states.get((slug, match_id))
        if state is None:
            names = (
                json.loads(names) if isinstance(names, str) else names
            ) or None  # jsonb as text
            title_name = localized(names, name)
            state = states[(slug, match_id)] = PresenceState(
                IN_MATCH if match_id else IN_GAME, slug, title_name, match_id or None,
                title_name_translations=names,
            )  # fmt: skip
        found[player_id] = state
    return found


def presence_visible_to(*, viewer: Player | None, players: list[Player]) -> dict[int, Any]:
    """Presence as ``viewer`` may see it: players below full visibility appear offline."""
    if viewer is None:
        visible = {p.id for p in players if p.privacy == Privacy.PUBLIC}
    elif all(hasattr(p, "viewer_sees_fully") for p in players):  # decided by friends_of
        visible = {p.id for p in players if p.viewer_sees_fully}  # type: ignore[attr-defined]
    else:
        candidates = [player.id for player in players]
        visible = selectors.full_visibility_ids(viewer=viewer, candidate_ids=candidates)
    shown = [p for p in players if p.id in visible]
    states = presence_states(players=shown)
    return {p.id: states.get(p.id, HIDDEN) for p in players}


def _friend_user_ids(player: Player) -> list[int]:
    return list(
        Player.objects.filter(
            id__in=selectors.friend_ids(player_id=player.id), user__isnull=False
        ).values_list("user_id", flat=True)
    )


def presence_broadcast(*, player: Player) -> None:
    """Push the player's presence to their sockets and to friends allowed to see it.

    A private player's friends get nothing at all: even an ``offline`` frame on every change
    would tell them when the player comes and goes.
    """
    presence_broadcast_many(players=[player])


def presence_broadcast_many(*, players: list[Player]) -> None:
    """``presence_broadcast`` for several players (a match's) in a fixed number of queries.

    Inside a transaction (a batch of game events), the players are only noted: once it
    commits, each one's presence *then* is broadcast once, however many of the batch's events
    changed it — the same final state for a fraction of the work. A rollback drops the note
    with the transaction's other on-commit work."""
    if not players:
        return
    if not transaction.get_connection().in_atomic_block:
        _broadcast_now(players)
        return
    pending = _pending_broadcast()
    for player in players:
        pending.setdefault(player.id, player)


class _PendingBroadcast(dict[int, Player]):
    """The players whose presence the current transaction changed (an on-commit callback)."""

    def __call__(self) -> None:
        _broadcast_now(list(self.values()))


def _pending_broadcast() -> _PendingBroadcast:
    """This transaction's pending broadcast, registered on commit when first needed.

    A savepoint rolled back drops the pending broadcast only if it was registered inside it,
    and then at once, so the next change registers a new one (the applier's per-event
    savepoints: a failed event does not take the other events' broadcasts with it). Robust: a
    failure to broadcast after the commit is logged, never raised into the committer."""
    for _savepoints, callback, _robust in transaction.get_connection().run_on_commit:
        if isinstance(callback, _PendingBroadcast):
            return callback
    pending = _PendingBroadcast()
    transaction.on_commit(pending, robust=True)
    return pending


def _broadcast_now(players: list[Player]) -> None:
    # One frame goes to friends of any language: the title's name in the default language
    # (LANGUAGE_CODE), not in the language of whoever's request caused the change.
    with translation.override(None):
        states = presence_states(players=players)
    sharing = [p.id for p in players if p.privacy != Privacy.PRIVATE and not p.is_deleted]
    friends = selectors.friend_ids_many(player_ids=sharing) if sharing else {}
    every_friend = set().union(*friends.values()) if friends else set()
    user_of = dict(
        Player.objects.filter(id__in=every_friend, user__isnull=False).values_list("id", "user_id")
    ) if every_friend else {}  # fmt: skip
    for player in players:
        frame = presence_frame(player, states[player.id])
        recipients = [player.user_id] if player.user_id else []
        recipients += [user_of[f] for f in friends.get(player.id, ()) if f in user_of]
        for user_id in recipients:
            frame_send_to_user_on_commit(user_id=user_id, frame=frame)


def presence_privacy_changed(*, player: Player) -> None:
    """After a privacy change: friends now shut out see the player go offline once (their open
    friend lists would otherwise keep the last state); the others get the current state."""
    if player.privacy == Privacy.PRIVATE:
        frame = presence_frame(player, HIDDEN)
        for user_id in _friend_user_ids(player):
            frame_send_to_user_on_commit(user_id=user_id, frame=frame)
    else:
        presence_broadcast(player=player)


def _broadcast_for_user(user_id: int) -> None:
    player = Player.objects.filter(user_id=user_id, deleted_at__isnull=True).first()
    if player is not None:
        presence_broadcast(player=player)


# Connection hooks (registered by apps.players.realtime in AppConfig.ready()). Presence is
# best effort: a Redis hiccup must not close the socket it is counting, so errors are logged.
def on_connection_open(*, user_id: int, connection_id: str) -> None:
    try:
        if presence_store().connection_open(user_id=user_id, connection_id=connection_id):
            _broadcast_for_user(user_id)
    except Exception:
        logger.exception("presence open failed", extra={"user_id": user_id})


def on_connection_heartbeat(*, user_id: int, connection_id: str) -> None:
    # A heartbeat after a lapse (the sweep already announced offline) brings the user back.
    on_connection_open(user_id=user_id, connection_id=connection_id)


def on_connection_close(*, user_id: int, connection_id: str) -> None:
    try:
        if presence_store().connection_close(user_id=user_id, connection_id=connection_id):
            _broadcast_for_user(user_id)
    except Exception:
        logger.exception("presence close failed", extra={"user_id": user_id})


# Game session services: called by game-event handlers inside the inbox transaction. With
# ``at`` (the event's time) and ``event_id``, a session's state is changed only by an event
# newer, by (time, id), than the one that set it: the newest event wins whatever the arrival
# order (docs/events.md, "Ordering"). Without ``at``, the change always applies.
def _newer(at: datetime | None, event_id: str) -> Q:
    if at is None:
        return Q()
    return (
        Q(state_time__isnull=True)
        | Q(state_time__lt=at)
        | Q(state_time=at, state_event_id__lt=event_id)
    )


def _stamp(at: datetime | None, event_id: str) -> dict[str, Any]:
    return {} if at is None else {"state_time": at, "state_event_id": event_id[:200]}


def presence_game_session_start(
    *,
    player: Player,
    title: Title,
    session_id: str,
    at: datetime | None = None,
    event_id: str = "",
) -> None:
    now = timezone.now()
    started_at = at or now
    values = {"last_seen_at": now, "match_id": "", "ended_at": None, **_stamp(at, event_id)}
    # A repeated start of an open session keeps its first start (play_time counts from it).
    keep_first_start = Case(
        When(ended_at__isnull=True, started_at__isnull=False, then=F("started_at")),
        default=Value(started_at, output_field=DateTimeField()),
    )
    session = GameSession.objects.filter(player=player, title=title, session_id=session_id)
    if not session.filter(_newer(at, event_id)).update(
        **values, started_at=keep_first_start, updated_at=now
    ):
        _, created = GameSession.objects.get_or_create(
            player=player,
            title=title,
            session_id=session_id,
            defaults={**values, "started_at": started_at},
        )
        if not created:
            # A newer event already decided this session; if it was its end, the start is
            # the piece its time played was missing.
            play_time.session_start_learned_late(
                player=player, title_id=title.id, session_id=session_id, started_at=started_at
            )
            return
    presence_broadcast(player=player)


@transaction.atomic
def presence_game_session_end(
    *,
    player: Player,
    title: Title,
    session_id: str,
    at: datetime | None = None,
    event_id: str = "",
) -> None:
    """End a session and count its time (play_time). Timed: the row stays, ended, until the
    sweep (an older start arriving later then finds it and changes nothing but the time
    played); an end with no session known leaves such a row too. Locks the session row."""
    session = GameSession.objects.filter(player=player, title=title, session_id=session_id)
    now = timezone.now()
    ending = session.select_for_update().filter(_newer(at, event_id), ended_at__isnull=True)
    open_session = ending.first()
    if open_session is not None:
        play_time.session_ended_count(session=open_session, ended_at=at or now)
    if at is None:
        if session.delete()[0]:
            presence_broadcast(player=player)
        return
    values = {"ended_at": now, "match_id": "", "last_seen_at": now, **_stamp(at, event_id)}
    if session.filter(_newer(at, event_id)).update(**values, updated_at=now):
        presence_broadcast(player=player)
    else:
        GameSession.objects.get_or_create(
            player=player, title=title, session_id=session_id, defaults=values
        )


def presence_match_set(
    *,
    player: Player,
    title: Title,
    match_id: str | None,
    at: datetime | None = None,
    event_id: str = "",
) -> None:
    """Enter (``match_id``) or leave (None) a match in the player's open sessions of ``title``;
    with no session known, one keyed by the match is opened so the player shows in game."""
    presence_match_set_many(
        players=[player], title=title, match_id=match_id, at=at, event_id=event_id
    )


def presence_match_set_many(
    *,
    players: list[Player],
    title: Title,
    match_id: str | None,
    at: datetime | None = None,
    event_id: str = "",
) -> None:
    """``presence_match_set`` for every player of a match at once: a fixed number of queries
    and one broadcast pass, whatever the number of players."""
    if not players:
        return
    now = timezone.now()
    stamp = _stamp(at, event_id)
    sessions = GameSession.objects.filter(player__in=players, title=title)
    taken = list(
        sessions.filter(_newer(at, event_id), ended_at__isnull=True).values_list("id", "player_id")
    )
    if taken:
        GameSession.objects.filter(id__in=[session_id for session_id, _ in taken]).update(
            match_id=match_id or "", last_seen_at=now, updated_at=now, **stamp
        )
    changed = {player_id for _, player_id in taken}
    untouched = [player for player in players if player.id not in changed]
    if match_id and untouched:
        # Entering a match with no session known opens one, unless a newer event already
        # decided the player's state in this title (e.g. a later end).
        known = (
            sessions.filter(ended_at__isnull=True)
            if at is None
            else sessions.exclude(_newer(at, event_id))
        )
        decided = set(known.filter(player__in=untouched).values_list("player_id", flat=True))
        opened = [player for player in untouched if player.id not in decided]
        GameSession.objects.bulk_create(
            [
                GameSession(player=player, title=title, session_id=f"match:{match_id}",
                            last_seen_at=now, match_id=match_id, started_at=at or now, **stamp)
                for player in opened
            ],
            ignore_conflicts=True,  # the same match announced twice: the session exists
        )  # fmt: skip
        changed |= {player.id for player in opened}
    presence_broadcast_many(players=[player for player in players if player.id in changed])


def presence_sweep() -> dict[str, int]:
    """End lapsed connections and stale game sessions; announce who went offline.
    Idempotent: a second run finds nothing left to end."""
    offline_user_ids = presence_store().sweep()
    for user_id in offline_user_ids:
        _broadcast_for_user(user_id)
    cutoff = timezone.now() - timedelta(seconds=settings.PLAYERS_GAME_SESSION_TTL_SECONDS)
    stale_players = set(
        GameSession.objects.filter(last_seen_at__lt=cutoff, ended_at__isnull=True).values_list(
            "player_id", flat=True
        )
    )
    with transaction.atomic():
        stale = GameSession.objects.select_for_update().filter(
            last_seen_at__lt=cutoff, ended_at__isnull=True
        )
        play_time.stale_sessions_count(sessions=list(stale))
        GameSession.objects.filter(last_seen_at__lt=cutoff).delete()
        for player in Player.objects.filter(id__in=stale_players):
            presence_broadcast(player=player)
    if offline_user_ids or stale_players:
        logger.info(
            "presence sweep",
            extra={"offline_users": len(offline_user_ids), "ended_sessions": len(stale_players)},
        )
    return {"offline_users": len(offline_user_ids), "ended_sessions": len(stale_players)}
