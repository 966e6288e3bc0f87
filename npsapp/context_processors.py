from npsapp import roles as r


def roles(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {
        "can_work_cases": r.has_any_role(user, r.CAN_WORK_CASES),
        "can_see_dashboard": r.has_any_role(user, r.CAN_SEE_DASHBOARD),
        "is_admin": r.has_any_role(user, {r.ADMIN}),
    }
