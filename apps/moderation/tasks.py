"""Periodic jobs (scheduled in settings CELERY_BEAT_SCHEDULE); each is idempotent."""

from celery import shared_task

from apps.moderation.housekeeping import moderation_cleanup


@shared_task(name="moderation.cleanup", soft_time_limit=250, time_limit=300)
def moderation_cleanup_task() -> dict[str, int]:
    """Prune old automod hits and release lapsed claims (sanctions need no job)."""
    return moderation_cleanup()
