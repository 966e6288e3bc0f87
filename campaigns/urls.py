from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("new/count/", views.audience_count, name="audience_count"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/cancel/", views.campaign_cancel, name="cancel"),
    path("unsubscribe/<str:signed>/", views.unsubscribe, name="unsubscribe"),
]
