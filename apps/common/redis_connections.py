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

import os
import threading
from collections.abc import Callable, Hashable

import redis

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
