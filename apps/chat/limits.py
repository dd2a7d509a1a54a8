"""Flood control shared by every Daphne process: token buckets, slow mode and the per-player
socket cap live in Redis and are updated by Lua scripts, so a check-and-consume is atomic
across processes (DRF-style cache counters are not: stack-pitfalls §4.4).

Without ``REDIS_URL`` (the embedded default: one process) the same rules run against
process-local state under a lock.
"""

import math
import threading
import time
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

from apps.common.metrics import RATE_LIMITED
from apps.common.redis_connections import Script, shared_client

_KEY_PREFIX = "community:chat:"

# KEYS[1]: the player's socket set; ARGV: connection id, limit, ttl seconds.
_SOCKET_ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


@dataclass(frozen=True)
class Bucket:
    key: str
    capacity: int
    per_second: float


@cache
def _redis() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


_local_lock = threading.Lock()
_local_buckets: dict[str, tuple[float, float]] = {}
_local_until: dict[str, float] = {}
_local_sockets: dict[str, dict[str, float]] = {}


def buckets_take(buckets: list[Bucket]) -> float:
    """Take one token from each bucket, all or none. Returns 0 when allowed, otherwise the
    seconds until a retry can succeed."""
    return buckets_take_many([buckets])[0]


def _local_take(buckets: list[Bucket]) -> float:
    """``buckets_take`` on process-local state (no Redis: one process)."""
    with _local_lock:
        now = time.monotonic()
        levels = []
        for bucket in buckets:
            tokens, stamp = _local_buckets.get(bucket.key, (bucket.capacity, now))
            levels.append(min(bucket.capacity, tokens + (now - stamp) * bucket.per_second))
        wait = max(
            ((1 - level) / bucket.per_second for level, bucket in zip(levels, buckets, strict=True)
             if level < 1),
            default=0.0,
        )  # fmt: skip
        for level, bucket in zip(levels, buckets, strict=True):
            _local_buckets[bucket.key] = (level - 1 if wait == 0 else level, now)
        return wait


# Token buckets for a list of requests, applied one after the other. A request takes one token
# from each of its buckets only if every one has a token; otherwise its result is the longest
# wait. Time comes from Redis so every process shares one clock. ARGV[1] = number of requests,
# then per request its number of buckets n and n (capacity, rate) pairs; KEYS holds every
# request's bucket keys in order.
_BUCKETS_MANY_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local waits = {}
local k, a = 1, 2
for r = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  a = a + 1
  local levels = {}
  local wait = 0
  for i = 0, n - 1 do
    local capacity, rate = tonumber(ARGV[a + 2 * i]), tonumber(ARGV[a + 2 * i + 1])
    local data = redis.call('HMGET', KEYS[k + i], 'tokens', 'ts')
    local tokens = tonumber(data[1]) or capacity
    local ts = tonumber(data[2]) or now
    tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
    levels[i] = tokens
    if tokens < 1 then wait = math.max(wait, (1 - tokens) / rate) end
  end
  for i = 0, n - 1 do
    local capacity, rate = tonumber(ARGV[a + 2 * i]), tonumber(ARGV[a + 2 * i + 1])
    local tokens = levels[i]
    if wait == 0 then tokens = tokens - 1 end
    redis.call('HSET', KEYS[k + i], 'tokens', tostring(tokens), 'ts', tostring(now))
    redis.call('PEXPIRE', KEYS[k + i], math.ceil(capacity / rate * 1000) + 1000)
  end
  waits[r] = tostring(wait)
  k, a = k + n, a + 2 * n
end
return waits
"""


_buckets_many = Script(_BUCKETS_MANY_LUA)


def _client() -> redis.Redis:
    """The process's client for the limits (one connection: the group committer's thread is
    nearly its only user), as the REST throttle's (``apps.common.redis_connections``)."""
    return shared_client(("chat.limits", settings.REDIS_URL), lambda: _redis().connection_pool)  # type: ignore[union-attr]


def buckets_take_many(requests: list[list[Bucket]]) -> list[float]:
    """``buckets_take`` for many senders in one Redis call, applied in order (a group
    commit's batch)."""
    waits = _take_many(requests)
    for buckets, wait in zip(requests, waits, strict=True):
        if wait > 0:
            RATE_LIMITED.labels("+".join(sorted({b.key.split(":", 1)[0] for b in buckets}))).inc()
    return waits


def _take_many(requests: list[list[Bucket]]) -> list[float]:
    if _redis() is None:
        return [_local_take(buckets) for buckets in requests]
    if not requests:
        return []
    keys: list[str] = []
    arguments: list[float] = [len(requests)]
    for buckets in requests:
        arguments.append(len(buckets))
        for bucket in buckets:
            keys.append(_KEY_PREFIX + bucket.key)
            arguments += [bucket.capacity, bucket.per_second]
    return [float(wait) for wait in _buckets_many(_client(), keys, arguments)]


def cooldown_start(*, key: str, seconds: int) -> float:
    """Slow mode: start a cooldown unless one runs; returns 0 or the seconds left."""
    client = _redis()
    if client is not None:
        full_key = _KEY_PREFIX + key
        if client.set(full_key, 1, nx=True, px=seconds * 1000):
            return 0.0
        return max(client.pttl(full_key), 1) / 1000
    with _local_lock:
        now = time.monotonic()
        until = _local_until.get(key, 0.0)
        if until > now:
            return until - now
        _local_until[key] = now + seconds
        return 0.0


def socket_acquire(*, user_id: int, connection_id: str, limit: int, ttl: int) -> bool:
    """Count this socket against the player's cap (also used to refresh it). Entries expire
    after ``ttl`` seconds without refresh, so a crashed process cannot hold slots forever."""
    client = _redis()
    if client is not None:
        key = f"{_KEY_PREFIX}sockets:{user_id}"
        return bool(client.eval(_SOCKET_ACQUIRE_LUA, 1, key, connection_id, limit, ttl))
    with _local_lock:
        now = time.monotonic()
        sockets = {
            cid: until for cid, until in _local_sockets.get(str(user_id), {}).items() if until > now
        }
        if connection_id not in sockets and len(sockets) >= limit:
            _local_sockets[str(user_id)] = sockets
            return False
        sockets[connection_id] = now + ttl
        _local_sockets[str(user_id)] = sockets
        return True


def sockets_refresh(*, slots: list[tuple[int, str]], limit: int, ttl: int) -> None:
    """``socket_acquire`` again for every (user id, connection id) in ``slots``, in one Redis
    round trip: the process refreshes all of its sockets' slots at once."""
    client = _redis()
    if client is None:
        for user_id, connection_id in slots:
            socket_acquire(user_id=user_id, connection_id=connection_id, limit=limit, ttl=ttl)
        return
    pipeline = client.pipeline(transaction=False)
    for user_id, connection_id in slots:
        pipeline.eval(
            _SOCKET_ACQUIRE_LUA, 1, f"{_KEY_PREFIX}sockets:{user_id}", connection_id, limit, ttl
        )
    pipeline.execute()


def socket_release(*, user_id: int, connection_id: str) -> None:
    client = _redis()
    if client is not None:
        client.zrem(f"{_KEY_PREFIX}sockets:{user_id}", connection_id)
        return
    with _local_lock:
        _local_sockets.get(str(user_id), {}).pop(connection_id, None)


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


def local_state_clear() -> None:
    """Tests: forget process-local limits (Redis state is cleared with the cache)."""
    with _local_lock:
        _local_buckets.clear()
        _local_until.clear()
        _local_sockets.clear()
