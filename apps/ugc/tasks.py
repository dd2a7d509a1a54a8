"""Celery interfaces of UGC: ids in, one service call, idempotent (late-acked)."""

from azure.core.exceptions import AzureError
from celery import shared_task
from django.db import InterfaceError, OperationalError

from apps.ugc.services.sweep import storage_sweep
from apps.ugc.services.thumbnails import version_thumbnails_make
from apps.ugc.services.trending import trending_recompute
from apps.ugc.services.versions import subscribers_notify

# Transient failures worth retrying: the database or the storage (network, Azure 5xx).
TRANSIENT = (OperationalError, InterfaceError, AzureError, OSError)


@shared_task(
    name="ugc.thumbnails_make",
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=6,
    soft_time_limit=120,
    time_limit=150,
)
def thumbnails_make_task(version_id: int) -> str:
    """Thumbnails of one version (idempotent: existing sizes are skipped)."""
    return version_thumbnails_make(version_id=version_id)


@shared_task(
    name="ugc.subscribers_notify",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=6,
    soft_time_limit=240,
    time_limit=300,
)
def subscribers_notify_task(version_id: int) -> int:
    """Notify an item's subscribers of a new version (once per version)."""
    return subscribers_notify(version_id=version_id)


@shared_task(name="ugc.trending_recompute", soft_time_limit=240, time_limit=300)
def trending_recompute_task() -> int:
    """Recompute trending scores (beat, every 10 minutes)."""
    return trending_recompute()


@shared_task(name="ugc.storage_sweep", soft_time_limit=600, time_limit=660)
def storage_sweep_task() -> dict[str, int]:
    """Delete expired upload sessions and orphan files (beat, hourly)."""
    return storage_sweep()
