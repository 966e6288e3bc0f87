from django.urls import path

from crm import views

app_name = "crm"
urlpatterns = [
    path("customers/", views.customer_list, name="customers"),
    path("import/", views.customer_import, name="import"),
    path("import/template.csv", views.import_template, name="import_template"),
]
