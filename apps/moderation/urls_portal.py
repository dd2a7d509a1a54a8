"""Portal pages under /moderation/ (community/urls.py includes this module)."""

from django.urls import path

from apps.moderation import views

app_name = "moderation"

urlpatterns = [
    path("report/", views.report_page, name="report"),
    path("me/", views.my_sanctions_page, name="my-sanctions"),
    path("me/<int:sanction_id>/appeal/", views.appeal_create, name="appeal"),
    path("appeal/<str:token>/", views.appeal_link_page, name="appeal-link"),
]
