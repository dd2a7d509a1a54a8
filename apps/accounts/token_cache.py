"""API tokens remembered by each process between requests, and every change to what their
lookup reads seen on the very next request, on every process.

Looking a token up is one indexed query, but on a small read it is the larger part of the
request: about 0.4 ms of a worker's Python and a second query to PostgreSQL for a browse page
whose own query is the other one. A process keeps the token's row (token, user, player and the
login gates' hints, exactly as the query returned it) for ``API_TOKEN_CACHE_SECONDS`` and
builds fresh instances from it per request, so nothing a view does to them outlives it.

**Revocation is never late.** Each user has a *version* in Redis: a random value, made when
first asked for. A kept row carries the version that was read *before* its query ran, and is
used only while Redis still answers that same version. Every write to what the lookup reads —
the user's tokens (revoked, expired early, deleted), the user (deactivated, password), their
player (erased, renamed), a sanction (``moderation``) — deletes the user's version (as it
writes, and again once its transaction commits): the next request of that user on every
process reads a new version and asks PostgreSQL again. A change committed before a version was
read is in the row read after it; one committed later deletes that version. A token's expiry
needs no write: it is checked against the clock on every use. Redis losing its data (a
restart: it keeps nothing on disk) loses every version, which invalidates every row.

One round trip to Redis per request, instead of one to PostgreSQL: the version is read by a
short script on the cache's Redis connection (``apps.common.redis_connections``). With Redis
down, or not configured (the embedded defaults), nothing is kept and every request asks
PostgreSQL as before. The one thing Redis being down can cost: a write that could not delete
a version (Redis unreachable from the writer, reachable from a reader) is seen once the kept
row ages out, ``API_TOKEN_CACHE_SECONDS`` at the most; the failure is logged. Unknown or
refused secrets are never kept (a guesser costs a query each, as before).
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from apps.common.redis_connections import thread_client

logger = logging.getLogger(__name__)

# The user's version, made when missing; one hour outlives every kept row by far (a version
# that expires is made again, different: rows that carried the old one are asked again).
_VERSION_SCRIPT = """
local version = redis.call('GET', KEYS[1])
if not version then
  version = ARGV[1]
  redis.call('SET', KEYS[1], version, 'EX', 3600)
end
return version
"""

# Rows kept at most; when full, the process starts over (it sees a few thousand callers).
MAX_ROWS = 10_000

# digest -> (user id, row, version, monotonic time kept)
_rows: dict[str, tuple[int, Any, bytes, float]] = {}
# digest -> user id, for tokens whose row is no longer kept (a token's user never changes)
_users: dict[str, int] = {}
_lock = threading.Lock()
_script: Any = None


def _redis() -> Any:
    """This thread's client on the cache's Redis, or None when the cache is not Redis or
    cannot be reached (a thread's client connects when it is made)."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    pool = backend._cache._get_connection_pool(write=True)  # type: ignore[attr-defined]
    try:
        return thread_client(pool)
    except (redis.ConnectionError, redis.TimeoutError):
        return None


def _version_key(user_id: int) -> str:
    return caches[DEFAULT_CACHE_ALIAS].make_key(f"auth-version:{user_id}")


def _version(client: Any, user_id: int) -> bytes | None:
    """The user's version, or None when Redis cannot be asked (nothing is kept then)."""
    global _script
    if _script is None:
        _script = client.register_script(_VERSION_SCRIPT)
    try:
        version: bytes = _script(
            keys=[_version_key(user_id)], args=[secrets.token_hex(8)], client=client
        )
    except (redis.ConnectionError, redis.TimeoutError):
        return None
    return version


def token_row(
    digest: str, *, user_of: Callable[[Any], int], fetch: Callable[[], Any | None]
) -> Any | None:
    """The token row for ``digest``: the kept one while its user's version is unchanged, else
    ``fetch()`` (the query), kept for the next request when it found a row. ``user_of(row)``
    names the row's user."""
    seconds = settings.API_TOKEN_CACHE_SECONDS
    client = _redis() if seconds > 0 else None
    if client is None:
        return fetch()
    kept = _rows.get(digest)
    user_id = kept[0] if kept is not None else _users.get(digest)
    if user_id is None:
        # A token this process has not seen: its user is known only from its row, so the
        # version is read after that row, and the row read again after the version.
        row = fetch()
        if row is None:
            return None
        user_id = user_of(row)
        version = _version(client, user_id)
        if version is None:
            return row
        _remember(_users, digest, user_id)
    else:
        version = _version(client, user_id)
        if kept is not None and version == kept[2] and time.monotonic() - kept[3] < seconds:
            return kept[1]
        if version is None:
            _rows.pop(digest, None)
            return fetch()
    # Read after the version: a change committed before the version was read is in this
    # row, and one committed after it deletes the version the row is kept with.
    row = fetch()
    if row is None:
        _rows.pop(digest, None)
        return None
    _remember(_rows, digest, (user_id, row, version, time.monotonic()))
    return row


def _remember(table: dict[str, Any], digest: str, value: Any) -> None:
    with _lock:
        if len(table) >= MAX_ROWS:
            table.clear()
        table[digest] = value


def user_changed(user_id: int | None) -> None:
    """What a lookup of ``user_id``'s tokens reads has changed (or is changing, inside the
    caller's transaction): their kept rows go, on every process, now and again at commit (a
    request between the two reads the old row with a new version; the second deletion ends
    that version too)."""
    if user_id is None:
        return
    _version_forget(user_id)
    transaction.on_commit(lambda: _version_forget(user_id))


def _version_forget(user_id: int) -> None:
    if not isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache):
        return
    client = _redis()
    try:
        if client is None:
            raise redis.ConnectionError("no connection")
        client.delete(_version_key(user_id))
    except (redis.ConnectionError, redis.TimeoutError):
        logger.warning(
            "redis unavailable: user %s's kept API token rows end when they age out (%s s)",
            user_id, settings.API_TOKEN_CACHE_SECONDS,
        )  # fmt: skip


def local_state_clear() -> None:
    """Forget every kept row of this process (tests: a rolled-back database)."""
    _rows.clear()
    _users.clear()


def user_changes_watch(model: type[Any], user_of: Callable[[Any], int | None]) -> None:
    """Every save and delete of ``model`` (through the ORM: admin, services, cascades) counts
    as a change of ``user_of(instance)``'s tokens (``user_changed``). Bulk ``update()`` calls
    on such a model call ``user_changed`` themselves."""

    def changed(sender: Any, instance: Any, **_kwargs: Any) -> None:
        user_changed(user_of(instance))

    uid = f"token-cache-{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)
