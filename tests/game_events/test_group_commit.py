"""Group commit: messages received one at a time share one inbox transaction, and each is
completed only once that transaction has committed."""

import pytest
from django.db import connection

from apps.game_events.consumer import EventConsumer
from apps.game_events.models import InboxEvent
from tests.game_events.events import cloud_event
from tests.game_events.servicebus import consumer_thread, publish, wait_until
from tests.servicebus.fixtures import SUBSCRIPTION_PATH

pytestmark = [pytest.mark.servicebus, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def settlements(monkeypatch):  # type: ignore[no-untyped-def]
    """For each settled message: its id, and whether its inbox row was committed by then
    (the consumer outside any transaction, and the row there)."""
    seen: list[tuple[str, bool]] = []
    settle = EventConsumer._settle

    def recording_settle(self, how, message, counter):  # type: ignore[no-untyped-def]
        committed = (
            not connection.in_atomic_block
            and InboxEvent.objects.filter(event_id=message.message_id).exists()
        )
        seen.append((message.message_id, committed))
        settle(self, how, message, counter)

    monkeypatch.setattr(EventConsumer, "_settle", recording_settle)
    return seen


def test_messages_received_one_at_a_time_share_a_transaction_and_apply_once(
    servicebus_broker, title, recorded, settlements
):
    ids = [f"g{i}" for i in range(12)]
    publish(servicebus_broker.connection_string, [cloud_event(event_id=i) for i in ids])

    with consumer_thread(
        servicebus_broker.connection_string, batch_size=1, prefetch=0, group_wait=5, group_max=6
    ) as consumer:
        wait_until(lambda: len(recorded.ids) == 12, what="12 applied events")
        wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)

    assert sorted(recorded.ids) == sorted(ids)
    assert consumer.stats.batches == 2  # 12 messages, at most 6 a group
    assert consumer.stats.completed == 12
    assert sorted(settlements) == sorted((i, True) for i in ids)
    assert set(InboxEvent.objects.values_list("state", flat=True)) == {"applied"}


def test_a_group_with_invalid_messages_dead_letters_them_and_applies_the_rest(
    servicebus_broker, title, recorded, settlements
):
    events = [cloud_event(event_id="ok-1"), b"{not json", cloud_event(event_id="ok-2")]
    publish(servicebus_broker.connection_string, events)

    with consumer_thread(
        servicebus_broker.connection_string, batch_size=1, prefetch=0, group_wait=5, group_max=3
    ) as consumer:
        wait_until(lambda: len(recorded.ids) == 2, what="2 applied events")
        dead = wait_until(
            lambda: servicebus_broker.dead_letter_messages(SUBSCRIPTION_PATH), what="dead letter"
        )

    assert sorted(recorded.ids) == ["ok-1", "ok-2"]
    assert consumer.stats.batches == 1
    assert [m["dead_letter_reason"] for m in dead] == ["invalid_json"]
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0
    completed = [(i, ok) for i, ok in settlements if i in ("ok-1", "ok-2")]
    assert sorted(completed) == [("ok-1", True), ("ok-2", True)]


def test_a_lone_message_is_not_held_back_waiting_for_a_group(servicebus_broker, title, recorded):
    with consumer_thread(
        servicebus_broker.connection_string, batch_size=1, prefetch=0, group_wait=0.2
    ) as consumer:
        publish(servicebus_broker.connection_string, [cloud_event(event_id="alone")])
        wait_until(lambda: recorded.ids == ["alone"], what="the lone event")
        publish(servicebus_broker.connection_string, [cloud_event(event_id="next")])
        wait_until(lambda: recorded.ids == ["alone", "next"], what="the next event")

    assert consumer.stats.batches == 2
    assert consumer.stats.completed == 2
