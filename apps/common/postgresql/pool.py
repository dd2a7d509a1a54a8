"""Health checks of pooled connections that cost a round trip only when one can help, and
connections kept between requests by processes that serve one request at a time.

With ``CONN_HEALTH_CHECKS`` Django gives psycopg's pool ``ConnectionPool.check_connection``,
which sends an empty query on every checkout: one extra round trip per request. A connection
handed back to the pool moments ago is as healthy as it was then, so only a connection idle
for ``DATABASE_POOL_CHECK_IDLE_SECONDS`` or more is checked (0 checks every checkout). A
server that went away in those moments is met by the query itself and the outage breaker
(``apps.common.outage``), as a failure in the middle of a request is.

A gunicorn sync worker serves one request at a time on one thread, so handing its connection
back to the pool at the end of every request and taking it out again at the start of the next
only ever moves the same connection, at a cost of about 5 % of a short read's CPU. That thread
keeps its connection checked out between requests instead (``keep_between_requests``, called
by ``community/gunicorn.py``), under the same rules: checked before use once idle for
``DATABASE_POOL_CHECK_IDLE_SECONDS``, handed back after a request that left it unusable or
outside autocommit (Django's own request-end checks), and handed back once it has lived the
pool's ``max_lifetime``, so the pool replaces it as it replaces any other. Every other thread
(the readiness checks' own, Daphne's and Celery's, which serve many requests or sockets at
once) hands its connection back at the end of its work.
"""

import threading
import time
from typing import Any

from django.conf import settings
from psycopg_pool import ConnectionPool

_RETURNED_AT = "_community_returned_at"
# The one thread of this process whose connection stays checked out between requests.
_keeping_thread: int | None = None


def keep_between_requests() -> None:
    """From now on the calling thread keeps its connection checked out between requests: the
    thread a single-threaded server's worker serves every request on. Connections of any other
    thread of the process (the readiness checks' own threads, say) go back as before."""
    global _keeping_thread
    _keeping_thread = threading.get_ident()


def kept_between_requests() -> bool:
    return _keeping_thread is not None and threading.get_ident() == _keeping_thread


def connection_returned(connection: Any) -> None:
    """Note when the connection went back to the pool (``DatabaseWrapper._close``, as it
    hands it back: not the pool's ``reset`` callback, with which psycopg_pool hands every
    returned connection to its worker thread — a thread switch per request, and the
    connection out of reach until the worker has put it back)."""
    setattr(connection, _RETURNED_AT, time.monotonic())


def _connection_check(connection: Any) -> None:
    """The pool's ``check`` callback."""
    returned_at = getattr(connection, _RETURNED_AT, None)
    idle_for = None if returned_at is None else time.monotonic() - returned_at
    if idle_for is not None and idle_for < settings.DATABASE_POOL_CHECK_IDLE_SECONDS:
        return
    ConnectionPool.check_connection(connection)


def pool_checks_install(pool: ConnectionPool) -> None:
    """Replace the every-checkout check Django installed (once per pool). psycopg_pool takes
    ``check`` only in its constructor, which Django calls with ``check`` fixed; it is kept as
    this attribute (psycopg_pool 3.3, pinned; tested in tests/ops/test_database_pool.py)."""
    if getattr(pool, "_community_checks", False):
        return
    pool._check = _connection_check
    pool._community_checks = True  # type: ignore[attr-defined]
