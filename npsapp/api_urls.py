"""The REST API, version 1: mounted at /api/v1/ (schema at /api/schema/, docs at /api/docs/)."""

from django.urls import path

from crm import api as crm_api
from followups import api as followups_api
from insights import api as insights_api
from privacy import api as privacy_api
from reporting import api as reporting_api
from surveys import api as surveys_api

app_name = "api"
urlpatterns = [
    path("customers/", crm_api.CustomerCreateView.as_view(), name="customers"),
    # Before the customer's own address, so that "bulk" is not read as an external id.
    path("customers/bulk/", crm_api.CustomerBulkView.as_view(), name="customers-bulk"),
    path("customers/<str:external_id>/", privacy_api.CustomerDetailView.as_view(), name="customer"),
    path("customers/<str:external_id>/erase/", privacy_api.CustomerEraseView.as_view(), name="customer-erase"),
    path(
        "customers/<str:external_id>/purchases/",
        crm_api.CustomerPurchaseCreateView.as_view(),
        name="customer-purchases",
    ),
    path("customers/<str:external_id>/events/", crm_api.CustomerEventCreateView.as_view(), name="customer-events"),
    path("purchases/bulk/", crm_api.PurchaseBulkView.as_view(), name="purchases-bulk"),
    path("events/bulk/", crm_api.CustomerEventBulkView.as_view(), name="events-bulk"),
    path("invitations/", surveys_api.InvitationCreateView.as_view(), name="invitations"),
    path("responses/", reporting_api.ResponseListView.as_view(), name="responses"),
    path("responses/<uuid:public_id>/", reporting_api.ResponseDetailView.as_view(), name="response"),
    path("nps/", reporting_api.NpsSummaryView.as_view(), name="nps"),
    path("nps/drivers/", insights_api.DriversView.as_view(), name="nps-drivers"),
    path("cases/", followups_api.CaseListView.as_view(), name="cases"),
    path("cases/<uuid:public_id>/", followups_api.CaseDetailView.as_view(), name="case"),
    path("cases/<uuid:public_id>/notes/", followups_api.CaseNoteCreateView.as_view(), name="case-notes"),
]
