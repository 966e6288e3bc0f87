from rest_framework import permissions

from integrations.choices import TokenScope
from integrations.models import ApiToken
from npsapp import roles


class TokenScopePermission(permissions.BasePermission):
    """Read-only tokens may only read; signed-in staff need the manager or admin role."""

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiToken):
            return request.method in permissions.SAFE_METHODS or request.auth.scope == TokenScope.WRITE
        user = request.user
        return bool(user and user.is_authenticated and roles.has_any_role(user, roles.CAN_SEE_DASHBOARD))
