"""bench/submit.py's baseline, included under /bench/ only when NPSAPP_BENCH_BARE_VIEW is on (npsapp/urls.py)."""

from django.http import HttpResponse
from django.urls import path


def bench_ok(request):
    """The same server, settings and middleware as an answer, and no work in the view."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("ok/", bench_ok, name="bench-ok")]
