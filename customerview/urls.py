from django.urls import path

from customerview import atrisk_views

app_name = "customerview"
urlpatterns = [
    # Under /crm/ (see npsapp/urls.py), where it has always been.
    path("at-risk/", atrisk_views.at_risk_list, name="at_risk"),
]
