"""`celery -A community worker` runs the consumer (bootstep) and applies effects as tasks."""

import pytest

from apps.game_events.models import InboxEvent
from tests.game_events import scenario
from tests.game_events.servicebus import publish, wait_until
from tests.servicebus.fixtures import SUBSCRIPTION_PATH
from tests.support.live import run_celery_worker

pytestmark = [
    pytest.mark.servicebus,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_the_worker_consumes_and_applies_every_event_type_then_stops_gracefully(
    servicebus_broker, title, live_tmp
):
    alice, bob = scenario.players(title)
    connection_string = servicebus_broker.connection_string

    with run_celery_worker(
        live_tmp, SERVICEBUS_CONNECTION_STRING=connection_string, SERVICEBUS_MAX_WAIT_SECONDS="0.5"
    ) as worker:
        publish(connection_string, scenario.first_half())
        scenario.check_first_half(alice, wait_until)
        publish(connection_string, scenario.second_half())
        scenario.check_second_half(alice, bob, wait_until)
    log = (live_tmp / "celery-worker.log").read_text()

    assert worker.returncode == 0
    assert "Task game_events.apply_pending" in log  # effects ran as worker tasks
    assert "stopped: batches=" in log  # the consumer got SIGTERM and finished cleanly
    assert InboxEvent.objects.filter(state="applied").count() == 8  # player.sanctioned too
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH) == {
        "active": 0, "available": 0, "locked": 0, "deferred": 0, "dead_letter": 0,
    }  # fmt: skip
