import time

import pytest
from django.utils import timezone

from apps.titles.services import title_credential_create
from apps.titles.tasks import title_credential_mark_used_task
from tests.factories import TitleFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_sent_through_the_broker(celery_worker):
    credential = title_credential_create(
        title=TitleFactory(), name="eu", scopes=["events:publish"]
    ).credential
    used_at = timezone.now().replace(microsecond=0)

    title_credential_mark_used_task.delay(credential.id, used_at.isoformat())

    deadline = time.monotonic() + 20
    while credential.last_used_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
        credential.refresh_from_db()
    assert credential.last_used_at == used_at
