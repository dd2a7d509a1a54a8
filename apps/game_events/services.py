"""Writes of the game-event pipeline: record events in the inbox, apply their effects.

Exactly-once effects over at-least-once delivery (stack-pitfalls §3.1, §3.4):

1. ``events_ingest`` records a batch of validated envelopes in ONE transaction: a new
   ``(source, id)`` becomes a ``received`` row (or ``ignored``), a known one is a duplicate and
   changes nothing. The apply task is scheduled on commit. Only after this returns does the
   consumer complete the Service Bus messages (or HTTP ingest answer).
2. ``events_apply_pending`` (run by the ``game_events.apply_pending`` Celery task) claims
   ``received`` rows with ``SELECT … FOR UPDATE SKIP LOCKED``, runs their handlers and marks
   them final in the same transaction — many events per transaction, so the rate is not bound
   by one task per event. Running it twice changes nothing the second time: no row is
   ``received`` any more.
"""

import json
import logging
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.common.bulk import rows_copy
from apps.game_events.applier import events_apply_pending
from apps.game_events.catalog import catalog_entry, schema_violation
from apps.game_events.envelope import (
    CloudEvent,
    EventRejected,
    envelope_validate,
    max_event_bytes,
)
from apps.game_events.metrics import counters_add, event_counter_add
from apps.game_events.models import Channel, InboxEvent, InboxState
from apps.game_events.registry import handlers_for
from apps.titles.models import Title

logger = logging.getLogger(__name__)

