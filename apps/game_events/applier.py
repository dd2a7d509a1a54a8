"""Applying effects: claim ``received`` inbox rows, run their handlers, mark them final.

Many events per transaction (``GAME_EVENTS_APPLY_BATCH_SIZE``). The fast path runs a batch's
handlers without a savepoint per event; if any handler raises, the whole batch is rolled back
and run again with one savepoint per event, so only the broken event ends ``failed``.
"""

import logging
from collections import Counter
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from apps.game_events.exceptions import EventRefused
from apps.game_events.metrics import counters_add
from apps.game_events.models import InboxEvent, InboxState
from apps.game_events.registry import (
    HandledEvent,
    batch_form_of,
    batch_preparers,
    coalesce_key_of,
    handlers_for,
)

logger = logging.getLogger(__name__)

# One applier at a time: handlers set state (presence, level) whose order matters, and
# parallel appliers could apply a later event before an earlier one.
APPLY_LOCK_KEY = 0x67616D65  # "game"


# Never a handler's fault: they abort the whole batch (rolled back, its events stay
# ``received``). The database is gone, or the task reached its soft time limit.
ABORTS_BATCH = (OperationalError, InterfaceError, SoftTimeLimitExceeded)


class _HandlerFailed(Exception):
    """A handler raised on the fast path: redo the batch with a savepoint per event."""


def _apply_lock_taken(*, wait: bool) -> bool:
    """Take the transaction-scoped applier lock (PostgreSQL); SQLite has one writer anyway."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPLY_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [APPLY_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _handled_event(row: InboxEvent, memo: dict[str, Any]) -> HandledEvent:
    return HandledEvent(
        id=row.event_id,
        source=row.source,
        type=row.event_type,
        version=row.version,
        time=row.occurred_at or row.created_at,
        subject=row.subject,
        data=row.payload.get("data") or {},
        title=row.title,  # type: ignore[arg-type]  # inbox rows to apply always name their title
        memo=memo,
    )


def _mark_refused_by_domain(row: InboxEvent, error: EventRefused) -> None:
    logger.warning(
        "game event refused by its handler",
        extra={"event_id": row.event_id, "type": row.event_type, "code": error.code},
    )
    row.state, row.reason, row.detail = InboxState.FAILED, error.code[:64], error.message[:2000]


def _mark_failed(row: InboxEvent, error: Exception) -> None:
    if isinstance(error, EventRefused):
        _mark_refused_by_domain(row, error)
        return
    logger.exception(
        "game event handler failed", extra={"event_id": row.event_id, "type": row.event_type}
    )
    row.state, row.reason = InboxState.FAILED, "handler_error"
    row.detail = f"{type(error).__name__}: {error}"[:2000]


def _latest_per_key(rows: list[InboxEvent]) -> dict[tuple[Any, str], int]:
    """For coalescing handlers: (handler, key) -> id of the batch's newest row with that key,
    by event time then event id (the order the handlers themselves compare)."""
    latest: dict[tuple[Any, str], int] = {}
    newest: dict[tuple[Any, str], tuple[Any, str]] = {}
    for row in rows:
        event = _handled_event(row, {})
        for handler in handlers_for(row.event_type, row.version):
            key_of = coalesce_key_of(handler)
            if key_of is None:
                continue
            key, order = (handler, key_of(event)), (event.time, event.id)
            if key not in newest or order > newest[key]:
                latest[key], newest[key] = row.id, order
    return latest


def _runs(handler: Any, event: HandledEvent, row: InboxEvent, latest: dict) -> bool:
    key_of = coalesce_key_of(handler)
    return key_of is None or latest[(handler, key_of(event))] == row.id


def _prepared(rows: list[InboxEvent], memo: dict[str, Any]) -> list[HandledEvent]:
    """The batch's events sharing ``memo``, after the registered preparers filled it."""
    events = [_handled_event(row, memo) for row in rows]
    for preparer in batch_preparers():
        try:
            preparer(events)
        except ABORTS_BATCH:
            raise
        except Exception:
            logger.exception("game event batch preparer failed", extra={"preparer": preparer})
    return events


