from django.shortcuts import render

from npsapp import roles
from npsapp.roles import role_required
from triggers import selectors

CAN_SEE_TRIGGERS = {roles.MANAGER, roles.ADMIN}


@role_required(CAN_SEE_TRIGGERS)
def rule_list(request):
    """Each trigger rule and what it did: sent, waiting for the window, skipped and why."""
    return render(request, "triggers/rule_list.html", {"rules": selectors.rules_overview()})
