"""The storage sweep (beat job ``ugc.storage_sweep``, hourly): nothing half-stored survives.

* Expired resumable-upload sessions: rows and chunks deleted.
* Orphan files: a file under ``ugc/<day>/`` of the last ``UGC_ORPHAN_SWEEP_DAYS`` days that
  no row points at and that is older than ``UGC_ORPHAN_GRACE_SECONDS`` (an upload may be
  between storing and committing) — left by a process killed in between — is deleted.
* Staging chunks whose session row is gone (a crash while deleting one) likewise.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.ugc.models import ItemVersion, Thumbnail, UploadSession
from apps.ugc.services.uploads import upload_sessions_expire
from apps.ugc.storage import FILES_PREFIX, STAGING_PREFIX, blob_delete, blob_list, ugc_storage

logger = logging.getLogger(__name__)


def _referenced(prefix: str) -> set[str]:
    names: set[str] = set()
    for file_name, preview_name in ItemVersion.objects.filter(
        file_name__startswith=prefix
    ).values_list("file_name", "preview_name"):
        names.update((file_name, preview_name))
    names.update(
        ItemVersion.objects.filter(preview_name__startswith=prefix).values_list(
            "preview_name", flat=True
        )
    )
    names.update(Thumbnail.objects.filter(name__startswith=prefix).values_list("name", flat=True))
    return names


def _is_old(name: str, cutoff: datetime) -> bool:
    try:
        return ugc_storage().get_modified_time(name) < cutoff
    except (FileNotFoundError, OSError):
        return False


def _orphan_files(now: datetime) -> list[str]:
    cutoff = now - timedelta(seconds=settings.UGC_ORPHAN_GRACE_SECONDS)
    orphans = []
    for days_ago in range(settings.UGC_ORPHAN_SWEEP_DAYS + 1):
        day = (now - timedelta(days=days_ago)).astimezone(UTC)
        prefix = f"{FILES_PREFIX}/{day:%Y/%m/%d}/"
        referenced = _referenced(prefix)
        orphans += [
            name
            for name in blob_list(prefix.rstrip("/"))
            if name not in referenced and _is_old(name, cutoff)
        ]
    return orphans


def _orphan_chunks(now: datetime) -> list[str]:
    cutoff = now - timedelta(seconds=settings.UGC_ORPHAN_GRACE_SECONDS)
    live = {
        session_uuid.hex for session_uuid in UploadSession.objects.values_list("uuid", flat=True)
    }
    return [
        name
        for name in blob_list(STAGING_PREFIX)
        if name.split("/")[1] not in live and _is_old(name, cutoff)
    ]


def storage_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """One sweep; idempotent (deleting twice is fine). Returns counts for the log."""
    now = now or timezone.now()
    expired = upload_sessions_expire(now=now)
    orphans = _orphan_files(now)
    chunks = _orphan_chunks(now)
    blob_delete(orphans + chunks)
    result = {
        "expired_uploads": expired,
        "orphan_files": len(orphans),
        "orphan_chunks": len(chunks),
    }
    if any(result.values()):
        logger.info("ugc storage sweep", extra=result)
    return result
