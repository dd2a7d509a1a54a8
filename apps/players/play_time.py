"""Time played per title, from game sessions (docs/players.md, "Time played").

A session counts from its start event's time to its end event's time; the seconds of ended
sessions are summed into ``PlayerTitleStats.session_seconds`` when the session ends (once: only
the change from open to ended adds them). An open session counts up to now when read, so a
profile's figure grows while the player is in the game. Titles' clocks are trusted as the
events' times are elsewhere (docs/events.md, "Ordering").

Cases and their answers:
- the end arrives before the start: the end keeps an ended row without a start; the late start
  fills it in and adds the session then;
- a second start of an open session keeps the first start;
- a session the game server never ended is ended by the presence sweep at its last sign of
  life (``last_seen_at``);
- sessions of one title that overlap while open count once (from the earliest open start);
  ended sessions are not checked for overlap (a title reports one session per player at a time).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from apps.players.models import GameSession, Player, PlayerTitleStats


def _seconds_between(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def session_seconds_add(*, player_id: int, title_id: int, seconds: int) -> None:
    """Add an ended session's seconds to the player's time in the title. Concurrency-safe:
    an ``F()`` increment, the stats row made under its unique constraint when missing."""
    if seconds <= 0:
        return
    stats = PlayerTitleStats.objects.filter(player_id=player_id, title_id=title_id)
    increment = {"session_seconds": F("session_seconds") + seconds, "updated_at": timezone.now()}
    if stats.update(**increment):
        return
    _row, created = PlayerTitleStats.objects.get_or_create(
        player_id=player_id, title_id=title_id, defaults={"session_seconds": seconds}
    )
    if not created:  # made meanwhile by another writer
        stats.update(**increment)


def session_ended_count(*, session: GameSession, ended_at: datetime) -> None:
    """Count a session that has just changed from open to ended (the caller holds its row lock
    and saw ``ended_at`` empty)."""
    if session.started_at is not None:
        session_seconds_add(
            player_id=session.player_id,
            title_id=session.title_id,
            seconds=_seconds_between(session.started_at, ended_at),
        )


@transaction.atomic
def session_start_learned_late(
    *, player: Player, title_id: int, session_id: str, started_at: datetime
) -> None:
    """A start older than the session's already applied end: fill in the start and count the
    session, once (the row then has a start, which a repeated late start does not change).
    Locks the session row."""
    session = (
        GameSession.objects.select_for_update()
        .filter(
            player=player,
            title_id=title_id,
            session_id=session_id,
            started_at__isnull=True,
            ended_at__isnull=False,
            state_time__gt=started_at,
        )
        .first()
    )
    if session is None or session.state_time is None:
        return
    GameSession.objects.filter(id=session.id).update(started_at=started_at)
    session.started_at = started_at
    session_ended_count(session=session, ended_at=session.state_time)


def stale_sessions_count(*, sessions: list[GameSession]) -> None:
    """Count open sessions the sweep is about to delete, up to their last sign of life."""
    for session in sessions:
        session_ended_count(session=session, ended_at=session.last_seen_at)


def played_seconds_by_title(*, player: Player, now: datetime | None = None) -> dict[int, int]:
    """Seconds played per title id: ended sessions plus open ones up to ``now``. Two queries."""
    now = now or timezone.now()
    totals: dict[int, int] = dict(
        PlayerTitleStats.objects.filter(player=player).values_list("title_id", "session_seconds")
    )
    open_since = (
        GameSession.objects.filter(player=player, ended_at__isnull=True, started_at__isnull=False)
        .values("title_id")
        .annotate(first_start=Min("started_at"))
    )
    for row in open_since:
        title_id = row["title_id"]
        totals[title_id] = totals.get(title_id, 0) + _seconds_between(row["first_start"], now)
    return totals
