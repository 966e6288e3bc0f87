from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("s/brand/<int:brand_id>.css", views.brand_css, name="brand_css"),
    path("s/<str:token>/", views.respond, name="respond"),
    path("s/<str:token>/thanks/", views.thanks, name="thanks"),
    path("f/<uuid:public_id>/", views.public_feedback, name="public_feedback"),
    path("f/<uuid:public_id>/thanks/", views.public_thanks, name="public_thanks"),
    path("dashboard/", views.dashboard, name="dashboard"),
]

from surveys import export_views  # noqa: E402  (appended so concurrent edits above do not conflict)

urlpatterns += [
    path("dashboard/export/responses.csv", export_views.export_responses, name="export_responses"),
    path("dashboard/export/cases.csv", export_views.export_cases, name="export_cases"),
]

from surveys import dashboard_views  # noqa: E402

urlpatterns += [
    path("dashboard/follow-up/", dashboard_views.dashboard_followup, name="dashboard_followup"),
]

from surveys import embed_views  # noqa: E402

urlpatterns += [
    path("f/<uuid:public_id>/embed.js", embed_views.embed_script, name="embed_script"),
    path("f/<uuid:public_id>/qr.svg", embed_views.qr_svg, name="public_qr_svg"),
    path("f/<uuid:public_id>/qr.png", embed_views.qr_png, name="public_qr_png"),
    path("f/<uuid:public_id>/poster/", embed_views.poster, name="poster"),
]
