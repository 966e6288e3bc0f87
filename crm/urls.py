from django.urls import path  # noqa: F401 - patterns are added by the CRM pages

app_name = "crm"
urlpatterns: list = []
