from django.urls import path

from followups import views

app_name = "followups"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("cases/<uuid:public_id>/", views.ticket_detail, name="ticket"),
]
