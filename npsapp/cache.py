"""The Redis cache, failing open: while Redis fails or hangs it behaves as an empty cache.

Only rate-limit counters and throttling histories live in the cache; losing them for a while
lets a few more requests through, which is better than making every customer wait on Redis
or get an error. Each call goes through the process's "cache" breaker (npsapp.breaker), so a
Redis that hangs costs one socket timeout per process per window.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from npsapp.breaker import BreakerOpen, breaker

logger = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
_MISSING = object()


class FailOpenRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # id of a pool (kept in self._pools for good) -> its client

    def get_client(self, key=None, *, write=False):
        # Django builds a new redis.Redis per call, and with it a table of about 170 reply
        # callbacks: more CPU than the GET it sends. A client only holds its pool, and is
        # thread-safe, so one per pool serves every call.
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _through_breaker(self, method: str, unavailable, *args):
        try:
            return breaker("cache").call(getattr(super(), method), *args, errors=REDIS_DOWN)
        except BreakerOpen:
            pass
        except REDIS_DOWN:
            logger.warning("cache unavailable (%s): behaving as an empty cache for a while", method, exc_info=True)
        if unavailable is _MISSING:
            # incr() on an empty cache: the key is not there.
            raise ValueError(f"Key {args[0]!r} not found (cache unavailable).")
        return unavailable

    def add(self, key, value, timeout):
        # As if stored: the caller's first hit of a window goes through.
        return self._through_breaker("add", True, key, value, timeout)

    def get(self, key, default):
        return self._through_breaker("get", default, key, default)

    def set(self, key, value, timeout):
        return self._through_breaker("set", None, key, value, timeout)

    def touch(self, key, timeout):
        return self._through_breaker("touch", False, key, timeout)

    def delete(self, key):
        return self._through_breaker("delete", False, key)

    def get_many(self, keys):
        return self._through_breaker("get_many", {}, keys)

    def has_key(self, key):
        return self._through_breaker("has_key", False, key)

    def incr(self, key, delta):
        return self._through_breaker("incr", _MISSING, key, delta)

    def set_many(self, data, timeout):
        return self._through_breaker("set_many", None, data, timeout)

    def delete_many(self, keys):
        return self._through_breaker("delete_many", None, keys)

    def clear(self):
        return self._through_breaker("clear", False)


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
