"""REST throttles: DRF's sliding window, counted in Redis in one round trip.

With Redis down a throttle cannot count. Each throttle decides (docs/api.md, "Rate limits";
docs/operations.md, "Redis outages"): the general per-caller limits (``anon``, ``user``) fail
open — the call goes through uncounted, since they guard capacity, not secrets, and refusing
would take the whole API down with the cache — while the ``auth`` scope (password and
credential checks, guarded against guessing) fails closed with ``unavailable`` (503,
``Retry-After``).
"""

import secrets
from typing import TYPE_CHECKING, Any

import redis
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext_lazy as _
from rest_framework import throttling
from rest_framework.request import Request

from apps.common.client_address import client_address_of_request
from apps.common.exceptions import ApplicationError
from apps.common.redis_connections import Script, thread_client
from apps.titles.authentication import TitleClient

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView

# DRF's sliding window (drop calls older than the window, refuse at the limit, else record
# this one) as one script: one Redis round trip per throttle instead of a GET and a SET, and
# no lost update between them when two workers count the same caller at once. Scores are the
# call times; the reply is (allowed, calls in the window, oldest call time as a string: Lua
# would truncate a number).
SLIDING_WINDOW_SCRIPT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, oldest[2]}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return {1, count + 1, ARGV[1]}
"""


# Scopes whose throttle refuses calls it cannot count (Redis down) instead of letting them by.
FAIL_CLOSED_SCOPES = frozenset({"auth"})
# How soon to retry a call refused because Redis could not count it (its connect timeout).
CACHE_DOWN_RETRY_AFTER_MS = 2000


class CacheUnavailable(ApplicationError):
    """A fail-closed throttle could not count the call: Redis is down."""

    code = "unavailable"
    status_code = 503
    default_message = _("The service is briefly unavailable. Try again shortly.")


class OneRoundTripMixin(throttling.SimpleRateThrottle):
    """DRF's rate throttle in one Redis round trip when the cache is Redis (production); any
    other cache (the bare test run's local memory) keeps DRF's own GET-then-SET."""

    _script = Script(SLIDING_WINDOW_SCRIPT)
    num_requests: int  # set by SimpleRateThrottle.__init__ from the rate
    duration: int

    @property
    def fails_open(self) -> bool:
        return self.scope not in FAIL_CLOSED_SCOPES

    def allow_request(self, request: Request, view: "APIView") -> bool:
        try:
            return self._allow_request(request, view)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            if self.fails_open:
                return True
            raise CacheUnavailable(details={"retry_after_ms": CACHE_DOWN_RETRY_AFTER_MS}) from error

    @staticmethod
    def _redis_backend() -> RedisCache | None:
        """The cache backend itself when it is Redis (``self.cache`` is Django's connection
        proxy, never an instance of the backend class)."""
        backend = caches[DEFAULT_CACHE_ALIAS]
        return backend if isinstance(backend, RedisCache) else None

    def _allow_request(self, request: Request, view: "APIView") -> bool:
        backend = self._redis_backend()
        if backend is None:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        allowed, count, oldest = self._count_call(backend)
        # wait() reads how many calls the window holds and when its oldest one was.
        self.history = [float(oldest)] * int(count)
        return bool(allowed)

    def _count_call(self, backend: RedisCache) -> list[Any]:
        client = _redis_client(backend)
        # Not DRF's key: a sorted set, never the list an older worker may still hold there.
        key = backend.make_key(f"{self.key}:window")  # ours: no characters to validate
        member = f"{self.now!r}:{secrets.token_hex(4)}"
        arguments = [repr(self.now), self.duration, self.num_requests, member]
        return self._script(client, keys=[key], args=arguments)


def _redis_client(backend: RedisCache) -> Any:
    """This thread's own client on the cache's write pool (``apps.common.redis_connections``:
    one round trip without checking a connection out of the pool and back in). Django's
    ``get_client`` would build a new client, with its callback table, on every call."""
    pool = backend._cache._get_connection_pool(write=True)  # type: ignore[attr-defined]
    return thread_client(pool)


class ClientAddressMixin:
    """Anonymous callers are told apart by ``apps.common.client_address``: X-Forwarded-For
    counts only as far as TRUSTED_PROXY_COUNT proxies (docs/operations.md)."""

    def get_ident(self, request: Request) -> str:
        return client_address_of_request(request) or ""


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle, OneRoundTripMixin):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle, OneRoundTripMixin):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle, OneRoundTripMixin):
    """Per player, or per title credential for game servers (they have no user id)."""

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        user = request.user
        if isinstance(user, TitleClient):
            return self.cache_format % {"scope": self.scope, "ident": f"title-{user.credential.id}"}
        return super().get_cache_key(request, view)
