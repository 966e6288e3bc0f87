"""The public feedback page outside the app: framed on the company's site, or reached from a
shop's poster. Pure helpers, no ORM: which origins may frame the page, and the signed shop
label a poster's QR code carries.
"""

import re
from urllib.parse import urlsplit

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LOCATION_MAX_LENGTH = 60
# The query parameter carrying the signed shop label (short: it is printed in a QR code).
LOCATION_PARAM = "l"
LOCATION_SALT = "surveys.poster-location"

_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _normalise(origin: str) -> str:
    return origin.rstrip("/").lower()


def validate_embed_origins(text: str) -> None:
    """Each line a scheme and host (and port): what a browser sends as Origin, nothing more."""
    bad = [line for line in _lines(text) if not _ORIGIN.match(_normalise(line))]
    if bad:
        raise ValidationError(
            _("Not a site origin (scheme and host, no path): %(origins)s"), params={"origins": ", ".join(bad)}
        )


def embed_origins_from_text(text: str) -> list[str]:
    seen = []
    for line in _lines(text):
        origin = _normalise(line)
        if _ORIGIN.match(origin) and origin not in seen:
            seen.append(origin)
    return seen


def frame_headers(response, origins: list[str]) -> None:
    """Let the listed origins (and only them) show this response in a frame.

    The CSP frame-ancestors replaces the site-wide 'none'; X-Frame-Options cannot name an
    origin, and browsers that know frame-ancestors ignore it, so it is dropped for this page.
    """
    if not origins:
        return
    response._csp_replace = {"frame-ancestors": ["'self'", *origins]}
    response.xframe_options_exempt = True


def cross_site_post(request) -> bool:
    """Whether a POST comes from a page on another site.

    The public form is exempt from the CSRF cookie check: inside a frame on the company's
    site the cookie is a third-party cookie, which browsers withhold (SameSite=Lax) or block.
    The browser's own headers say where the form was: the framed page is ours, so its POST
    is same-origin; a form on another site posting here says cross-site.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False  # Old browsers and non-browser clients: the honeypot and rate limit hold.
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" != f"{request.scheme}://{request.get_host()}"


def _location_salt(public_id) -> str:
    # Per survey: a label signed for one survey's poster is no good on another's page.
    return f"{LOCATION_SALT}:{public_id}"


def location_sign(*, public_id, location: str) -> str:
    return signing.dumps(location.strip()[:LOCATION_MAX_LENGTH], salt=_location_salt(public_id))


def location_from_token(*, public_id, token: str) -> str:
    """The shop label a poster's code carries, or "" when absent or forged."""
    if not token:
        return ""
    try:
        location = signing.loads(token, salt=_location_salt(public_id))
    except signing.BadSignature:
        return ""
    if not isinstance(location, str):
        return ""
    return location.strip()[:LOCATION_MAX_LENGTH]
