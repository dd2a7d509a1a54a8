"""Periodic jobs (scheduled in settings CELERY_BEAT_SCHEDULE); each is idempotent."""

from celery import shared_task

from apps.players.data_rights import deletion_purge
from apps.players.presence import presence_sweep


@shared_task(name="players.presence_sweep", soft_time_limit=50, time_limit=60)
def presence_sweep_task() -> dict[str, int]:
    """Offline for every user whose connections all lapsed (a crashed server's sockets)."""
    return presence_sweep()


@shared_task(name="players.deletion_purge", soft_time_limit=600, time_limit=660)
def deletion_purge_task() -> int:
    """Erase accounts whose deletion grace period has passed."""
    return deletion_purge()
