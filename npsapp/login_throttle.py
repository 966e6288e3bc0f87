"""Login throttling: django-axes' lock on a username and address pair, plus a cap per address.

The address is the client's, read by the same rule as the customer pages' rate limits
(`surveys.ratelimit.client_ip`: the last hop of NPSAPP_CLIENT_IP_HEADER behind our proxy), so
an attacker guessing "manager"'s password locks out that pair only, not every client of the
proxy. A pair lock alone lets one address try a few passwords on every username (spraying):
the failures of all usernames from one address are added up and, past
NPSAPP_LOGIN_FAILURES_PER_ADDRESS within the cool-off, the address is locked too.

The count reads axes' own attempt rows (by address, within the cool-off): every process sees
it without Redis, it expires with the pair locks, and `manage.py axes_reset_ip` lifts it.
"""

import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum

logger = logging.getLogger(__name__)


def address_failures(request) -> int:
    """Failed logins from the request's client address, any username, within the cool-off."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    total = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gt=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def address_locked(request) -> bool:
    limit = settings.NPSAPP_LOGIN_FAILURES_PER_ADDRESS
    return limit > 0 and address_failures(request) >= limit


class LoginThrottleHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler, also locking an address over its failure cap."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or address_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False) or not address_locked(request):
            return
        # Past the address's cap: answer this attempt with the lockout page, as axes does for a pair.
        logger.warning("Login locked for address %s: too many failed logins across usernames", request.axes_ip_address)
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        )
