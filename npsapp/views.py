from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache

from npsapp import roles


def home(request):
    """Send each person where their work is."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("login"))
    if roles.has_any_role(request.user, roles.CAN_SEE_DASHBOARD):
        return HttpResponseRedirect(reverse("reporting:dashboard"))
    if roles.has_any_role(request.user, roles.CAN_WORK_CASES):
        return HttpResponseRedirect(reverse("followups:inbox"))
    return HttpResponse(status=403)


@never_cache
def healthz(request):
    """Liveness and database check for load balancers and compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
