"""Fail fast while the database is down: a per-process circuit breaker.

After a connection attempt fails, every new connection attempt in this process fails at once
for ``DATABASE_OUTAGE_RETRY_SECONDS``; then one caller tries again (the others keep failing
fast while it does). So an outage costs one connect timeout per window instead of one per
query, and the one ORM thread a Daphne process shares between its sockets is never held for
long. Callers answer ``unavailable`` with ``retry_after_ms`` (``DatabaseUnavailable``).

The state changes are logged once per process: ``database unavailable`` when the first
attempt fails, ``database available again`` when one succeeds. Errors of an outage that is
already logged are not logged again (``OutageLogFilter``) — one line per state change, not
one per request or socket.

The breaker sits in the connection layer (``apps.common.postgresql``, the ENGINE on
PostgreSQL), so every interface — websocket, REST, portal, chat's group committer, Celery —
shares it without wrapping its own calls.
"""

import logging
import math
import threading
import time
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError

logger = logging.getLogger(__name__)


class DatabaseUnavailable(ApplicationError):
    """The database cannot be reached; try again after ``details.retry_after_ms``."""

    code = "unavailable"
    status_code = 503
    default_message = _("The service is briefly unavailable. Try again shortly.")


class CircuitOpen(Exception):
    """Raised instead of connecting while the breaker is open (the connection layer turns
    it into the driver's OperationalError)."""


class DatabaseOutage:
    """The breaker. Thread-safe; one per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.is_down = False
        self._down_since = 0.0
        self._next_attempt_at = 0.0

    @property
    def retry_seconds(self) -> float:
        return float(settings.DATABASE_OUTAGE_RETRY_SECONDS)

    def before_connect(self) -> None:
        """Raise ``CircuitOpen`` while the window lasts; past it, let this caller try (and
        start a new window, so concurrent callers keep failing fast meanwhile)."""
        if not self.is_down:
            return
        with self._lock:
            now = time.monotonic()
            if self.is_down and now < self._next_attempt_at:
                raise CircuitOpen("database unavailable (failing fast until the next attempt)")
            self._next_attempt_at = now + self.retry_seconds

    def connect_failed(self, error: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            self._next_attempt_at = now + self.retry_seconds
            if self.is_down:
                return
            self.is_down, self._down_since = True, now
        logger.error(
            "database unavailable",
            extra={"error": f"{type(error).__name__}: {error}"[:300],
                   "retry_seconds": self.retry_seconds},
        )  # fmt: skip

    def connect_succeeded(self) -> None:
        if not self.is_down:
            return
        with self._lock:
            if not self.is_down:
                return
            self.is_down = False
            down_for = time.monotonic() - self._down_since
        logger.warning("database available again", extra={"down_seconds": round(down_for, 1)})

    def retry_after_ms(self) -> int:
        """When a retry may succeed: the rest of the window, or a whole window when the
        failure has not been counted yet."""
        remaining = self._next_attempt_at - time.monotonic() if self.is_down else 0.0
        if remaining <= 0:
            remaining = self.retry_seconds
        return max(100, math.ceil(remaining * 1000))


database_outage = DatabaseOutage()


def is_database_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or the connection was lost
    (not a constraint or a query's own error)."""
    return isinstance(error, OperationalError | InterfaceError)


def database_unavailable(**details: Any) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        details={"retry_after_ms": database_outage.retry_after_ms(), **details}
    )


class OutageLogFilter(logging.Filter):
    """Drops records carrying a database outage's error while the outage is known (its
    ``database unavailable`` line was logged): they would repeat it per request and socket."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not database_outage.is_down:
            return True
        return not _caused_by_outage(error)


def _caused_by_outage(error: BaseException) -> bool:
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 5:
        if is_database_outage(current) or isinstance(current, CircuitOpen):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False
