"""Bulk writes of per-title stats and achievements, for callers applying many game events at
once (the game-events applier): a few queries per batch instead of a few per event.

Same rules as the one-at-a-time services in ``apps.players.services`` (same validation, same
feed entries and notifications, pushed after commit). One item's bad data is reported back and
skipped; it never fails the others. Call inside the caller's transaction.

Idempotency: level/xp/rank are set (applying the same item twice leaves the same values; a
timed change older than the stored one changes nothing) and an
achievement unlocks once per (player, title, key) by its unique constraint. Match results are
additions: the caller must apply each result once (the game-events inbox is keyed per event).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.common.bulk import rows_copy
from apps.common.exceptions import InvalidInput
from apps.players.models import (
    Achievement,
    ActivityEntry,
    ActivityKind,
    Notification,
    NotificationKind,
    Player,
    PlayerTitleStats,
)
from apps.players.realtime import notification_frame
from apps.players.services import (
    MAX_COUNTER_KEYS,
    STATS_MATCH_FIELDS,
    _validate_counters,
    achievement_unlock,
)
from apps.realtime.broadcast import frame_send_to_user_on_commit
from apps.titles.models import Title


@dataclass(frozen=True)
class ProgressChange:
    """``at``/``event_id``: the time and id of the game event reporting the change. A timed
    change is applied only if it is newer, by (time, id), than the one that set the stored
    values; an untimed one (demo, admin) always is."""

    player: Player
    level: int | None
    xp: int | None
    rank: str | None
    at: datetime | None = None
    event_id: str = ""

    def order_key(self) -> tuple[datetime, str]:
        assert self.at is not None
        return (self.at, self.event_id)


@dataclass(frozen=True)
class MatchResult:
    player: Player
    won: bool | None
    duration_seconds: int
    counters: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AchievementUnlock:
    player: Player
    key: str
    name: str
    unlocked_at: datetime


def _stats_rows_locked(*, title: Title, player_ids: set[int]) -> dict[int, PlayerTitleStats]:
    """The stats rows of these players for ``title``, created where missing, locked in player
    order (two bulk callers never wait on each other in a cycle) until the transaction ends."""
    PlayerTitleStats.objects.bulk_create(
        [PlayerTitleStats(player_id=player_id, title=title) for player_id in sorted(player_ids)],
        ignore_conflicts=True,
    )
    rows = (
        PlayerTitleStats.objects.select_for_update()
        .filter(title=title, player_id__in=player_ids)
        .order_by("player_id")
    )
    return {row.player_id: row for row in rows}


def _progress_error(change: ProgressChange) -> InvalidInput | None:
    if any(value is not None and value < 0 for value in (change.level, change.xp)):
        return InvalidInput(_("Level and xp cannot be negative."), code="invalid_progress")
    return None


_PROGRESS_DEFAULTS = {"level": None, "xp": None, "rank": ""}
# (fields set, timed) -> the rows of one upsert statement.
_Upserts = dict[tuple[tuple[str, ...], bool], list[tuple[int, dict[str, object]]]]


def _progress_values(change: ProgressChange) -> dict[str, object]:
    values = {
        "level": change.level,
        "xp": change.xp,
        "rank": change.rank[:64] if change.rank is not None else None,
    }
    return {name: value for name, value in values.items() if value is not None}


@transaction.atomic
def stats_progress_set_many(
    *, title: Title, changes: list[ProgressChange]
) -> dict[int, InvalidInput]:
    """Set level/xp/rank of many players (None leaves a value as it is). Per player, the newest
    timed change wins (by event time, then event id) and is written only if newer than the
    stored one; untimed changes apply in list order, a later one winning. Returns the refused
    changes by index; the others are applied with one upsert per distinct set of fields
    (usually one statement for the whole batch), which creates missing stats rows and locks
    the players' rows, in player order."""
    refused: dict[int, InvalidInput] = {}
    untimed: dict[int, dict[str, object]] = defaultdict(dict)
    newest: dict[int, ProgressChange] = {}
    for index, change in enumerate(changes):
        if (error := _progress_error(change)) is not None:
            refused[index] = error
        elif change.at is None:
            untimed[change.player.id].update(_progress_values(change))
        else:
            known = newest.get(change.player.id)
            if known is None or change.order_key() > known.order_key():
                newest[change.player.id] = change
    upserts: _Upserts = defaultdict(list)
    for player_id in sorted(untimed):
        upserts[(tuple(sorted(untimed[player_id])), False)].append((player_id, untimed[player_id]))
    for player_id in sorted(newest):
        change = newest[player_id]
        values = {**_progress_values(change), "progress_time": change.at,
                  "progress_event_id": change.event_id[:200]}  # fmt: skip
        upserts[(tuple(sorted(values)), True)].append((player_id, values))
    now = timezone.now()
    for (fields, timed), rows in upserts.items():
        if fields:
            _progress_upsert(title=title, fields=fields, rows=rows, now=now, timed=timed)
    return refused


