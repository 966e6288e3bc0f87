"""Project middleware: the health check answered first, and the staff session's idle timeout."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY

from npsapp.views import healthz

HEALTH_PATH = "/healthz/"


class HealthCheckMiddleware:
    """Answers GET /healthz/ before the host check and the HTTPS redirect. Place it first.

    The compose health check (and a load balancer's) calls http://127.0.0.1:8000/healthz/ from
    inside the container: a Host that is not in ALLOWED_HOSTS (400 DisallowedHost), over plain
    HTTP (301 to https with HTTPS=true). This path only runs `SELECT 1` and says "ok"; every
    other path still goes through both checks.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)


# The session key holding when the session's expiry was last pushed back (Unix seconds).
_REFRESHED_AT = "npsapp_refreshed_at"
# At most one session write per this many seconds per staff session, whatever the requests.
REFRESH_EVERY_SECONDS = 300


class SessionIdleTimeoutMiddleware:
    """Sessions expire SESSION_COOKIE_AGE (NPSAPP_SESSION_IDLE_HOURS) after their last write;
    a signed-in user's requests push that back, writing the session at most every five minutes.

    So a staff session ends after the idle timeout (give or take five minutes), and stays open
    while in use. Unlike SESSION_SAVE_EVERY_REQUEST, it costs a write per five minutes of work,
    not per request, and nothing at all for customers: their pages never touch the session.
    Place it after AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # A signed-in session, not request.user: an API token's user has no session to extend,
        # and must not get one.
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            refresh_every = min(REFRESH_EVERY_SECONDS, settings.SESSION_COOKIE_AGE // 10)
            if now - session.get(_REFRESHED_AT, 0) >= refresh_every:
                # Modifying the session makes SessionMiddleware save it with a new expiry and cookie.
                session[_REFRESHED_AT] = now
        return response
