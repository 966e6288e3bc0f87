from django.urls import path

from conversations import views

app_name = "conversations"
urlpatterns = [
    path("cases/<uuid:public_id>/reply/", views.case_reply, name="case_reply"),
    path("conversations/r/<str:token>/", views.customer_reply, name="customer_reply"),
    path("conversations/inbound/", views.inbound_email, name="inbound_email"),
    path("close-the-loop/", views.close_the_loop, name="close_the_loop"),
]
