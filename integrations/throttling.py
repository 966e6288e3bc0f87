from rest_framework.throttling import SimpleRateThrottle

from integrations.models import ApiToken


class ApiTokenRateThrottle(SimpleRateThrottle):
    """A request budget per token (per user for signed-in staff, per address otherwise)."""

    scope = "api_token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
