from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from integrations.api_support import not_found
from npsapp import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("surveys.urls")),
    path("", include("followups.urls")),
    path("crm/", include("crm.urls")),
    path("crm/", include("customerview.urls")),
    path("account/", include("accounts.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("triggers/", include("triggers.urls")),
    path("", include("conversations.urls")),
    path("", include("insights.urls")),
    path("api/v1/", include("npsapp.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="integrations/api_docs.html"),
        name="api-docs",
    ),
    # Any other address under /api/ answers a JSON 404, not the HTML page.
    re_path(r"^api/", not_found),
]


if settings.NPSAPP_BENCH_BARE_VIEW:

    def bench_ok(request):
        """bench/submit.py's baseline: the same server, settings and middleware, no work in the view."""
        return HttpResponse("ok", content_type="text/plain")

    urlpatterns.insert(0, path("bench/ok/", bench_ok))
