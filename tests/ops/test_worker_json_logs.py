"""With LOG_FORMAT=json, a Celery worker's own lines are JSON objects, one per line, like every
other process's (a log shipper parses them; Celery's banner and plain-text format would not)."""

import json
import time

import pytest
from django.utils import timezone

from apps.titles.services import title_credential_create
from apps.titles.tasks import title_credential_mark_used_task
from tests.factories import TitleFactory
from tests.support.live import (
    PRODUCTION_WORKER_OPTIONS,
    run_celery_worker,
    tasks_through_broker,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_a_worker_with_json_logging_writes_its_own_lines_as_json(tmp_path):
    credential = title_credential_create(
        title=TitleFactory(), name="eu", scopes=["events:publish"]
    ).credential
    used_at = timezone.now().replace(microsecond=0)

    with run_celery_worker(tmp_path, options=PRODUCTION_WORKER_OPTIONS, LOG_FORMAT="json"):
        with tasks_through_broker():
            title_credential_mark_used_task.delay(credential.id, used_at.isoformat())
        deadline = time.monotonic() + 30
        while credential.last_used_at is None and time.monotonic() < deadline:
            time.sleep(0.2)
            credential.refresh_from_db()
        log = (tmp_path / "celery-worker.log").read_text()  # before Celery's shutdown notice

    lines = [line for line in log.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line: one JSON object
    messages = [record["message"] for record in records]
    assert credential.last_used_at == used_at
    assert any(message.endswith(" ready.") for message in messages)
    assert any(
        record["logger"].startswith("celery") and record["level"] == "INFO" for record in records
    )
    received = [m for m in messages if m.startswith("Task titles.credential_mark_used[")]
    assert any(m.endswith("] received") for m in received), received
    assert any("succeeded" in m for m in received), received
