"""pytest fixtures for the Service Bus test double.

Import them from ``tests/conftest.py``::

    from tests.servicebus.fixtures import servicebus_broker  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported lazily: loading this plugin must not require python-qpid-proton
    from .broker import ServiceBusBroker

TOPIC = "game-events"
SUBSCRIPTION = "community"
SUBSCRIPTION_PATH = f"{TOPIC}/Subscriptions/{SUBSCRIPTION}"
QUEUE = "game-events-queue"
LOCK_DURATION = 5.0
MAX_DELIVERY_COUNT = 5


def make_broker(
    *, lock_duration: float = LOCK_DURATION, max_delivery_count: int = MAX_DELIVERY_COUNT
) -> ServiceBusBroker:
    """A not-yet-started broker with the project's standard entities."""
    from .broker import ServiceBusBroker

    broker = ServiceBusBroker(lock_duration=lock_duration, max_delivery_count=max_delivery_count)
    broker.create_topic(TOPIC)
    broker.create_subscription(TOPIC, SUBSCRIPTION)
    broker.create_queue(QUEUE)
    return broker


@pytest.fixture
def servicebus_broker() -> Iterator[ServiceBusBroker]:
    """A running broker on a free loopback port: topic ``game-events`` with subscription
    ``community`` and queue ``game-events-queue``, 5 s locks, max delivery count 5.

    Use ``servicebus_broker.connection_string`` with ``ServiceBusClient.from_connection_string``.
    Teardown fails the test if the broker hit an internal error while serving it.
    """
    broker = make_broker()
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
    assert not broker.errors, "servicebus test broker internal errors:\n" + "\n".join(broker.errors)
