"""Celery interfaces of the game-event pipeline (idempotent, late-acked)."""

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from apps.game_events.services import events_apply_pending

# Bounded so one run stays well inside the task time limit; more work re-enqueues the task.
BATCHES_PER_RUN = 20


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
    """Apply ``received`` inbox events in batches. Not keyed per event on purpose: every run
    claims whatever is pending (SKIP LOCKED), so a duplicate or extra run is a cheap no-op and a
    lost run is covered by the next one (and by the beat schedule)."""
    applied = 0
    for _ in range(BATCHES_PER_RUN):
        # In-process (eager) runs wait for the lock: a retry there would recurse at once.
        claimed = events_apply_pending(wait=bool(self.request.is_eager))
        if claimed is None:
            # Another applier is running; it may finish before seeing our rows, so come back.
            raise self.retry(countdown=1)
        applied += claimed
        if claimed == 0:
            return applied
    events_apply_pending_task.delay()
    return applied
