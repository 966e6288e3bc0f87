from django.urls import path

from reporting import export_views, views

app_name = "reporting"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/follow-up/", views.dashboard_followup, name="dashboard_followup"),
    path("dashboard/export/responses.csv", export_views.export_responses, name="export_responses"),
    path("dashboard/export/cases.csv", export_views.export_cases, name="export_cases"),
]
