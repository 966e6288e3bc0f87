"""Staff roles, held as Django groups.

agent: works the follow-up inbox. manager: inbox and dashboard. admin: everything,
including Django admin (admins are also given is_staff).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

AGENT = "agent"
MANAGER = "manager"
ADMIN = "admin"
ALL_ROLES = (AGENT, MANAGER, ADMIN)

# Which roles may do what. A superuser may do everything.
CAN_WORK_CASES = {AGENT, MANAGER, ADMIN}
CAN_SEE_DASHBOARD = {MANAGER, ADMIN}


def user_roles(user) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_npsapp_roles", None)
    if cached is None:
        if user.is_superuser:  # every role: no need to read the groups
            cached = set(ALL_ROLES)
        else:
            cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._npsapp_roles = cached
    return cached


def has_any_role(user, roles) -> bool:
    return bool(user_roles(user) & set(roles))


def role_required(roles):
    """Login required, then one of `roles`, else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_any_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
