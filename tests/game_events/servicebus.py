"""Publishing with the real azure-servicebus SDK, and running consumers, for tests."""

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusMessage
from django.conf import settings

from apps.game_events.consumer import ConsumerConfig, EventConsumer
from tests.servicebus.fixtures import SUBSCRIPTION, TOPIC
from tests.support.live import live_env, stop_process


def publish(connection_string: str, events: list[Any], *, topic: str = TOPIC) -> None:
    """Send each event (a dict as JSON, or raw bytes/str as they are) in batches of 100."""
    messages = []
    for event in events:
        if isinstance(event, dict):
            body = json.dumps(event)
            message_id = str(event.get("id", ""))[:128] or None
        else:
            body, message_id = event, None
        messages.append(
            ServiceBusMessage(
                body, content_type="application/cloudevents+json", message_id=message_id
            )
        )
    client = ServiceBusClient.from_connection_string(connection_string)
    with client, client.get_topic_sender(topic) as sender:
        for start in range(0, len(messages), 100):
            sender.send_messages(messages[start : start + 100])


def wait_until(condition: Callable[[], Any], *, timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.1)


@contextmanager
def consumer_thread(connection_string: str, **overrides: Any) -> Iterator[EventConsumer]:
    """The consumer in a thread of the test process (effects applied in-process on commit)."""
    overrides.setdefault("max_wait", 0.5)
    config = ConsumerConfig.from_settings(
        connection_string=connection_string, topic=TOPIC, subscription=SUBSCRIPTION, **overrides
    )
    consumer = EventConsumer(config)
    thread = threading.Thread(target=consumer.run, name="test-consumer", daemon=True)
    thread.start()
    try:
        yield consumer
    finally:
        consumer.stop.set()
        thread.join(30)
        assert not thread.is_alive(), "consumer did not stop"


@contextmanager
def consumer_process(
    connection_string: str, log_path: Path, *extra_args: str, **env: str
) -> Iterator[subprocess.Popen]:
    """``manage.py consume_events`` as its own process on the test database."""
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "consume_events", "--max-wait", "0.5", *extra_args],
            cwd=settings.BASE_DIR,
            env=live_env(SERVICEBUS_CONNECTION_STRING=connection_string, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        stop_process(process, timeout=20)
