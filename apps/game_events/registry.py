"""Handlers per event type: how other apps react to game events without touching the consumer.

An app registers in its ``AppConfig.ready()``::

    from apps.game_events.registry import event_handler

    @event_handler("match.completed")
    def guild_stats_on_match(event: HandledEvent) -> None: ...

Contract for handlers: they run inside the transaction that marks the inbox row applied (in
a savepoint per attempt), so they must only write the database and schedule anything that
leaves it with ``transaction.on_commit``. They call the owning app's services, never another
app's models. An exception marks the event ``failed`` (with the error) and rolls back only
that event (the applier finds it and applies it alone); database connectivity errors abort
the whole batch so it is retried.

A type with no handler for its version is recorded as ``ignored`` (reason ``no_handler``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apps.titles.models import Title


@dataclass(frozen=True)
class HandledEvent:
    id: str
    source: str
    type: str
    version: int
    time: datetime
    subject: str
    data: dict[str, Any]
    title: Title
    # Shared by the events of one applier transaction: handlers may memoize lookups here
    # (e.g. identity -> player); never valid beyond the transaction.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


Handler = Callable[[HandledEvent], None]
CoalesceKey = Callable[[HandledEvent], str]

_handlers: dict[tuple[str, int], list[Handler]] = {}
_coalesce_keys: dict[Handler, CoalesceKey] = {}
BatchPreparer = Callable[[list[HandledEvent]], None]
_preparers: list[BatchPreparer] = []
# A handler's bulk form: applies many events at once (the batch's events of every type and
# version the handler is registered for, in order); returns the refused ones (index in that
# list -> error), which end ``failed``.
BatchHandler = Callable[[list[HandledEvent]], dict[int, Exception]]
_batch_forms: dict[Handler, BatchHandler] = {}


def batch_preparer(preparer: BatchPreparer) -> BatchPreparer:
    """Register a function the applier calls once per batch, before the handlers, with the
    batch's events (sharing one ``memo``): the place to load in bulk what the handlers would
    otherwise look up one event at a time (e.g. every player the batch names). It must only
    read; if it raises, the handlers simply do their own lookups."""
    if preparer not in _preparers:
        _preparers.append(preparer)
    return preparer


def batch_preparers() -> list[BatchPreparer]:
    return list(_preparers)


def handler_register(
    event_type: str,
    handler: Handler,
    *,
    versions: tuple[int, ...] = (1,),
    coalesce_key: CoalesceKey | None = None,
    batch: BatchHandler | None = None,
) -> None:
    """Register ``handler`` for ``event_type`` at each of ``versions``; idempotent.

    ``coalesce_key``: only for a handler whose effect is fully determined by the latest event
    of a key (e.g. "set this player's level"): within one applier batch it then runs only for
    the last event of each key; the earlier ones are applied without calling it.

    ``batch``: the handler's bulk form (same effects, a few queries for a whole batch). The
    applier's fast path calls it once per batch with all the batch's events the handler is
    registered for, before the per-event handlers; ``handler`` itself runs instead when an
    event is applied alone (after a handler's error), so the two must have the same effects.
    """
    if coalesce_key is not None:
        _coalesce_keys[handler] = coalesce_key
    if batch is not None:
        _batch_forms[handler] = batch
    for version in versions:
        registered = _handlers.setdefault((event_type, version), [])
        if handler not in registered:
            registered.append(handler)


def handler_unregister(
    event_type: str, handler: Handler, *, versions: tuple[int, ...] = (1,)
) -> None:
    for version in versions:
        registered = _handlers.get((event_type, version), [])
        if handler in registered:
            registered.remove(handler)


def event_handler(
    event_type: str,
    *,
    versions: tuple[int, ...] = (1,),
    coalesce_key: CoalesceKey | None = None,
    batch: BatchHandler | None = None,
) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        handler_register(
            event_type, handler, versions=versions, coalesce_key=coalesce_key, batch=batch
        )
        return handler

    return decorate


def handlers_for(event_type: str, version: int) -> list[Handler]:
    return list(_handlers.get((event_type, version), []))


def coalesce_key_of(handler: Handler) -> CoalesceKey | None:
    return _coalesce_keys.get(handler)


def batch_form_of(handler: Handler) -> BatchHandler | None:
    return _batch_forms.get(handler)
