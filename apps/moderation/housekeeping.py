"""Housekeeping only: no sanction depends on a job (the enforcement check compares times, so a
sanction ends at its expiry to the microsecond). This drops automod hits past their use and
releases claims a moderator left behind."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.moderation.models import AutomodHit, CaseStatus, ReportCase

HIT_RETENTION = timedelta(days=30)


def moderation_cleanup() -> dict[str, int]:
    """Idempotent: run it as often as you like."""
    now = timezone.now()
    pruned, _ = AutomodHit.objects.filter(created_at__lt=now - HIT_RETENTION).delete()
    stale = now - timedelta(minutes=settings.MODERATION_CLAIM_MINUTES)
    released = ReportCase.objects.filter(status=CaseStatus.OPEN, claimed_at__lt=stale).update(
        claimed_by=None, claimed_at=None, updated_at=now
    )
    return {"hits_pruned": pruned, "claims_released": released}
