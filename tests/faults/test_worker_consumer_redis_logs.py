"""Redis (the task broker) goes away under the Service Bus consumer: the consumer says so in one
line that names Redis, not as a Service Bus error, and records every event once it answers."""

import json

import pytest

from apps.game_events.models import InboxEvent
from apps.players.models import PlayerTitleStats
from tests.factories import TitleFactory
from tests.game_events.events import cloud_event
from tests.game_events.servicebus import consumer_process, publish, wait_until
from tests.servicebus.fixtures import SUBSCRIPTION_PATH
from tests.support.live import run_celery_worker

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.servicebus,
    pytest.mark.django_db(transaction=True),
]


def _progress(level: int) -> dict:
    player = {"provider": "custom", "external_id": "consumer-redis"}
    data = {"player": player, "level": level, "xp": level}
    return cloud_event("player.progressed", event_id=f"consumer-redis-{level}", data=data)


def _records(log_path) -> list[dict]:  # type: ignore[no-untyped-def]
    records = []
    for line in log_path.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def test_a_redis_outage_under_the_consumer_is_logged_as_redis_not_service_bus(
    throwaway_redis, servicebus_broker, tmp_path
):
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    connection_string = servicebus_broker.connection_string
    log_path = tmp_path / "consumer.log"

    with consumer_process(
        connection_string,
        log_path,
        CELERY_BROKER_URL=throwaway_redis.url(1),
        REDIS_URL=throwaway_redis.url(0),
        LOG_FORMAT="json",
    ):
        publish(connection_string, [_progress(1)])
        wait_until(lambda: InboxEvent.objects.count() == 1, timeout=60, what="first recorded")
        throwaway_redis.stop()
        publish(connection_string, [_progress(2)])
        wait_until(
            lambda: any("redis" in r["message"].lower() for r in _records(log_path)),
            timeout=60,
            what="a line about Redis",
        )
        throwaway_redis.start()
        wait_until(
            lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0,
            timeout=60,
            what="every message settled",
        )

    records = _records(log_path)
    warnings = [r for r in records if r["level"] in {"WARNING", "ERROR", "CRITICAL"}]
    about_redis = [r for r in warnings if "redis" in r["message"].lower()]
    assert about_redis, warnings
    assert all("exception" not in r for r in about_redis)  # one line, no traceback
    assert not [r for r in warnings if "service bus" in r["message"].lower()], warnings
    assert not [r for r in warnings if "exception" in r], warnings
    assert sorted(InboxEvent.objects.values_list("event_id", flat=True)) == [
        "consumer-redis-1",
        "consumer-redis-2",
    ]
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 0


@pytest.mark.celery_worker
def test_after_a_broker_outage_the_next_commit_wakes_the_applier_at_once(
    throwaway_redis, servicebus_broker, tmp_path
):
    """The broker refused the wake-up after the cache had marked one as queued: the mark is
    taken back, so the first commit once the broker answers queues a run, rather than every
    commit trusting a task that never went out until the mark expires."""
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    connection_string = servicebus_broker.connection_string
    broker = throwaway_redis.url(1)  # the cache stays on the session's Redis
    log_path = tmp_path / "consumer.log"

    with consumer_process(connection_string, log_path, CELERY_BROKER_URL=broker, LOG_FORMAT="json"):
        wait_until(lambda: "consumer receiving" in log_path.read_text(), what="the consumer up")
        throwaway_redis.stop()
        publish(connection_string, [_progress(1)])
        wait_until(lambda: InboxEvent.objects.count() == 1, timeout=60, what="first recorded")
        wait_until(
            lambda: any("redis" in r["message"].lower() for r in _records(log_path)),
            timeout=60,
            what="the refused wake-up",
        )
        throwaway_redis.start()
        with run_celery_worker(tmp_path, CELERY_BROKER_URL=broker):
            publish(connection_string, [_progress(2)])
            wait_until(
                lambda: InboxEvent.objects.filter(state="applied").count() == 2,
                timeout=30,  # the wake-up mark lives 60 s: a stale one would outlast this
                what="both events applied",
            )

    assert PlayerTitleStats.objects.get().level == 2
