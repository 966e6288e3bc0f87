from django.urls import path

from triggers import views

app_name = "triggers"

urlpatterns = [
    path("", views.rule_list, name="list"),
]
