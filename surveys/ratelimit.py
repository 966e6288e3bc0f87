"""Fixed-window rate limits on the customer pages, counted in Django's cache.

Locmem in the embedded mode (per process, which is enough for one small server), Redis when
configured. A cache outage never blocks a customer: the answer matters more than the limit.
"""

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def _key(scope: str, identity: str, window: int) -> str:
    # Hashed: tokens and addresses stay out of the cache's keyspace, and keys stay short.
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"npsapp:rate:{scope}:{digest}:{window}"


def allow(*, scope: str, identity: str, limit: int, window_seconds: int = WINDOW_SECONDS) -> bool:
    """Count one hit of `identity` in `scope`; False once more than `limit` hits fall in the window."""
    if limit <= 0:
        return True
    window = int(time.time() // window_seconds)
    key = _key(scope, identity, window)
    try:
        # add() is atomic and only succeeds for the first hit of the window; incr() after it
        # is atomic on Redis and under locmem's lock, so concurrent requests all count.
        if cache.add(key, 1, timeout=window_seconds + 1):
            return True
        return cache.incr(key) <= limit
    except ValueError:
        # The key expired between add() and incr(): this is the first hit of a new window.
        return True
    except Exception:  # noqa: BLE001 - a cache outage must not refuse an answer
        logger.warning("rate limit cache unavailable; letting the request through", exc_info=True)
        return True


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the last hop of the header our own proxy sets.

    Also the login lockouts' address (AXES_CLIENT_IP_CALLABLE), stored in an address column: a
    last hop that is not an address (not set by our proxy) counts as the connecting address.
    """
    header = settings.NPSAPP_CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get(header, "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            try:
                return str(ipaddress.ip_address(hops[-1]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR", "")


def link_post_allowed(token: str) -> bool:
    return allow(scope="link", identity=token, limit=settings.NPSAPP_RATE_LINK_POSTS_PER_MINUTE)


def public_post_allowed(request) -> bool:
    return allow(scope="public", identity=client_ip(request), limit=settings.NPSAPP_RATE_PUBLIC_POSTS_PER_MINUTE)
