from django.urls import path

from surveys import embed_views, views

app_name = "surveys"
urlpatterns = [
    path("s/brand/<int:brand_id>.css", views.brand_css, name="brand_css"),
    path("s/<str:token>/", views.respond, name="respond"),
    path("s/<str:token>/thanks/", views.thanks, name="thanks"),
    path("f/<uuid:public_id>/", views.public_feedback, name="public_feedback"),
    path("f/<uuid:public_id>/thanks/", views.public_thanks, name="public_thanks"),
    path("f/<uuid:public_id>/embed.js", embed_views.embed_script, name="embed_script"),
    path("f/<uuid:public_id>/qr.svg", embed_views.qr_svg, name="public_qr_svg"),
    path("f/<uuid:public_id>/qr.png", embed_views.qr_png, name="public_qr_png"),
    path("f/<uuid:public_id>/poster/", embed_views.poster, name="poster"),
]
