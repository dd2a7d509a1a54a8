"""The Service Bus test double against the real azure-servicebus SDK (no mocks).

Timings: opening a sender/receiver costs ~0.5 s with the SDK, so tests reuse them and keep
lock durations and ``max_wait_time`` short.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("proton", reason="python-qpid-proton is not installed")

from azure.servicebus import (
    AutoLockRenewer,
    ServiceBusClient,
    ServiceBusMessage,
    ServiceBusReceiveMode,
    ServiceBusSubQueue,
)
from azure.servicebus.exceptions import (
    MessageLockLostError,
    MessagingEntityNotFoundError,
    ServiceBusConnectionError,
)

from .broker import ServiceBusBroker
from .fixtures import (
    QUEUE,
    SUBSCRIPTION,
    SUBSCRIPTION_PATH,
    TOPIC,
    servicebus_broker,
)

pytestmark = [pytest.mark.servicebus, pytest.mark.timeout(60)]

__all__ = ["servicebus_broker"]  # re-exported so pytest sees the fixture in this module

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker() -> Iterator[ServiceBusBroker]:
    """Short locks (1 s) and max delivery count 3, for expiry-related tests."""
    with ServiceBusBroker(lock_duration=1.0, max_delivery_count=3) as b:
        b.create_queue("q")
        b.create_topic(TOPIC)
        b.create_subscription(TOPIC, SUBSCRIPTION)
        yield b
    assert not b.errors, b.errors


def client(b: ServiceBusBroker) -> ServiceBusClient:
    return ServiceBusClient.from_connection_string(b.connection_string)


def receive(receiver, count: int, deadline: float = 8.0) -> list:
    """receive_messages returns early after the first message: loop until ``count`` arrive."""
    got: list = []
    end = time.monotonic() + deadline
    while len(got) < count and time.monotonic() < end:
        got.extend(receiver.receive_messages(max_message_count=count - len(got), max_wait_time=1))
    return got


def test_queue_send_receive_complete(servicebus_broker: ServiceBusBroker) -> None:
    with client(servicebus_broker) as sb:
        with sb.get_queue_sender(QUEUE) as sender:
            sender.send_messages(
                ServiceBusMessage("hello", message_id="evt-1", application_properties={"k": "v"})
            )
        assert servicebus_broker.entity_counts(QUEUE)["active"] == 1
        with sb.get_queue_receiver(QUEUE) as receiver:
            (msg,) = receive(receiver, 1)
            assert str(msg) == "hello"
            assert msg.message_id == "evt-1"
            assert msg.application_properties == {b"k": b"v"}
            assert msg.delivery_count == 0
            assert msg.sequence_number == 1
            assert msg.lock_token is not None
            now = datetime.datetime.now(datetime.UTC)
            assert now < msg.locked_until_utc <= now + datetime.timedelta(seconds=6)
            assert msg.enqueued_time_utc <= now
            assert servicebus_broker.entity_counts(QUEUE)["locked"] == 1
            receiver.complete_message(msg)
    assert servicebus_broker.entity_counts(QUEUE) == {
        "active": 0,
        "available": 0,
        "locked": 0,
        "deferred": 0,
        "dead_letter": 0,
    }


def test_topic_fans_out_to_each_subscription(servicebus_broker: ServiceBusBroker) -> None:
    servicebus_broker.create_subscription(TOPIC, "audit")
    with client(servicebus_broker) as sb:
        with sb.get_topic_sender(TOPIC) as sender:
            sender.send_messages([ServiceBusMessage("e1"), ServiceBusMessage("e2")])
        for sub in (SUBSCRIPTION, "audit"):
            with sb.get_subscription_receiver(TOPIC, sub) as receiver:
                msgs = receive(receiver, 2)
                assert [str(m) for m in msgs] == ["e1", "e2"]
                # Copies share the topic's sequence numbers, as in Service Bus.
                assert [m.sequence_number for m in msgs] == [1, 2]
                for m in msgs:
                    receiver.complete_message(m)
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0
    assert servicebus_broker.entity_counts(f"{TOPIC}/Subscriptions/audit")["active"] == 0


def test_batch_send_and_prefetch_receive(servicebus_broker: ServiceBusBroker) -> None:
    with client(servicebus_broker) as sb:
        with sb.get_topic_sender(TOPIC) as sender:
            batch = sender.create_message_batch()
            for i in range(20):
                batch.add_message(ServiceBusMessage(f"m{i}", message_id=f"id-{i}", subject="b"))
            sender.send_messages(batch)
            sender.send_messages([ServiceBusMessage(f"m{i}") for i in range(20, 25)])
        assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 25
        with sb.get_subscription_receiver(TOPIC, SUBSCRIPTION, prefetch_count=10) as receiver:
            msgs = receive(receiver, 25)
            assert [str(m) for m in msgs] == [f"m{i}" for i in range(25)]
            assert msgs[3].message_id == "id-3" and msgs[3].subject == "b"
            assert len({m.lock_token for m in msgs}) == 25
            for m in msgs:
                receiver.complete_message(m)
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0


def test_abandon_redelivers_with_incremented_delivery_count(
    servicebus_broker: ServiceBusBroker,
) -> None:
    with client(servicebus_broker) as sb:
        with sb.get_queue_sender(QUEUE) as sender:
            sender.send_messages(ServiceBusMessage("retry-me"))
        with sb.get_queue_receiver(QUEUE) as receiver:
            (first,) = receive(receiver, 1)
            receiver.abandon_message(first)
            (second,) = receive(receiver, 1)
            assert str(second) == "retry-me"
            assert second.delivery_count == first.delivery_count + 1 == 1
            assert second.lock_token != first.lock_token
            receiver.complete_message(second)
    assert servicebus_broker.entity_counts(QUEUE)["active"] == 0


def test_dead_letter_is_readable_from_the_subscription_dlq(
    servicebus_broker: ServiceBusBroker,
) -> None:
    with client(servicebus_broker) as sb:
        with sb.get_topic_sender(TOPIC) as sender:
            sender.send_messages(ServiceBusMessage("poison", message_id="bad-1"))
        with sb.get_subscription_receiver(TOPIC, SUBSCRIPTION) as receiver:
            (msg,) = receive(receiver, 1)
            receiver.dead_letter_message(
                msg, reason="InvalidPayload", error_description="schema_version missing"
            )
        assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 1
        (snapshot,) = servicebus_broker.dead_letter_messages(SUBSCRIPTION_PATH)
        assert snapshot["message_id"] == "bad-1"
        assert snapshot["dead_letter_reason"] == "InvalidPayload"
        with sb.get_subscription_receiver(
            TOPIC, SUBSCRIPTION, sub_queue=ServiceBusSubQueue.DEAD_LETTER
        ) as dlq:
            (dead,) = receive(dlq, 1)
            assert str(dead) == "poison"
            assert dead.dead_letter_reason == "InvalidPayload"
            assert dead.dead_letter_error_description == "schema_version missing"
            assert dead.dead_letter_source == SUBSCRIPTION_PATH
            dlq.complete_message(dead)
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 0


def test_max_delivery_count_dead_letters(broker: ServiceBusBroker) -> None:
    with client(broker) as sb:
        with sb.get_queue_sender("q") as sender:
            sender.send_messages(ServiceBusMessage("poison"))
        counts = []
        with sb.get_queue_receiver("q") as receiver:
            for _ in range(3):
                (msg,) = receive(receiver, 1)
                counts.append(msg.delivery_count)
                receiver.abandon_message(msg)
            assert receiver.receive_messages(max_message_count=1, max_wait_time=0.5) == []
        assert counts == [0, 1, 2]  # delivered at most max_delivery_count (3) times
        with sb.get_queue_receiver("q", sub_queue=ServiceBusSubQueue.DEAD_LETTER) as dlq:
            (dead,) = receive(dlq, 1)
            assert dead.dead_letter_reason == "MaxDeliveryCountExceeded"
            assert dead.dead_letter_error_description == (
                "Message could not be consumed after 3 delivery attempts."
            )


def test_lock_expiry_redelivers_and_late_complete_fails(broker: ServiceBusBroker) -> None:
    with client(broker) as sb:
        with sb.get_queue_sender("q") as sender:
            sender.send_messages([ServiceBusMessage("slow-1"), ServiceBusMessage("slow-2")])
        with sb.get_queue_receiver("q") as receiver:
            first = receive(receiver, 2)
            time.sleep(1.3)  # both locks (1 s) lapse
            with pytest.raises(MessageLockLostError):
                receiver.complete_message(first[0])  # the SDK's own locked_until check
            # Hide the expiry from the SDK so the *broker's* answer on the link is tested.
            first[1]._expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
            with pytest.raises(MessageLockLostError):
                receiver.complete_message(first[1])
            again = receive(receiver, 2)
            assert sorted((str(m), m.delivery_count) for m in again) == [
                ("slow-1", 1),
                ("slow-2", 1),
            ]
            for m in again:
                receiver.complete_message(m)
    assert broker.entity_counts("q")["active"] == 0


def test_closed_receiver_locks_lapse_then_redeliver(broker: ServiceBusBroker) -> None:
    # Documented choice: like Service Bus, locks of a closed link are kept until they expire.
    with client(broker) as sb:
        with sb.get_queue_sender("q") as sender:
            sender.send_messages(ServiceBusMessage("orphan"))
        with sb.get_queue_receiver("q") as receiver:
            receive(receiver, 1)
        assert broker.entity_counts("q")["locked"] == 1
        with sb.get_queue_receiver("q") as receiver:
            (msg,) = receive(receiver, 1)
            assert (str(msg), msg.delivery_count) == ("orphan", 1)
            receiver.complete_message(msg)


def test_renew_lock_keeps_message_locked(broker: ServiceBusBroker) -> None:
    with client(broker) as sb:
        with sb.get_queue_sender("q") as sender:
            sender.send_messages(
                [
                    ServiceBusMessage("x", message_id="manual"),
                    ServiceBusMessage("y", message_id="auto"),
                ]
            )
        with sb.get_queue_receiver("q") as receiver:
            manual, auto = receive(receiver, 2)
            before = manual.locked_until_utc
            time.sleep(0.3)
            after = receiver.renew_message_lock(manual)
            assert after > before
            renewer = AutoLockRenewer(max_lock_renewal_duration=30)
            renewer.register(receiver, auto)
            try:
                time.sleep(2.5)  # 2.5x the lock duration
                assert broker.entity_counts("q")["locked"] == 1  # `manual` lapsed, `auto` held
                receiver.complete_message(auto)
            finally:
                renewer.close()
    assert [m["message_id"] for m in broker.messages("q")] == ["manual"]  # lapsed, back in line


def test_drop_completions_redelivers_after_lock_expiry(broker: ServiceBusBroker) -> None:
    broker.drop_completions = True
    with client(broker) as sb:
        with sb.get_queue_sender("q") as sender:
            sender.send_messages(ServiceBusMessage("lost-ack", message_id="e-42"))
        with sb.get_queue_receiver("q") as receiver:
            (msg,) = receive(receiver, 1)
            receiver.complete_message(msg)  # "succeeds" (issue #48143) ...
            assert broker.dropped_completions == 1
            broker.drop_completions = False
            (dup,) = receive(receiver, 1)  # ... but comes back once the lock lapses
            assert (dup.message_id, dup.delivery_count) == ("e-42", 1)
            receiver.complete_message(dup)
    assert broker.entity_counts("q")["active"] == 0


def test_stop_start_keeps_messages_on_the_same_port(servicebus_broker: ServiceBusBroker) -> None:
    b = servicebus_broker
    port = b.port
    with client(b) as sb, sb.get_queue_sender(QUEUE) as sender:
        sender.send_messages([ServiceBusMessage(f"r{i}") for i in range(3)])
        b.stop()  # drops every connection, like a service restart
        assert not b.running
        b.start()
        assert b.port == port
        # The sender created before the restart reconnects inside the SDK's retry policy.
        sender.send_messages(ServiceBusMessage("r3"))
    with client(b) as sb, sb.get_queue_receiver(QUEUE) as receiver:
        msgs = receive(receiver, 4)
        assert [str(m) for m in msgs] == ["r0", "r1", "r2", "r3"]
        for m in msgs:
            receiver.complete_message(m)
    assert b.entity_counts(QUEUE)["active"] == 0


def test_receiver_recovers_after_restart(servicebus_broker: ServiceBusBroker) -> None:
    b = servicebus_broker
    with client(b) as sb, sb.get_queue_receiver(QUEUE) as receiver:
        assert receiver.receive_messages(max_message_count=1, max_wait_time=0.2) == []
        b.restart()
        with sb.get_queue_sender(QUEUE) as sender:
            sender.send_messages(ServiceBusMessage("after-restart"))
        got, errors = [], 0
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            try:
                got = receiver.receive_messages(max_message_count=1, max_wait_time=1)
            except ServiceBusConnectionError:
                errors += 1  # a receive may fail once while the link is rebuilt
        assert [str(m) for m in got] == ["after-restart"] and errors <= 1
        receiver.complete_message(got[0])


def test_receive_and_delete(servicebus_broker: ServiceBusBroker) -> None:
    with client(servicebus_broker) as sb:
        with sb.get_queue_sender(QUEUE) as sender:
            sender.send_messages([ServiceBusMessage("rad-1"), ServiceBusMessage("rad-2")])
        with sb.get_queue_receiver(
            QUEUE, receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE
        ) as receiver:
            msgs = receive(receiver, 2)
            assert [str(m) for m in msgs] == ["rad-1", "rad-2"]
            assert msgs[0].lock_token is None
    assert servicebus_broker.entity_counts(QUEUE)["active"] == 0


def test_peek_and_unknown_entity(servicebus_broker: ServiceBusBroker) -> None:
    with client(servicebus_broker) as sb:
        with sb.get_queue_sender(QUEUE) as sender:
            sender.send_messages([ServiceBusMessage("p1"), ServiceBusMessage("p2")])
        with sb.get_queue_receiver(QUEUE) as receiver:
            peeked = receiver.peek_messages(max_message_count=10)
            assert [(str(m), m.sequence_number) for m in peeked] == [("p1", 1), ("p2", 2)]
        assert servicebus_broker.entity_counts(QUEUE)["available"] == 2
        with (
            pytest.raises(MessagingEntityNotFoundError),
            sb.get_queue_receiver("no-such-queue") as receiver,
        ):
            receiver.receive_messages(max_message_count=1, max_wait_time=1)


def test_subprocess_mode_serves_until_sigterm(tmp_path: Path) -> None:
    port_file = tmp_path / "sb.port"
    cmd = [
        sys.executable,
        "-m",
        "tests.servicebus.broker",
        "--port",
        "0",
        "--queue",
        "jobs",
        "--subscription",
        f"{TOPIC}/{SUBSCRIPTION}",
        "--lock-duration",
        "5",
        "--port-file",
        str(port_file),
    ]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while not port_file.exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        port = int(port_file.read_text())
        b = ServiceBusBroker(port=port)  # only used to build the connection string
        with client(b) as sb:
            with sb.get_topic_sender(TOPIC) as sender:
                sender.send_messages(ServiceBusMessage("from-another-process"))
            with sb.get_subscription_receiver(TOPIC, SUBSCRIPTION) as receiver:
                (msg,) = receive(receiver, 1)
                assert str(msg) == "from-another-process"
                receiver.complete_message(msg)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        out = proc.stdout.read().decode() if proc.stdout else ""
        assert f"PORT {port}" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
