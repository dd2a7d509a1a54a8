"""A Redis client per thread on a connection of its own, for commands every request makes.

redis-py lends a pooled connection for each command: checking it out (with a poll for stray
data on it), the events and metrics of checking out and in, and handing it back cost more
CPU than sending the command and reading its reply (about 120 µs against 60 µs per script
call, redis-py 8 on the bench machine). A client made with ``single_connection_client`` keeps
one connection and skips all of that, but serializes the threads that share it; one per
thread shares nothing. Errors are redis-py's own: a dropped connection is closed and
reconnected by the next command (``ConnectionError`` / ``TimeoutError`` reach the caller as
before).

A thread's client takes one connection from ``pool`` for as long as the thread lives
(gunicorn's sync worker: one; Daphne's and Celery's thread pools: one per thread that asks)."""

import hashlib
import os
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import redis
from redis.exceptions import NoScriptError

_local = threading.local()


def thread_client(pool: redis.ConnectionPool) -> redis.Redis:
    """This thread's client on ``pool`` (made at first use; in a forked child, made again)."""
    clients: dict[int, tuple[redis.ConnectionPool, int, redis.Redis]]
    clients = _local.__dict__.setdefault("clients", {})
    known = clients.get(id(pool))
    if known is not None and known[0] is pool and known[1] == os.getpid():
        return known[2]
    client = redis.Redis(connection_pool=pool, single_connection_client=True)
    clients[id(pool)] = (pool, os.getpid(), client)
    return client


_shared: dict[Hashable, tuple[int, redis.Redis]] = {}


def shared_client(key: Hashable, pool: Callable[[], redis.ConnectionPool]) -> redis.Redis:
    """One client for the whole process per ``key`` (the server and its options), on one
    connection that the threads take turns on (redis-py locks a single-connection client
    around each command): for code that runs on threads that come and go. Daphne runs each
    socket's synchronous work on a thread of its own, and Django's cache handler makes a
    backend, with its own pool, per thread: a client per thread (``thread_client``) or per
    backend would open a Redis connection per socket (3 to 4 ms of a websocket connect's CPU,
    measured). A single worker thread (gunicorn's sync worker) pays what ``thread_client``
    pays. ``pool()`` is called only for a key not seen yet in this process; the client
    connects when it is made (``ConnectionError`` reaches the caller, and the next call
    tries again)."""
    known = _shared.get(key)
    if known is not None and known[0] == os.getpid():
        return known[1]
    client = redis.Redis(connection_pool=pool(), single_connection_client=True)
    _shared[key] = (os.getpid(), client)
    return client


class Script:
    """A Lua script run on a single-connection client (``thread_client``, ``shared_client``)
    with ``EVALSHA`` written to its connection and the reply read back, under the client's lock
    and its connection's retry policy, as redis-py's ``Script`` does through
    ``execute_command``. What that path adds for a script called on every request (command
    timing for its observability hooks, response callbacks, the ``Script``, ``evalsha`` and
    ``execute_command`` layers) costs about as much CPU as the round trip itself. A server that
    does not know the script (it restarted, or ``SCRIPT FLUSH``) is sent its source once."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    def __call__(self, client: redis.Redis, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        connection: Any = client.connection
        if connection is None:
            raise TypeError("Script runs on a single-connection client")
        with client.single_connection_lock:
            return connection.retry.call_with_retry(
                lambda: self._run(connection, keys, args),
                lambda _error: connection.disconnect(),
            )

    def _run(self, connection: Any, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        try:
            connection.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
            return connection.read_response()
        except NoScriptError:
            connection.send_command("EVAL", self.source, len(keys), *keys, *args)
            return connection.read_response()