INSERT_ATTEMPTS = 3
# Metrics key for events whose envelope was too broken to know their type.
INVALID_TYPE = "(invalid)"
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one event: ``accepted`` (new, effects pending or applied),
    ``duplicate`` (already in the inbox), ``ignored`` (kept, no effect) or ``rejected``
    (invalid; ``code``/``reason`` say why)."""

    status: str
    code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class _Classified:
    event: CloudEvent
    title: Title | None
    state: str  # an InboxState, or "rejected"
    code: str = ""
    reason: str = ""


def _classify(event: CloudEvent, title: Title | None, *, source_check: str) -> _Classified:
    if source_check:
        return _Classified(event, title, "rejected", source_check, _SOURCE_REASONS[source_check])
    entry = catalog_entry(event.type, event.version)
    if entry is None:
        known = catalog_entry(event.type, 1) is not None
        code = "unknown_version" if known else "unknown_type"
        return _Classified(event, title, InboxState.IGNORED, code, f"{event.type} v{event.version}")
    violation = schema_violation(entry, event.data)
    if violation:
        return _Classified(event, title, "rejected", "schema_violation", violation)
    if not handlers_for(event.type, event.version):
        return _Classified(event, title, InboxState.IGNORED, "no_handler", "No handler yet.")
    return _Classified(event, title, InboxState.RECEIVED)


_SOURCE_REASONS = {
    "source_mismatch": "'source' must name the title of the calling key.",
    "source_not_allowed": "This entity may not carry events of that title.",
    "unknown_title": "'source' names no active title.",
}


def _source_check(
    event: CloudEvent, title: Title | None, caller: Title | None, allowed: Collection[str] | None
) -> str:
    if caller is not None and event.title_slug != caller.slug:
        return "source_mismatch"
    if allowed is not None and event.title_slug not in allowed:
        return "source_not_allowed"
    return "" if title is not None else "unknown_title"


def _classify_all(
    events: Sequence[CloudEvent], caller: Title | None, allowed: Collection[str] | None
) -> list[_Classified]:
    slugs = {event.title_slug for event in events}
    titles = {t.slug: t for t in Title.objects.filter(slug__in=slugs, is_active=True)}
    classified = []
    for event in events:
        title = titles.get(event.title_slug)
        check = _source_check(event, title, caller, allowed)
        classified.append(_classify(event, title, source_check=check))
    return classified


def events_ingest(
    *,
    events: Sequence[CloudEvent],
    channel: str,
    caller: Title | None = None,
    allowed_title_slugs: Collection[str] | None = None,
    record_rejected: bool = False,
) -> list[IngestOutcome]:
    """Record validated envelopes in the inbox in one transaction; one outcome per event.

    ``caller``: the authenticated title (HTTP ingest); every event's source must name it.
    ``allowed_title_slugs``: for Service Bus, the titles the entity may carry (None: any).
    ``record_rejected``: keep rejected events as ``dead_lettered`` rows (Service Bus
    dead-letters them; HTTP callers get the reason in the response instead).
    An event the database refuses (a data error: ``DataError``, ``IntegrityError``,
    ``ValueError``) is isolated by halving the batch until it stands alone; it comes back
    ``rejected`` with ``storage_refused`` and its neighbours are recorded (each part in a
    transaction of its own). Any other error (``OperationalError``, ``InterfaceError``: the
    database is gone) is raised unchanged: the caller abandons/retries the whole batch.
    """
    classified = _classify_all(events, caller, allowed_title_slugs)
    return _record_isolating(classified, channel=channel, record_rejected=record_rejected)


# Errors that come from what is being written, not from the database being unreachable. A
# ValueError is what psycopg raises for a value it cannot encode (e.g. a lone surrogate).
DATA_ERRORS = (DataError, IntegrityError, ValueError)


def _record_isolating(
    classified: list[_Classified], *, channel: str, record_rejected: bool
) -> list[IngestOutcome]:
    try:
        return _record_retrying(classified, channel=channel, record_rejected=record_rejected)
    except DATA_ERRORS as error:
        if len(classified) == 1:
            return [_storage_refused(classified[0], error)]
        middle = len(classified) // 2
        # In order: a repeated id in the right half finds the left half's row (duplicate).
        left = _record_isolating(
            classified[:middle], channel=channel, record_rejected=record_rejected
        )
        right = _record_isolating(
            classified[middle:], channel=channel, record_rejected=record_rejected
        )
        return left + right


def _record_retrying(
    classified: list[_Classified], *, channel: str, record_rejected: bool
) -> list[IngestOutcome]:
    for attempt in range(INSERT_ATTEMPTS):
        try:
            return _record(classified, channel=channel, record_rejected=record_rejected)
        except IntegrityError:
            # A competing consumer inserted one of these ids first; the retry sees its row.
            if attempt == INSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _storage_refused(item: _Classified, error: Exception) -> IngestOutcome:
    """The outcome of an event the database refused on its own. Validation is meant to refuse
    everything the database would, so this is a gap there: logged, counted ``rejected``."""
    lines = str(error).strip().splitlines()
    summary = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    logger.warning(
        "game event refused by the database",
        extra={"source": item.event.source, "event_id": item.event.id, "error": summary[:300]},
    )
    with transaction.atomic():
        counters_add(Counter({(item.event.type, "rejected"): 1}))
    return IngestOutcome(
        "rejected", "storage_refused", f"The database refused the event: {summary}"[:500]
    )


@dataclass(frozen=True)
class SubmitResult:
    index: int
    id: str | None
    status: str
    code: str = ""
    reason: str = ""


def _validated(raw: Any) -> CloudEvent:
    # The envelope first: it refuses what json.dumps cannot take (deep nesting recurses,
    # an unpaired surrogate does not encode) before the size is measured.
    event = envelope_validate(raw)
    size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
    if size > max_event_bytes():
        raise EventRejected(
            "event_too_large",
            f"The event is {size} bytes; the limit is {max_event_bytes()}.",
            source=event.source,
            event_id=event.id,
        )
    return event


def _answerable_id(raw: Any) -> str | None:
    """The ``id`` of a refused event, to echo in its result, unless the response could not
    carry it (an unpaired surrogate does not encode as UTF-8)."""
    event_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(event_id, str) or (not event_id.isascii() and _SURROGATES.search(event_id)):
        return None
    return event_id


def events_submit(
    *, raw_events: Sequence[Any], caller: Title, channel: str = Channel.HTTP
) -> list[SubmitResult]:
    """HTTP ingest and the in-process simulator: validate parsed JSON events from ``caller``
    and record the valid ones in one transaction. One result per event, in order."""
    results: list[SubmitResult | None] = [None] * len(raw_events)
    valid: list[tuple[int, CloudEvent]] = []
    for index, raw in enumerate(raw_events):
        try:
            valid.append((index, _validated(raw)))
        except EventRejected as rejected:
            results[index] = SubmitResult(
                index, _answerable_id(raw), "rejected", rejected.code, rejected.reason
            )
    outcomes = events_ingest(events=[e for _, e in valid], channel=channel, caller=caller)
    for (index, event), outcome in zip(valid, outcomes, strict=True):
        results[index] = SubmitResult(index, event.id, outcome.status, outcome.code, outcome.reason)
    rejected_count = sum(1 for r in results if r is not None and r.status == "rejected")
    if rejected_count:
        event_counter_add(event_type=INVALID_TYPE, outcome="rejected", number=rejected_count)
    return [r for r in results if r is not None]


def _row_for(item: _Classified, channel: str) -> InboxEvent:
    state = InboxState.DEAD_LETTERED if item.state == "rejected" else item.state
    event = item.event
    return InboxEvent(
        source=event.source,
        event_id=event.id,
        title=item.title,
        event_type=event.type,
        version=event.version,
        subject=event.subject,
        occurred_at=event.time,
        channel=channel,
        state=state,
        reason=item.code,
        detail=item.reason,
        payload=event.raw,
    )


def _existing(classified: list[_Classified]) -> dict[tuple[str, str], InboxEvent]:
    # One ``event_id = ANY(...)`` per source (a batch usually has one): an OR of a pair per
    # event costs PostgreSQL a bitmap index scan per event (tens of ms at 200 events).
    ids_by_source: dict[str, set[str]] = {}
    for item in classified:
        ids_by_source.setdefault(item.event.source, set()).add(item.event.id)
    keys = Q()
    for source, ids in ids_by_source.items():
        keys |= Q(source=source, event_id__in=ids)
    # A plain read, no row locks: the unique (source, event_id) constraint is what keeps an
    # event once (a concurrent insert of the same id fails and the retry finds its row). A
    # ``FOR UPDATE`` here held ``received`` rows the applier claims with ``SKIP LOCKED``: it
    # skipped an older event, applied a newer one, then the older one after it.
    rows = InboxEvent.objects.filter(keys).only("id", "source", "event_id", "state")
    return {(row.source, row.event_id): row for row in rows}


def _record(
    classified: list[_Classified], *, channel: str, record_rejected: bool
) -> list[IngestOutcome]:
    outcomes: list[IngestOutcome] = []
    counts: Counter[tuple[str, str]] = Counter()
    new_rows: list[InboxEvent] = []
    with transaction.atomic():
        existing = _existing(classified) if classified else {}
        seen: set[tuple[str, str]] = set()
        for item in classified:
            key = (item.event.source, item.event.id)
            outcome = _outcome_of(item, key, existing, seen, record_rejected, new_rows, channel)
            outcomes.append(outcome)
            counts[
                (item.event.type, outcome.status if outcome.status != "accepted" else "received")
            ] += 1
            seen.add(key)
        rows_copy(InboxEvent, new_rows)  # one COPY on PostgreSQL
        counters_add(counts)
        if any(row.state == InboxState.RECEIVED for row in new_rows):
            _schedule_apply()
    return outcomes


def _outcome_of(
    item: _Classified,
    key: tuple[str, str],
    existing: dict[tuple[str, str], InboxEvent],
    seen: set[tuple[str, str]],
    record_rejected: bool,
    new_rows: list[InboxEvent],
    channel: str,
) -> IngestOutcome:
    if key in seen:
        return IngestOutcome("duplicate")
    previous = existing.get(key)
    rejected = item.state == "rejected"
    if previous is not None and previous.state != InboxState.DEAD_LETTERED:
        return IngestOutcome("duplicate")
    if rejected and not record_rejected:
        return IngestOutcome("rejected", item.code, item.reason)
    if previous is not None:
        # A dead-lettered event replayed: it gets the new verdict (replay after a fix). Only
        # while still dead-lettered; a concurrent replay's insert then fails and is retried.
        InboxEvent.objects.filter(id=previous.id, state=InboxState.DEAD_LETTERED).delete()
    new_rows.append(_row_for(item, channel))
    if rejected:
        return IngestOutcome("rejected", item.code, item.reason)
    if item.state == InboxState.IGNORED:
        return IngestOutcome("ignored", item.code, item.reason)
    return IngestOutcome("accepted")


def _schedule_apply() -> None:
    from apps.game_events.tasks import apply_wakeup_on_commit

    apply_wakeup_on_commit()


def inbox_requeue_failed(
    *, event_type: str | None = None, inbox_ids: Sequence[int] | None = None
) -> int:
    """Move ``failed`` rows back to ``received`` (after a handler fix) and schedule the apply.
    Other states are left alone, so requeueing an applied event can never apply it twice."""
    with transaction.atomic():
        rows = InboxEvent.objects.filter(state=InboxState.FAILED)
        if event_type:
            rows = rows.filter(event_type=event_type)
        if inbox_ids is not None:
            rows = rows.filter(id__in=inbox_ids)
        number = rows.update(
            state=InboxState.RECEIVED, reason="", detail="", updated_at=timezone.now()
        )
        if number:
            _schedule_apply()
    return number


__all__ = [
    "Channel",
    "IngestOutcome",
    "event_counter_add",
    "events_apply_pending",
    "events_ingest",
    "events_submit",
    "inbox_requeue_failed",
]
