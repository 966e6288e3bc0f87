from django.urls import path

from customerview import atrisk_views, views

app_name = "customerview"
urlpatterns = [
    # Under /crm/ beside the customer list, where the page has always been.
    path("customers/<uuid:public_id>/", views.customer_detail, name="customer"),
    path("at-risk/", atrisk_views.at_risk_list, name="at_risk"),
]