_UPSERT_COLUMNS = ("level", "xp", "rank", "progress_time", "progress_event_id")
_UPSERT_DEFAULTS: dict[str, object] = {
    **_PROGRESS_DEFAULTS,
    "progress_time": None,
    "progress_event_id": "",
}


def _progress_upsert(
    *,
    title: Title,
    fields: tuple[str, ...],
    rows: list[tuple[int, dict[str, object]]],
    now: datetime,
    timed: bool,
) -> None:
    """``INSERT … ON CONFLICT (player, title) DO UPDATE`` of ``fields`` (PostgreSQL and SQLite
    both speak it): a missing row is created with the given values and the defaults. Timed:
    a stored row is updated only if the change's (time, event id) is newer than its own."""
    table = PlayerTitleStats._meta.db_table
    params: list[Any] = []
    for player_id, values in rows:
        params += [player_id, title.id]
        params += [values.get(name, _UPSERT_DEFAULTS[name]) for name in _UPSERT_COLUMNS]
        params += [now, now]
    placeholders = ", ".join(["(%s, %s, 0, 0, 0, %s, %s, %s, %s, %s, '{}', %s, %s)"] * len(rows))
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in (*fields, "updated_at"))
    newer = (
        f" WHERE {table}.progress_time IS NULL OR ({table}.progress_time, "
        f"{table}.progress_event_id) < (EXCLUDED.progress_time, EXCLUDED.progress_event_id)"
        if timed
        else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (player_id, title_id, matches_played, matches_won, "  # noqa: S608 - names from the model, values bound
            f"playtime_seconds, level, xp, rank, progress_time, progress_event_id, counters, "
            f"created_at, updated_at) VALUES {placeholders} "
            f"ON CONFLICT (player_id, title_id) DO UPDATE SET {updates}{newer}",
            params,
        )


def rows_update(model: type[Any], rows: list[Any], fields: list[str]) -> None:
    """Write ``fields`` of ``rows`` (saved instances, each with its own values) in one
    statement: ``UPDATE … FROM (VALUES …)`` on PostgreSQL, Django's ``bulk_update`` (a CASE
    per field) elsewhere. The CASE form costs Django more Python than the database work it
    orders, per row and field."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields)
        return
    columns = [model._meta.get_field(name) for name in fields]
    primary_key = model._meta.pk
    casts = ", ".join(f"%s::{field.db_type(connection)}" for field in [primary_key, *columns])
    params: list[Any] = []
    for row in rows:
        params.append(row.pk)
        params += [
            field.get_db_prep_save(getattr(row, field.attname), connection) for field in columns
        ]
    names = ", ".join(f'"{field.column}"' for field in columns)
    assignments = ", ".join(f'"{field.column}" = v."{field.column}"' for field in columns)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS t SET {assignments} FROM (VALUES '  # noqa: S608 - names from the model, values bound
            + ", ".join([f"({casts})"] * len(rows))
            + f') AS v("{primary_key.column}", {names}) '
            f'WHERE t."{primary_key.column}" = v."{primary_key.column}"',
            params,
        )


def _merged_counters(stored: dict, added: dict[str, int]) -> dict:
    merged = dict(stored)
    for key, value in added.items():
        merged[key] = int(merged.get(key, 0)) + value
    if len(merged) > MAX_COUNTER_KEYS:
        raise InvalidInput(_("Too many distinct counters."), code="invalid_counters")
    return merged


@transaction.atomic
def stats_matches_record_many(
    *, title: Title, results: list[MatchResult]
) -> dict[int, InvalidInput]:
    """Add many match results to the players' per-title stats (as ``player_match_record`` does
    for one), in a handful of queries. Returns the refused results by index (bad counters, or
    a result that would exceed the counter limit); the others are added. Locks the players'
    stats rows."""
    refused: dict[int, InvalidInput] = {}
    valid: list[tuple[int, MatchResult]] = []
    for index, result in enumerate(results):
        try:
            _validate_counters(result.counters)
        except InvalidInput as error:
            refused[index] = error
            continue
        valid.append((index, result))
    rows = _stats_rows_locked(title=title, player_ids={result.player.id for _, result in valid})
    changed: dict[int, PlayerTitleStats] = {}
    for index, result in valid:
        row = rows[result.player.id]
        try:
            row.counters = _merged_counters(row.counters, result.counters)
        except InvalidInput as error:
            refused[index] = error
            continue
        row.matches_played += 1
        row.matches_won += 1 if result.won else 0
        row.playtime_seconds += max(0, int(result.duration_seconds))
        changed[row.player_id] = row
    now = timezone.now()
    for row in changed.values():
        row.updated_at = now
    rows_update(PlayerTitleStats, list(changed.values()), [*STATS_MATCH_FIELDS, "updated_at"])
    return refused


@transaction.atomic
def achievements_unlock_many(*, title: Title, unlocks: list[AchievementUnlock]) -> int:
    """Unlock many achievements, each once per (player, title, key); a new unlock records a feed
    entry and notifies (after commit), as ``achievement_unlock`` does. Returns how many were
    new. Unlocks already stored, or repeated within the list, change nothing."""
    wanted: dict[tuple[int, str], AchievementUnlock] = {}
    for unlock in unlocks:
        wanted.setdefault((unlock.player.id, unlock.key[:100]), unlock)
    if not wanted:
        return 0
    stored = set(
        Achievement.objects.filter(
            title=title,
            player_id__in={player_id for player_id, _ in wanted},
            key__in={key for _, key in wanted},
        ).values_list("player_id", "key")
    )
    new = [
        Achievement(
            player=unlock.player,
            title=title,
            key=key,
            name=unlock.name[:200],
            unlocked_at=unlock.unlocked_at,
        )
        for (player_id, key), unlock in wanted.items()
        if (player_id, key) not in stored
    ]
    try:
        with transaction.atomic():
            Achievement.objects.bulk_create(new)
    except IntegrityError:
        # A concurrent unlock of one of these keys won the race: unlock one by one instead.
        return sum(
            achievement_unlock(
                player=a.player, title=title, key=a.key, name=a.name, unlocked_at=a.unlocked_at
            )
            for a in new
        )
    return _announce_unlocks(title=title, achievements=new)


def _announce_unlocks(*, title: Title, achievements: list[Achievement]) -> int:
    items = [
        Announcement(
            player=achievement.player,
            title=title,
            data={"key": achievement.key, "name": achievement.name, "title": title.slug},
        )
        for achievement in achievements
    ]
    announcements_record_many(
        activity_kind=ActivityKind.ACHIEVEMENT_UNLOCKED,
        notification_kind=NotificationKind.ACHIEVEMENT,
        items=items,
    )
    return len(achievements)


@dataclass(frozen=True)
class Announcement:
    """Something that happened to ``player`` in ``title``: a feed entry and a notification."""

    player: Player
    title: Title
    data: dict[str, Any]


def announcements_record_many(
    *, activity_kind: str, notification_kind: str, items: list[Announcement]
) -> None:
    """A feed entry of ``activity_kind`` and a notification of ``notification_kind`` per item,
    as ``activity_record`` plus ``notification_create`` do for one: one ``COPY`` of the
    entries, then ``notifications_create_many``."""
    rows_copy(
        ActivityEntry,
        [
            ActivityEntry(player=item.player, kind=activity_kind, data=item.data, title=item.title)
            for item in items
        ],
    )
    notifications_create_many(
        kind=notification_kind, items=[(item.player, item.data) for item in items]
    )


def notifications_create_many(*, kind: str, items: list[tuple[Player, dict[str, Any]]]) -> int:
    """Store many notifications without an actor (``notification_create`` for each: skipped
    for a recipient who opted out of ``kind`` or is deleted) in four queries (one ``COPY`` of
    the rows), and push each live after commit with its recipient's unread count. Returns how
    many were stored."""
    if not items:
        return 0
    states = Player.objects.filter(id__in={player.id for player, _data in items}).values_list(
        "id", "notification_opt_outs", "deleted_at"
    )
    allowed = {
        player_id
        for player_id, opt_outs, deleted_at in states
        if kind not in opt_outs and not deleted_at
    }
    created = [
        Notification(recipient=player, kind=kind, data=data)
        for player, data in items
        if player.id in allowed
    ]
    rows_copy(Notification, created)  # one COPY: bulk_create's SQL costs more Python
    users = {n.recipient_id: n.recipient.user_id for n in created if n.recipient.user_id}
    unread = dict(
        Notification.objects.filter(recipient_id__in=users, read_at__isnull=True)
        .values("recipient_id")
        .annotate(number=Count("id"))
        .values_list("recipient_id", "number")
    )
    for notification in created:
        user_id = users.get(notification.recipient_id)
        if user_id is not None:
            count = unread.get(notification.recipient_id, 0)
            frame = notification_frame(notification, unread_count=count)
            frame_send_to_user_on_commit(user_id=user_id, frame=frame)
    return len(created)
