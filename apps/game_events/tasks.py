"""Celery interfaces of the game-event pipeline (idempotent, late-acked)."""

import contextlib
import logging
import time

from celery import Task, shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction

from apps.game_events.services import events_apply_pending

logger = logging.getLogger(__name__)

# Set while a wake-up (an apply task) is queued and has not started: commits in between need
# no task of their own, the queued one will see their rows.
WAKEUP_KEY = "game_events:apply_wakeup"


def apply_wakeup() -> None:
    """Queue an apply run unless one is already queued (``WAKEUP_KEY``): a burst of inbox
    commits queues one task, not one per commit. The key expires after
    ``GAME_EVENTS_APPLY_WAKEUP_TTL_SECONDS``, so a lost task is replaced by the next commit's
    (and beat runs the task every minute anyway)."""
    try:
        queued = not cache.add(WAKEUP_KEY, 1, timeout=settings.GAME_EVENTS_APPLY_WAKEUP_TTL_SECONDS)
    except Exception as error:  # the cache is down: better a spare task than none
        # One line, no traceback: an outage of Redis is logged as such, once per wake-up.
        logger.warning(
            "apply wake-up not coalesced: redis (cache) unavailable", extra={"error": str(error)}
        )
        events_apply_pending_task.delay()
        return
    if queued:
        return
    try:
        events_apply_pending_task.delay()
    except Exception:
        # No task went out: a key left behind would hold back every commit's wake-up until it
        # expired, with nothing queued to apply them.
        with contextlib.suppress(Exception):
            cache.delete(WAKEUP_KEY)
        raise


def apply_wakeup_at_start() -> None:
    """Queue an apply run whatever the key says; for a process that records events, when it
    starts. A predecessor killed between setting the key and sending its task (a crash, a
    SIGKILL, the supervisor's restart) left a key with no task behind it: until it expired,
    every commit would count on that task, and after the last commit nothing would apply the
    events but beat. The run this queues clears the key when it starts; if nothing is pending
    it is a cheap no-op."""
    events_apply_pending_task.delay()


def apply_wakeup_on_commit() -> None:
    transaction.on_commit(apply_wakeup)


def _wakeup_taken() -> None:
    """The queued wake-up has started: a commit from now on needs a new one."""
    try:
        cache.delete(WAKEUP_KEY)
    except Exception:
        logger.warning("apply wake-up key not cleared: cache unavailable", exc_info=True)


@shared_task(
    bind=True,
    name="game_events.apply_pending",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=None,
    soft_time_limit=120,
    time_limit=150,
)
def events_apply_pending_task(self: Task) -> int:
    """Apply ``received`` inbox events in batches, oldest first, until none is left or the run
    reached ``GAME_EVENTS_APPLY_RUN_MAX_EVENTS`` events or ``GAME_EVENTS_APPLY_RUN_SECONDS``
    (well inside the time limits: a batch that starts before the bound still finishes); the
    rest goes to the next run, queued through the coalesced wake-up.

    Not keyed per event on purpose: every run claims whatever is pending (SKIP LOCKED), so an
    extra run is a cheap no-op and a lost one is covered by the next. While another run holds
    the applier lock this one waits for it (one batch at most) rather than retrying."""
    _wakeup_taken()
    deadline = time.monotonic() + settings.GAME_EVENTS_APPLY_RUN_SECONDS
    batch_size = settings.GAME_EVENTS_APPLY_BATCH_SIZE
    applied = 0
    while True:
        claimed = events_apply_pending(batch_size=batch_size, wait=True) or 0
        applied += claimed
        if claimed < batch_size:
            return applied  # nothing left that was committed before this run started
        if applied >= settings.GAME_EVENTS_APPLY_RUN_MAX_EVENTS or time.monotonic() >= deadline:
            break
    apply_wakeup()
    return applied
