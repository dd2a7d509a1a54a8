"""Protocol-level Azure Service Bus test double (AMQP 1.0 over python-qpid-proton).

Test infrastructure only, not product code. The real azure-servicebus SDK talks to it through
``broker.connection_string`` (``UseDevelopmentEmulator=true``: plain TCP, SASL ANONYMOUS, CBS).

Usage::

    with ServiceBusBroker(lock_duration=5, max_delivery_count=5) as broker:
        broker.create_topic("game-events")
        broker.create_subscription("game-events", "community")
        ...  # ServiceBusClient.from_connection_string(broker.connection_string)
        broker.entity_counts("game-events/Subscriptions/community")

Modules: ``runtime`` (lifecycle, thread-safe test API), ``server`` (proton handler: links,
transfers, settlement), ``nodes`` ($cbs / $management), ``store`` (entities, locks, DLQ),
``codec`` (AMQP sections), ``__main__`` (subprocess mode).

Deliberate deviations from Service Bus:

* SAS tokens are accepted without verification; no TLS.
* Not implemented: sessions, scheduled messages, receive-by-sequence-number (deferred messages
  can be deferred but not fetched back), TTL/expiry, duplicate detection, subscription rules
  and filters (every subscription gets every message), auto-forwarding, transactions.
* Locks held by a closed link/connection are kept until they expire (Service Bus semantics; the
  message then returns with delivery_count + 1). ``abandon_locks_on_close=True`` abandons them
  at once instead.
* Batches are recognised by structure, not by message-format (see ``codec.split_batch``).
* Lock expiry is checked every 0.1 s on the reactor thread and on every settlement/renewal.
"""

from .runtime import ServiceBusBroker
from .store import LockLostError

__all__ = ["LockLostError", "ServiceBusBroker"]
