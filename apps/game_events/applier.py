"""Applying effects: claim ``received`` inbox rows, run their handlers, mark them final.

Many events per transaction (``GAME_EVENTS_APPLY_BATCH_SIZE``). The fast path runs a batch's
handlers in their bulk forms, with one savepoint for the whole batch and none per event. If a
handler raises, that savepoint rolls back and the culprit is found and applied on its own (its
own savepoint; it ends ``failed`` with the reason if it raises again) while the events before
and after it take the fast path again: a bad event costs a few bulk attempts, not a rerun of
the batch one event at a time (``_apply_rows``).
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
    """A handler raised on the fast path. ``index``: the position of the event whose
    per-event handler raised, among the rows attempted; None when a bulk form raised (it
    cannot tell which of its events is to blame)."""

    def __init__(self, index: int | None) -> None:
        super().__init__(index)
        self.index = index


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


def _latest_per_key(rows: list[InboxEvent], events: list[HandledEvent]) -> dict[Any, int]:
    """For coalescing handlers: (handler, key) -> id of the newest of ``rows`` with that key,
    by event time then event id (the order the handlers themselves compare)."""
    latest: dict[tuple[Any, str], int] = {}
    newest: dict[tuple[Any, str], tuple[Any, str]] = {}
    for row, event in zip(rows, events, strict=True):
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
    """Each handler with a bulk form runs once, on all the events it handles (in order).
    Returns those handlers (not to be called per event) and the refused events (row id ->
    error). An unexpected error fails the attempt without naming an event."""
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
            raise _HandlerFailed(None) from error
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


def _mark_done(row: InboxEvent, *, handled: bool) -> None:
    row.state = InboxState.APPLIED if handled else InboxState.IGNORED
    row.reason = "" if handled else "no_handler"
    row.applied_at = row.updated_at = timezone.now()


def _apply_fast(rows: list[InboxEvent], events: list[HandledEvent]) -> None:
    """The bulk forms once for all ``rows``, then each event's other handlers, with no
    savepoint per event. Raises ``_HandlerFailed`` naming the event whose handler raised."""
    latest = _latest_per_key(rows, events)
    in_bulk, refused = _bulk_applied(rows, events)
    for index, (row, event) in enumerate(zip(rows, events, strict=True)):
        handlers = handlers_for(row.event_type, row.version)
        try:
            for handler in handlers:
                if handler not in in_bulk and _runs(handler, event, row, latest):
                    handler(event)
        except ABORTS_BATCH:
            raise  # the whole batch rolls back; a healthy event is never marked failed
        except Exception as error:
            raise _HandlerFailed(index) from error
        if row.id in refused:
            _mark_refused(row, refused[row.id])
            row.updated_at = timezone.now()
        else:
            _mark_done(row, handled=bool(handlers))


def _apply_alone(row: InboxEvent) -> None:
    """One event in a savepoint of its own, every handler in its per-event form and no memo
    shared: a handler's error rolls back this event only and marks it ``failed``."""
    event = _handled_event(row, {})
    handlers = handlers_for(row.event_type, row.version)
    try:
        with transaction.atomic():
            for handler in handlers:
                handler(event)
    except ABORTS_BATCH:
        raise
    except Exception as error:
        _mark_failed(row, error)
        row.updated_at = timezone.now()
    else:
        _mark_done(row, handled=bool(handlers))


_ROW_OUTCOME = ("state", "reason", "detail", "applied_at", "updated_at")


def _attempt(rows: list[InboxEvent], events: list[HandledEvent]) -> _HandlerFailed | None:
    """The fast path for ``rows`` in a savepoint; on a handler's error, everything the attempt
    did is undone (database, memoized lookups, the rows' outcomes) and the error returned."""
    memo = events[0].memo
    memo_before = dict(memo)
    outcomes = [tuple(getattr(row, name) for name in _ROW_OUTCOME) for row in rows]
    try:
        with transaction.atomic():
            _apply_fast(rows, events)
    except _HandlerFailed as failed:
        memo.clear()
        memo.update(memo_before)  # e.g. shadow players the savepoint took back
        for row, outcome in zip(rows, outcomes, strict=True):
            for name, value in zip(_ROW_OUTCOME, outcome, strict=True):
                setattr(row, name, value)
        return failed
    return None


def _apply_rows(rows: list[InboxEvent], events: list[HandledEvent]) -> None:
    """Apply ``rows`` (in order) on the fast path. If a handler raises, only the culprit is
    applied on its own; the rows before and after it take the fast path again (a per-event
    handler names its event; a bulk form does not, so the rows are halved until it stands
    alone). One bad event costs a few bulk attempts (about 2·log2(n) at most, when a bulk form
    fails), never a rerun of every event one by one; each event's effects are kept from
    exactly one successful attempt, in event order."""
    while rows:
        failed = _attempt(rows, events)
        if failed is None:
            return
        if len(rows) == 1:
            _apply_alone(rows[0])
            return
        if failed.index is not None:
            culprit = failed.index
            _apply_rows(rows[:culprit], events[:culprit])
            _apply_alone(rows[culprit])
            rows, events = rows[culprit + 1 :], events[culprit + 1 :]
        else:
            middle = len(rows) // 2
            _apply_rows(rows[:middle], events[:middle])
            rows, events = rows[middle:], events[middle:]


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


def _apply_batch(*, limit: int, wait: bool) -> int | None:
    with transaction.atomic():
        if not _apply_lock_taken(wait=wait):
            return None
        rows = list(
            InboxEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("title")
            .filter(state=InboxState.RECEIVED)
            .order_by("occurred_at", "id")[:limit]
        )
        _apply_rows(rows, _prepared(rows, {}))
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
    return _apply_batch(limit=limit, wait=wait)
