"""Where open websocket connections are counted: Redis when ``REDIS_URL`` is set, else memory.

Every connection is a member of its user's sorted set, scored by the time it expires; a
heartbeat (``ping`` frame) pushes that time forward by ``PLAYERS_PRESENCE_TTL_SECONDS``. A
global sorted set scores each online user by their latest expiry, so the sweep finds users
whose every connection lapsed — what a killed server leaves behind, since its sockets never
run the disconnect hook (channels#293, daphne#168). Each transition is one Lua script, so two
devices connecting or closing at once on different servers still give exactly one
online/offline transition.
"""

import threading
import time
from functools import lru_cache
from typing import Protocol

import redis
from django.conf import settings

from apps.common.redis_connections import thread_client

_OPEN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
local current = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[4]) or '0')
if tonumber(ARGV[3]) > current then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) and before == 0 then return 1 end
return 0
"""
_CLOSE = """
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then redis.call('ZREM', KEYS[2], ARGV[3]) end
if removed == 1 and left == 0 then return 1 end
return 0
"""
_SWEEP_USER = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('ZADD', KEYS[2], top[2], ARGV[2])
return 0
"""
# Which of the given users' connection sets hold a live connection: 1-based positions in KEYS.
_ONLINE_AMONG = """
local online = {}
for position, key in ipairs(KEYS) do
  if redis.call('ZCOUNT', key, ARGV[1], '+inf') > 0 then online[#online + 1] = position end
end
return online
"""


class PresenceStore(Protocol):
    def connection_open(self, *, user_id: int, connection_id: str) -> bool:
        """Add or refresh a connection; True when the user had no live one before."""

    def connection_close(self, *, user_id: int, connection_id: str) -> bool:
        """Remove a connection; True when it was the user's last live one."""

    def online_user_ids(self, user_ids: list[int]) -> set[int]: ...

    def sweep(self) -> list[int]:
        """Forget lapsed connections; the users who have none left (now offline)."""


def _ttl() -> float:
    return float(settings.PLAYERS_PRESENCE_TTL_SECONDS)


class RedisPresenceStore:
    def __init__(self, url: str, *, prefix: str = "community:players:presence") -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.online_key = f"{prefix}:online"
        self._open = self.client.register_script(_OPEN)
        self._close = self.client.register_script(_CLOSE)
        self._sweep_user = self.client.register_script(_SWEEP_USER)
        self._online_among = self.client.register_script(_ONLINE_AMONG)

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}:user:{user_id}"

    def connection_open(self, *, user_id: int, connection_id: str) -> bool:
        now = time.time()
        expires = now + _ttl()
        keep = int(_ttl() * 2) + 1
        args: list[str | float] = [connection_id, now, expires, user_id, keep]
        return bool(self._open(keys=[self._user_key(user_id), self.online_key], args=args))

    def connection_close(self, *, user_id: int, connection_id: str) -> bool:
        args: list[str | float] = [connection_id, time.time(), user_id]
        return bool(self._close(keys=[self._user_key(user_id), self.online_key], args=args))

    def online_user_ids(self, user_ids: list[int]) -> set[int]:
        if not user_ids:
            return set()
        # One script, one command on the wire: a 200-member page asks once, not 200 times; on
        # this thread's own connection (every list with presence asks).
        keys = [f"{self.prefix}:user:{user_id}" for user_id in user_ids]
        client = thread_client(self.client.connection_pool)
        online = self._online_among(keys=keys, args=[time.time()], client=client)
        return {user_ids[position - 1] for position in online}

    def sweep(self) -> list[int]:
        now = time.time()
        lapsed = self.client.zrangebyscore(self.online_key, "-inf", now)
        offline = []
        for raw in lapsed:
            user_id = int(raw)  # type: ignore[arg-type]  # a member: bytes
            keys = [self._user_key(user_id), self.online_key]
            if self._sweep_user(keys=keys, args=[now, user_id]):
                offline.append(user_id)
        return offline


class MemoryPresenceStore:
    """The embedded default: one process, so a dict under a lock is the whole truth."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: dict[int, dict[str, float]] = {}

    def _live(self, user_id: int, now: float) -> dict[str, float]:
        live = {cid: exp for cid, exp in self.connections.get(user_id, {}).items() if exp > now}
        self.connections[user_id] = live
        return live

    def connection_open(self, *, user_id: int, connection_id: str) -> bool:
        now = time.time()
        with self.lock:
            live = self._live(user_id, now)
            was_offline = not live
            live[connection_id] = now + _ttl()
            return was_offline

    def connection_close(self, *, user_id: int, connection_id: str) -> bool:
        with self.lock:
            live = self._live(user_id, time.time())
            removed = live.pop(connection_id, None) is not None
            return removed and not live

    def online_user_ids(self, user_ids: list[int]) -> set[int]:
        now = time.time()
        with self.lock:
            return {user_id for user_id in user_ids if self._live(user_id, now)}

    def sweep(self) -> list[int]:
        now = time.time()
        offline = []
        with self.lock:
            for user_id, connections in list(self.connections.items()):
                if not connections:
                    del self.connections[user_id]
                elif not any(exp > now for exp in connections.values()):
                    del self.connections[user_id]
                    offline.append(user_id)
        return offline


@lru_cache(maxsize=1)
def presence_store() -> PresenceStore:
    if settings.REDIS_URL:
        return RedisPresenceStore(settings.REDIS_URL)
    return MemoryPresenceStore()


def local_state_clear() -> None:
    """Forget every connection the embedded store holds (this process's state; tests start
    each case without the last one's sockets). The Redis store keeps its state in Redis."""
    store = presence_store()
    if isinstance(store, MemoryPresenceStore):
        with store.lock:
            store.connections.clear()
