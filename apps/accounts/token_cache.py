"""API tokens remembered by each process between requests, and every change to what their
lookup reads seen on the very next request, on every process.

Looking a token up is one indexed query, but on a small read it is the larger part of the
request: about 0.4 ms of a worker's Python and a second query to PostgreSQL for a browse page
whose own query is the other one. A process keeps what the lookup read (token, user, player
and the login gates' hints: its "row") for ``API_TOKEN_CACHE_SECONDS``; the caller hands each
request a copy of its own (``apps.accounts.selectors``), so nothing a view does to it outlives
the request.

**Revocation is never late.** Each user has a *version* in Redis: a random value, made when
first asked for. A kept row carries a version read *before* the query that read the row, and
is used only while Redis still answers that same version. Every write to what the lookup reads
— the user's tokens (revoked, deleted), the user (deactivated, password), their player (erased,
renamed), a sanction (``moderation``) — deletes the user's version (as it writes, and again
once its transaction commits): the next request of that user on every process reads a new
version and asks PostgreSQL again. A change committed before a version was read is in the row
read after it; one committed later deletes that version. Redis also holds each token's user
by digest (a token's user never changes), so the version is read before the row even on a
process that never saw the token — the clients of a node that died, reconnecting to the
others, cost one query each; only a token no process has read yet is read, then its version,
then read again. A token's expiry needs no write: it is checked against the clock on every
use. Redis losing its data (a restart: it keeps nothing on disk) loses every version, which
invalidates every row.

One round trip to Redis per request, instead of one to PostgreSQL: the user and version are
read by one short script on the cache's Redis (``apps.common.redis_connections``).
With Redis down, or not configured (the embedded defaults), nothing is kept and every request
asks PostgreSQL as before. The one thing Redis being down can cost: a write that could not
delete a version (Redis unreachable from the writer, reachable from a reader) is seen once the
kept row ages out, ``API_TOKEN_CACHE_SECONDS`` at the most; the failure is logged. Unknown or
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

from apps.common.redis_connections import Script, shared_client

logger = logging.getLogger(__name__)

# One round trip: the token's user (KEYS[1] holds it, per digest: a token's user never
# changes) and that user's version (a key named after the user, made when missing). ARGV:
# a new version should one be needed, the user id when the caller knows it ('' to read it from
# KEYS[1]; nothing known: false), '1' to record it in KEYS[1], and the version keys' prefix.
# The version outlives every kept row by far (one that expires is made again, different: rows
# that carried the old one are read again). The version key is built here, so the channel
# layer's rule holds: one Redis, not a cluster (docs/deploy-azure.md).
_LOOKUP_SCRIPT = """
local user = ARGV[2]
if user == '' then
  user = redis.call('GET', KEYS[1])
  if not user then return false end
elseif ARGV[3] == '1' then
  redis.call('SET', KEYS[1], user, 'EX', 86400)
end
local key = ARGV[4] .. user
local version = redis.call('GET', key)
if not version then
  version = ARGV[1]
  redis.call('SET', key, version, 'EX', 3600)
end
return {user, version}
"""

# Rows kept at most; when full, the process starts over (it sees a few thousand callers).
MAX_ROWS = 10_000

# digest -> (user id, row: what fetch() returned, version, monotonic time kept)
_rows: dict[str, tuple[int, Any, bytes, float]] = {}
_lock = threading.Lock()
_script = Script(_LOOKUP_SCRIPT)


class _RedisDown(Exception):
    """Redis could not be asked: the row is read from PostgreSQL and nothing is kept."""


def _redis() -> Any:
    """The process's client on the cache's Redis (``shared_client``: the websocket connects
    that read tokens run on short-lived threads), or None when the cache is not Redis or
    cannot be reached."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    # The server and its options name the pool (django-stubs do not describe them).
    where: Any = backend
    server = (tuple(where._servers), repr(sorted(where._options.items())))
    try:
        return shared_client(
            ("token-cache", server),
            lambda: backend._cache._get_connection_pool(write=True),  # type: ignore[attr-defined]
        )
    except (redis.ConnectionError, redis.TimeoutError):
        return None


def _key(name: str) -> str:
    return caches[DEFAULT_CACHE_ALIAS].make_key(name)


def _lookup(client: Any, digest: str, user_id: int | None, record: bool = False) -> Any:
    """(user id, version) for ``digest``, or None when Redis knows no user for it."""
    arguments = [secrets.token_hex(8), "" if user_id is None else user_id, "1" if record else ""]
    try:
        reply = _script(
            client, keys=[_key(f"auth-user:{digest}")], args=[*arguments, _key("auth-version:")]
        )
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise _RedisDown from error
    return None if reply is None else (int(reply[0]), reply[1])


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
    try:
        known = _lookup(client, digest, None if kept is None else kept[0])
        if known is None:
            # A token no process has read yet: its user is known only from its row, so the
            # version is read after that row, and the row read again after the version.
            row = fetch()
            if row is None:
                return None
            known = _lookup(client, digest, user_of(row), record=True)
    except _RedisDown:
        _rows.pop(digest, None)
        return fetch()
    user_id, version = known
    if kept is not None and version == kept[2] and time.monotonic() - kept[3] < seconds:
        return kept[1]
    # Read after the version: a change committed before the version was read is in this
    # row, and one committed after it deletes the version the row is kept with.
    row = fetch()
    if row is None:
        _rows.pop(digest, None)
        return None
    with _lock:
        if len(_rows) >= MAX_ROWS:
            _rows.clear()
        _rows[digest] = (user_id, row, version, time.monotonic())
    return row


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
        return  # nothing is kept without Redis
    if _forgotten(_redis(), user_id):
        return
    logger.warning(
        "redis unavailable: user %s's kept API token rows end when they age out (%s s)",
        user_id, settings.API_TOKEN_CACHE_SECONDS,
    )  # fmt: skip


def _forgotten(client: Any, user_id: int) -> bool:
    """Whether the user's version is gone (False: Redis could not be asked)."""
    if client is None:
        return False
    try:
        client.delete(_key(f"auth-version:{user_id}"))
    except (redis.ConnectionError, redis.TimeoutError):
        return False
    return True


def local_state_clear() -> None:
    """Forget every kept row of this process (tests: a rolled-back database)."""
    _rows.clear()


def user_changes_watch(model: type[Any], user_of: Callable[[Any], int | None]) -> None:
    """Every save and delete of ``model`` (through the ORM: admin, services, cascades) counts
    as a change of ``user_of(instance)``'s tokens (``user_changed``). Bulk ``update()`` calls
    on such a model call ``user_changed`` themselves."""

    def changed(sender: Any, instance: Any, **_kwargs: Any) -> None:
        user_changed(user_of(instance))

    uid = f"token-cache-{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)
