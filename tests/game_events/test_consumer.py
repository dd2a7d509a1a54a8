import json
import time

import pytest
from azure.servicebus import ServiceBusClient

from apps.game_events.consumer import ConsumerConfig, EventConsumer
from apps.game_events.models import EventCounter, InboxEvent
from tests.game_events.events import cloud_event, inbox_refusing
from tests.game_events.servicebus import consumer_thread, publish, wait_until
from tests.servicebus.fixtures import SUBSCRIPTION, SUBSCRIPTION_PATH, TOPIC

pytestmark = [pytest.mark.servicebus, pytest.mark.django_db(transaction=True)]


def _states() -> dict[str, str]:
    return dict(InboxEvent.objects.values_list("event_id", "state"))


def test_events_published_with_the_sdk_are_applied_and_completed(
    servicebus_broker, title, recorded
):
    publish(servicebus_broker.connection_string, [cloud_event(event_id=f"e{i}") for i in range(5)])

    with consumer_thread(servicebus_broker.connection_string) as consumer:
        wait_until(lambda: len(recorded.ids) == 5, what="5 applied events")
        wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)

    assert sorted(recorded.ids) == [f"e{i}" for i in range(5)]
    assert set(_states().values()) == {"applied"}
    assert consumer.stats.completed == 5
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 0


def test_poison_messages_are_dead_lettered_with_reasons_and_the_consumer_keeps_going(
    servicebus_broker, title, recorded, settings
):
    settings.GAME_EVENTS_MAX_EVENT_BYTES = 4096
    no_id = cloud_event()
    del no_id["id"]
    poison = [
        b"{not json",
        cloud_event(event_id="bad-schema", data={"level": "high"}),
        no_id,
        cloud_event(event_id="huge", data={"pad": "x" * 5000}),
        cloud_event(event_id="other-title", source="/titles/not-ours"),
    ]
    publish(servicebus_broker.connection_string, [*poison, cloud_event(event_id="good")])

    with consumer_thread(servicebus_broker.connection_string):
        wait_until(lambda: recorded.ids == ["good"], what="the valid event")
        dead = wait_until(
            lambda: (
                (m := servicebus_broker.dead_letter_messages(SUBSCRIPTION_PATH))
                and len(m) == 5
                and m
            ),
            what="5 dead letters",
        )

    reasons = sorted((m["dead_letter_reason"], m["dead_letter_description"]) for m in dead)
    assert reasons == [
        ("event_too_large", "The event is 5193 bytes; the limit is 4096."),
        ("invalid_json", "The event is not valid JSON: Expecting property name enclosed in "
                         "double quotes: line 1 column 2 (char 1)"),
        ("missing_attribute", "'id' is required."),
        ("schema_violation", "$: 'player' is a required property"),
        ("unknown_title", "'source' names no active title."),
    ]  # fmt: skip
    assert _states() == {
        "good": "applied",
        "bad-schema": "dead_lettered",
        "other-title": "dead_lettered",
    }
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0
    counters = {(c.event_type, c.outcome): c.count for c in EventCounter.objects.all()}
    assert counters[("(invalid)", "dead_lettered")] == 3
    assert counters[("player.progressed", "rejected")] == 2


def test_lost_completions_redeliver_but_apply_once(servicebus_broker, title, recorded):
    servicebus_broker.drop_completions = True
    publish(servicebus_broker.connection_string, [cloud_event(event_id=f"d{i}") for i in range(3)])

    with consumer_thread(servicebus_broker.connection_string):
        # Locks last 5 s: every message comes back at least once while completions are lost.
        wait_until(
            lambda: any(
                m["delivery_count"] >= 1 for m in servicebus_broker.messages(SUBSCRIPTION_PATH)
            ),
            timeout=20,
            what="a redelivery",
        )
        servicebus_broker.drop_completions = False
        wait_until(
            lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0, timeout=30
        )

    assert servicebus_broker.dropped_completions >= 3
    assert sorted(recorded.ids) == ["d0", "d1", "d2"]
    counters = {(c.event_type, c.outcome): c.count for c in EventCounter.objects.all()}
    assert counters[("player.progressed", "applied")] == 3
    assert counters[("player.progressed", "duplicate")] >= 3
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 0


