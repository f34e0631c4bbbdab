"""Rate limits on capture: per capture key on the APIs, per client address on web-to-lead forms.

Rates are DRF scoped rates (`DEFAULT_THROTTLE_RATES`, read when each request is checked) and
the counts live in Django's default cache, Redis in production, so every worker shares them.
"""

import logging
import math
import time
import weakref
from typing import cast

import redis
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django.views import View
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import CaptureKey

logger = logging.getLogger(__name__)


def clock() -> float:
    return time.time()


class FixedWindowRateThrottle(SimpleRateThrottle):
    """A scoped throttle that counts requests per fixed window with one atomic increment.

    DRF's own throttle keeps each request's timestamp in one cache value that every request
    reads and rewrites: at thousands a minute that value is large, and concurrent workers
    overwrite each other's counts. A counter per window stays small and Redis increments it
    atomically; a client may burst up to twice the rate across a window's edge.
    """

    # Set by SimpleRateThrottle.__init__ from the rate; both None when the scope has none.
    num_requests: int | None
    duration: int | None
    wait_seconds: float

    def get_rate(self) -> str | None:
        # The class attribute DRF reads is frozen at import; settings may change (tests do).
        # DRF's rates are "number/period" text; its stubs say numbers.
        rates = cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope) if self.scope is not None else None

    def allow_request(self, request: Request | HttpRequest, view: View) -> bool:
        if self.num_requests is None or self.duration is None:
            return True  # no rate for this scope
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = clock()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        try:
            count = _count(f"{ident}:{window}", timeout=self.duration)
        except Exception:
            # The limit guards capture; a cache outage must not stop it (Redis down: leads
            # still come in, unlimited until it is back).
            logger.warning("Request rate not checked: the cache is unavailable.", exc_info=True)
            return True
        return count <= self.num_requests

    def get_cache_key(self, request: Request | HttpRequest, view: View) -> str | None:
        raise NotImplementedError

    def get_ident(self, request: Request | HttpRequest) -> str:
        # DRF reads only META, which a plain Django request (the web-to-lead form) has too.
        return super().get_ident(cast(Request, request))

    def wait(self) -> float:
        return self.wait_seconds

    def retry_after(self) -> str:
        return str(max(1, math.ceil(self.wait_seconds)))


def _count(key: str, *, timeout: int) -> int:
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        return _redis_count(backend, key, timeout=timeout)
    return _cache_count(backend, key, timeout=timeout)


def _cache_count(backend: BaseCache, key: str, *, timeout: int) -> int:
    try:
        return backend.incr(key)
    except ValueError:
        # The window's first request, or one racing it to create the counter.
        return 1 if backend.add(key, 1, timeout=timeout) else backend.incr(key)


# One client per cache backend: Django's Redis cache builds a client for every call, which
# cost a capture more than the count itself. A client is safe to share between threads.
_redis_clients: "weakref.WeakKeyDictionary[RedisCache, redis.Redis]" = weakref.WeakKeyDictionary()


def _redis_count(backend: RedisCache, key: str, *, timeout: int) -> int:
    """One round trip: create the window's counter with its expiry unless it exists, then add 1.

    Django's `incr` asks whether the key exists and then increments it, two round trips on every
    capture. Both commands here go in one pipeline; a counter is never left without an expiry.
    """
    client = _redis_clients.get(backend)
    if client is None:
        # Django's RedisCache offers its redis-py client only through the private `_cache`.
        client = _redis_clients[backend] = backend._cache.get_client(write=True)  # type: ignore[attr-defined]
    name = backend.make_and_validate_key(key)
    pipe = client.pipeline(transaction=False)
    pipe.set(name, 0, ex=timeout, nx=True)
    pipe.incr(name)
    return int(pipe.execute()[1])


class CaptureKeyThrottle(FixedWindowRateThrottle):
    """Per capture key, whichever address its requests come from."""

    scope = "capture_key"

    def get_cache_key(self, request: Request | HttpRequest, view: View) -> str | None:
        # Only DRF's requests carry `auth`; a plain Django request has no capture key.
        auth = getattr(request, "auth", None)
        if not isinstance(auth, CaptureKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": auth.pk}


class CaptureFormThrottle(FixedWindowRateThrottle):
    """Per client address on the public web-to-lead form, which has no key to count by.

    The address is the socket's peer unless NUM_PROXIES says how many proxies in front of us
    append to X-Forwarded-For; a client can write anything there, so it is not trusted
    otherwise.
    """

    scope = "capture_form"

    def get_cache_key(self, request: Request | HttpRequest, view: View) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