def _bulk_applied(
    rows: list[InboxEvent], events: list[HandledEvent]
) -> tuple[set[Any], dict[int, Exception]]:
    """Fast path: each handler with a bulk form runs once, on all the batch's events it handles
    (in order). Returns those handlers (not to be called per event) and the refused events
    (row id -> error). An unexpected error redoes the batch one event at a time."""
    grouped: dict[Any, list[tuple[int, HandledEvent]]] = {}
    for row, event in zip(rows, events, strict=True):
        for handler in handlers_for(row.event_type, row.version):
            if batch_form_of(handler) is not None:
                grouped.setdefault(handler, []).append((row.id, event))
    refused: dict[int, Exception] = {}
    for handler, items in grouped.items():
        try:
            errors = batch_form_of(handler)([event for _, event in items])  # type: ignore[misc]
        except ABORTS_BATCH:
            raise
        except Exception as error:
            raise _HandlerFailed() from error
        refused.update({items[index][0]: error for index, error in errors.items()})
    return set(grouped), refused


def _mark_refused(row: InboxEvent, error: Exception) -> None:
    if isinstance(error, EventRefused):
        _mark_refused_by_domain(row, error)
        return
    logger.warning(
        "game event refused by a bulk handler",
        extra={
            "event_id": row.event_id,
            "type": row.event_type,
            "code": getattr(error, "code", ""),
        },
    )
    row.state, row.reason = InboxState.FAILED, "handler_error"
    row.detail = f"{type(error).__name__}: {error}"[:2000]


def _apply_one(
    row: InboxEvent,
    *,
    isolated: bool,
    event: HandledEvent,
    latest: dict[tuple[Any, str], int],
    bulk: tuple[set[Any], dict[int, Exception]] = (set(), {}),
) -> None:
    handlers = handlers_for(row.event_type, row.version)
    in_bulk, refused = bulk
    try:
        # Isolated: a savepoint, and no memo shared with events whose savepoint may roll back.
        with transaction.atomic(savepoint=isolated):
            if isolated:
                event = _handled_event(row, {})
            for handler in handlers:
                if handler not in in_bulk and _runs(handler, event, row, latest):
                    handler(event)
    except ABORTS_BATCH:
        raise  # the whole batch rolls back; a healthy event is never marked failed
    except Exception as error:
        if not isolated:
            raise _HandlerFailed() from error
        _mark_failed(row, error)
    else:
        if row.id in refused:
            _mark_refused(row, refused[row.id])
            row.updated_at = timezone.now()
            return
        row.state = InboxState.APPLIED if handlers else InboxState.IGNORED
        row.reason = "" if handlers else "no_handler"
        row.applied_at = timezone.now()
    row.updated_at = timezone.now()


def _rows_save(rows: list[InboxEvent]) -> None:
    """Write the final states: one plain UPDATE for the (usual) applied rows, a CASE-based
    bulk update only for the few that ended otherwise."""
    applied_ids = {row.id for row in rows if row.state == InboxState.APPLIED}
    now = timezone.now()
    if applied_ids:
        InboxEvent.objects.filter(id__in=applied_ids).update(
            state=InboxState.APPLIED, reason="", detail="", applied_at=now, updated_at=now
        )
    others = [row for row in rows if row.id not in applied_ids]
    if others:
        InboxEvent.objects.bulk_update(
            others, ["state", "reason", "detail", "applied_at", "updated_at"], batch_size=500
        )


def _apply_batch(*, limit: int, wait: bool, isolated: bool) -> int | None:
    with transaction.atomic():
        if not _apply_lock_taken(wait=wait):
            return None
        rows = list(
            InboxEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("title")
            .filter(state=InboxState.RECEIVED)
            .order_by("occurred_at", "id")[:limit]
        )
        latest = _latest_per_key(rows)
        if isolated:
            events = [_handled_event(row, {}) for row in rows]
            bulk: tuple[set[Any], dict[int, Exception]] = (set(), {})
        else:
            events = _prepared(rows, {})
            bulk = _bulk_applied(rows, events)
        for row, event in zip(rows, events, strict=True):
            _apply_one(row, isolated=isolated, event=event, latest=latest, bulk=bulk)
        _rows_save(rows)
        counters_add(Counter((row.event_type, row.state) for row in rows))
    return len(rows)


def events_apply_pending(*, batch_size: int | None = None, wait: bool = False) -> int | None:
    """Apply one batch of ``received`` events oldest first; returns how many were claimed, or
    None when another applier holds the lock and ``wait`` is false (the caller retries).

    Locks: the applier advisory lock, then the claimed rows (``FOR UPDATE SKIP LOCKED``).
    Idempotent: an applied row is never claimed again.
    """
    limit = batch_size or settings.GAME_EVENTS_APPLY_BATCH_SIZE
    try:
        return _apply_batch(limit=limit, wait=wait, isolated=False)
    except _HandlerFailed:
        return _apply_batch(limit=limit, wait=wait, isolated=True)