def test_republished_ids_are_applied_once(servicebus_broker, title, recorded):
    events = [cloud_event(event_id="same"), cloud_event(event_id="same")]
    publish(servicebus_broker.connection_string, events)

    with consumer_thread(servicebus_broker.connection_string):
        wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)
        publish(servicebus_broker.connection_string, [cloud_event(event_id="same")])
        wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)

    assert recorded.ids == ["same"]
    assert InboxEvent.objects.count() == 1


def test_the_consumer_reconnects_after_a_broker_restart(servicebus_broker, title, recorded):
    with consumer_thread(servicebus_broker.connection_string) as consumer:
        publish(servicebus_broker.connection_string, [cloud_event(event_id="before")])
        wait_until(lambda: recorded.ids == ["before"])
        # Settled, so the consumer is waiting in a receive call when the broker goes away.
        wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)

        servicebus_broker.restart()
        publish(servicebus_broker.connection_string, [cloud_event(event_id="after")])
        wait_until(lambda: recorded.ids == ["before", "after"], timeout=60, what="after restart")

    assert consumer.stats.reconnects >= 1
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0


def test_locks_are_renewed_while_a_slow_batch_is_processed(servicebus_broker, title, recorded):
    import time

    from apps.game_events.registry import handler_register, handler_unregister

    def slow(event):
        time.sleep(7)  # longer than the broker's 5 s lock

    handler_register("player.progressed", slow)
    try:
        publish(servicebus_broker.connection_string, [cloud_event(event_id="slow")])
        with consumer_thread(servicebus_broker.connection_string) as consumer:
            wait_until(lambda: recorded.ids == ["slow"], what="the slow event")
            wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)
    finally:
        handler_unregister("player.progressed", slow)

    assert consumer.stats.completed == 1
    assert consumer.stats.settle_failures == 0
    counters = {(c.event_type, c.outcome): c.count for c in EventCounter.objects.all()}
    assert ("player.progressed", "duplicate") not in counters  # never redelivered


def test_messages_the_sdk_already_buffered_are_handed_over_without_the_full_wait(
    servicebus_broker,
):
    """The SDK returns messages it read ahead (here while the first batch was completed)
    only when a call's wait ends, unless a new one comes: the tail of a burst must not sit
    out the whole ``max_wait`` (30 s here) before the consumer sees it. Driven through the
    consumer's receive step: in ``run()`` the read-ahead races the settling of a group."""
    config = ConsumerConfig.from_settings(
        connection_string=servicebus_broker.connection_string, topic=TOPIC,
        subscription=SUBSCRIPTION, batch_size=32, prefetch=64, max_wait=30.0, group_wait=0.0,
    )  # fmt: skip
    consumer = EventConsumer(config)
    publish(servicebus_broker.connection_string, [cloud_event(event_id=f"b{i}") for i in range(40)])
    client = ServiceBusClient.from_connection_string(config.connection_string)
    try:
        with client, consumer._receiver(client) as receiver:
            first = consumer._receive_group(receiver)
            for message in first:  # settling reads the other 8 into the SDK's buffer
                receiver.complete_message(message)
            started = time.monotonic()
            rest = consumer._receive_group(receiver)
            waited = time.monotonic() - started
            # Before the fix: 30 s, by when the test broker's locks (5 s) had expired.
            assert (len(first), len(rest)) == (32, 8)
            assert waited < 5, f"the last 8 waited {waited:.1f} s"
            for message in rest:
                receiver.complete_message(message)
    finally:
        consumer.database.shutdown()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sqlstate", "error"), [("22023", "DataError"), ("23514", "IntegrityError")]
)
def test_a_message_the_database_refuses_is_dead_lettered_alone_and_its_group_mates_complete(
    servicebus_broker, title, recorded, sqlstate, error
):
    """One poison message in a group of six: the group's transaction fails, the consumer
    isolates the message (the others are recorded in transactions of their own), dead-letters
    it with the database's reason and completes the five, each applied once and never
    redelivered. Before: the whole group was abandoned, again and again, until every message
    was dead-lettered at the max delivery count."""
    ids = ["ok-0", "ok-1", "ok-2", "poison-3", "ok-4", "ok-5"]
    publish(servicebus_broker.connection_string, [cloud_event(event_id=i) for i in ids])

    with (
        inbox_refusing("poison", sqlstate=sqlstate),
        consumer_thread(
            servicebus_broker.connection_string, batch_size=1, prefetch=0, group_wait=5, group_max=6
        ) as consumer,
    ):
        wait_until(lambda: len(recorded.ids) == 5, what="5 applied events")
        dead = wait_until(
            lambda: servicebus_broker.dead_letter_messages(SUBSCRIPTION_PATH), what="dead letter"
        )
        wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)

    assert sorted(recorded.ids) == ["ok-0", "ok-1", "ok-2", "ok-4", "ok-5"]
    assert consumer.stats.batches == 1  # all six shared one group
    assert (consumer.stats.completed, consumer.stats.dead_lettered) == (5, 1)
    assert consumer.stats.abandoned == 0
    assert [(m["message_id"], m["dead_letter_reason"]) for m in dead] == [
        ("poison-3", "storage_refused")
    ]
    assert dead[0]["dead_letter_description"] == (
        f"The database refused the event: {error}: refused event poison-3"
    )
    assert _states() == {i: "applied" for i in ids if i != "poison-3"}
    counters = {(c.event_type, c.outcome): c.count for c in EventCounter.objects.all()}
    assert counters[("player.progressed", "applied")] == 5
    assert counters[("player.progressed", "rejected")] == 1
    assert ("player.progressed", "duplicate") not in counters  # nothing was redelivered


