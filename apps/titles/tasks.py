from datetime import datetime

from celery import shared_task

from apps.titles.services import title_credential_mark_used


@shared_task(name="titles.credential_mark_used", soft_time_limit=30, time_limit=60)
def title_credential_mark_used_task(credential_id: int, used_at: str) -> None:
    title_credential_mark_used(credential_id=credential_id, used_at=datetime.fromisoformat(used_at))
