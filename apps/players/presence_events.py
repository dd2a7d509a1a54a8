"""Presence from game events, a whole applier batch at once: session starts and ends, match
starts and ends folded in event order over the players' sessions loaded up front.

The same rules as ``presence_game_session_start``, ``presence_game_session_end`` and
``presence_match_set_many`` with their ``at``/``event_id`` (a session changes only for an
event newer by (time, id) than the one that set it; docs/events.md, "Ordering"), in a fixed
number of queries per batch: load and lock the sessions, insert the new ones, update the
changed ones. Each player whose presence changed is broadcast once, after commit. Time played
follows ``apps.players.play_time``'s rules: a session's start time is kept from its first
start, and the seconds of a session are added when it changes from open to ended (or when a
start older than its already applied end arrives).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.players import play_time
from apps.players.bulk import rows_update
from apps.players.models import GameSession, Player
from apps.players.presence import presence_broadcast_many
from apps.titles.models import Title

SESSION_START, SESSION_END, MATCH = "session_start", "session_end", "match"
_WRITTEN = ["match_id", "ended_at", "started_at", "last_seen_at", "state_time", "state_event_id",
            "updated_at"]  # fmt: skip


@dataclass(frozen=True)
class PresenceChange:
    """One event's change: ``SESSION_START``/``SESSION_END`` of ``session_id`` for one player,
    or ``MATCH``: entering ``match_id`` (None: leaving the match) for each of ``players``."""

    kind: str
    players: list[Player]
    title: Title
    at: datetime
    event_id: str
    session_id: str = ""
    match_id: str | None = None


class _Fold:
    """The sessions of the batch's players, changed in memory in event order."""

    def __init__(self, sessions: list[GameSession], now: datetime) -> None:
        self.now = now
        self.sessions: dict[tuple[int, int], dict[str, GameSession]] = {}
        for session in sessions:
            self._of(session.player_id, session.title_id)[session.session_id] = session
        self.created: dict[tuple[int, int, str], GameSession] = {}
        self.changed: dict[int, GameSession] = {}
        self.announced: dict[int, Player] = {}
        self.played: dict[tuple[int, int], int] = {}  # (player, title) -> seconds ended now

    def _count(self, session: GameSession, ended_at: datetime | None) -> None:
        if session.started_at is None or ended_at is None:
            return
        key = (session.player_id, session.title_id)
        seconds = max(0, int((ended_at - session.started_at).total_seconds()))
        self.played[key] = self.played.get(key, 0) + seconds

    def _of(self, player_id: int, title_id: int) -> dict[str, GameSession]:
        return self.sessions.setdefault((player_id, title_id), {})

    @staticmethod
    def _is_newer(session: GameSession, change: PresenceChange) -> bool:
        stored = session.state_time
        return stored is None or (stored, session.state_event_id) < (change.at, change.event_id)

    def _set(self, session: GameSession, change: PresenceChange, **values: object) -> None:
        for name, value in values.items():
            setattr(session, name, value)
        session.last_seen_at = self.now
        session.state_time, session.state_event_id = change.at, change.event_id[:200]
        if session.pk is not None:
            self.changed[session.pk] = session

    def _create(
        self, player: Player, change: PresenceChange, session_id: str, **values: object
    ) -> None:
        session = GameSession(player=player, title=change.title, session_id=session_id)
        self._set(session, change, **values)
        self._of(player.id, change.title.id)[session_id] = session
        self.created[(player.id, change.title.id, session_id)] = session

    def session(self, change: PresenceChange, *, is_start: bool) -> None:
        player = change.players[0]
        values: dict[str, object] = {"match_id": "", "ended_at": None if is_start else self.now}
        session = self._of(player.id, change.title.id).get(change.session_id)
        if session is None:
            if is_start:
                values["started_at"] = change.at
            self._create(player, change, change.session_id, **values)
            if is_start:  # an end with no session known leaves an ended row, unannounced
                self.announced[player.id] = player
        elif self._is_newer(session, change):
            if is_start:
                # A repeated start of an open session keeps its first start.
                is_open = session.ended_at is None and session.started_at is not None
                values["started_at"] = session.started_at if is_open else change.at
            elif session.ended_at is None:
                self._count(session, change.at)  # open -> ended: its time is played
            self._set(session, change, **values)
            self.announced[player.id] = player
        elif is_start and self._start_learned_late(session, change):
            # A start older than the end already applied: the missing piece of its time.
            session.started_at = change.at
            self._count(session, session.state_time)
            if session.pk is not None:
                self.changed[session.pk] = session

    @staticmethod
    def _start_learned_late(session: GameSession, change: PresenceChange) -> bool:
        ended = session.ended_at is not None and session.state_time is not None
        return ended and session.started_at is None and session.state_time > change.at  # type: ignore[operator]

    def match(self, change: PresenceChange) -> None:
        for player in change.players:
            sessions = self._of(player.id, change.title.id)
            taken = [
                s for s in sessions.values() if s.ended_at is None and self._is_newer(s, change)
            ]
            for session in taken:
                self._set(session, change, match_id=change.match_id or "")
            if taken:
                self.announced[player.id] = player
            elif change.match_id and all(self._is_newer(s, change) for s in sessions.values()):
                # In a match with no session known: one keyed by the match, unless a newer
                # event already decided the player's state in this title.
                session_id = f"match:{change.match_id}"
                if session_id not in sessions:
                    self._create(
                        player, change, session_id, match_id=change.match_id, started_at=change.at
                    )
                self.announced[player.id] = player


def presence_changes_apply(*, changes: list[PresenceChange]) -> None:
    """Apply game-event presence changes in order (event-time order). Locks the sessions of
    the players named. Idempotent: a change no newer than a session's state changes nothing."""
    if not changes:
        return
    player_ids = {player.id for change in changes for player in change.players}
    title_ids = {change.title.id for change in changes}
    with transaction.atomic():
        fold = _Fold(
            list(
                GameSession.objects.select_for_update()
                .filter(player_id__in=player_ids, title_id__in=title_ids)
                .order_by("id")
            ),
            timezone.now(),
        )
        for change in changes:
            if change.kind == MATCH:
                fold.match(change)
            else:
                fold.session(change, is_start=change.kind == SESSION_START)
        # Conflicts: the same match announced twice, or a session made meanwhile.
        GameSession.objects.bulk_create(fold.created.values(), ignore_conflicts=True)
        for session in fold.changed.values():
            session.updated_at = fold.now
        rows_update(GameSession, list(fold.changed.values()), _WRITTEN)
        for (player_id, title_id), seconds in fold.played.items():
            play_time.session_seconds_add(player_id=player_id, title_id=title_id, seconds=seconds)
        presence_broadcast_many(players=list(fold.announced.values()))