def test_messages_the_database_could_not_store_are_refused_with_a_reason_on_arrival(
    servicebus_broker, title, recorded
):
    """The HTTP rules hold over Service Bus: each such message is dead-lettered with its own
    code before it reaches the database, and the consumer neither crashes nor reconnects."""
    deep = "[" * 5000 + "]" * 5000
    nested: dict = {"leaf": 1}
    for _ in range(40):
        nested = {"n": nested}
    bad = [
        cloud_event(event_id="nul", subject="m\x0042"),
        cloud_event(event_id="lone", data={"player": {"provider": "custom",
                                                      "external_id": "x\ud800"}}),
        cloud_event("player.teleported", event_id="nested", data=nested),
        cloud_event("player.teleported", event_id="nan", data={"x": "NAN"}),
        cloud_event(event_id="year-1", time="0001-01-01T00:00:00+01:00"),
        cloud_event(event_id="long", subject="s" * 201),
        cloud_event(event_id="tab", data={"player": {"provider": "custom",
                                                     "external_id": "a\tb"}, "level": 1, "xp": 1}),
    ]  # fmt: skip
    bodies: list = [json.dumps(e).replace('"NAN"', "NaN") for e in bad]
    bodies.append(
        json.dumps(cloud_event(event_id="too-deep", data={"x": 0})).replace("0}", deep + "}")
    )
    publish(servicebus_broker.connection_string, [*bodies, cloud_event(event_id="good")])

    with consumer_thread(servicebus_broker.connection_string) as consumer:
        wait_until(lambda: recorded.ids == ["good"], what="the valid event")
        dead = wait_until(
            lambda: (
                (m := servicebus_broker.dead_letter_messages(SUBSCRIPTION_PATH))
                and len(m) == 8
                and m
            ),
            what="8 dead letters",
        )

    reasons = {m["dead_letter_description"][:40]: m["dead_letter_reason"] for m in dead}
    assert sorted(reasons.items()) == sorted({
        "$.subject contains a NUL character (U+00": "invalid_character",
        "$.data.player.external_id contains an un": "invalid_character",
        "The event nests objects and arrays deepe": "nesting_too_deep",
        "$.data.x is not a finite number (JSON ha": "invalid_number",
        "'time' must lie between 2000-01-01T00:00": "time_out_of_range",
        "'subject' must be at most 200 characters": "invalid_attribute",
        "$.player.external_id: 'a\\tb' does not ma": "schema_violation",
        "The event is nested too deeply to parse.": "invalid_json",
    }.items())  # fmt: skip
    assert consumer.stats.reconnects == 0
    assert consumer.stats.abandoned == 0
    assert _states() == {"good": "applied", "tab": "dead_lettered"}
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0
