from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("themes/review/", views.review, name="review"),
    path("themes/review/discover/", views.discover, name="discover"),
    path("themes/review/<uuid:public_id>/accept/", views.accept, name="accept"),
    path("themes/review/<uuid:public_id>/merge/", views.merge, name="merge"),
    path("themes/review/<uuid:public_id>/rename/", views.rename, name="rename"),
    path("themes/review/<uuid:public_id>/dismiss/", views.dismiss, name="dismiss"),
    path("dashboard/drivers/", views.drivers, name="drivers"),
]
