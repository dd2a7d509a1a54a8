"""Portal pages under /ugc/ (community/urls.py includes this module)."""

from django.urls import path

from apps.ugc import views

app_name = "ugc"

urlpatterns = [
    path("", views.index_page, name="index"),
    path("upload/", views.upload_page, name="upload"),
    path("mine/", views.mine_page, name="mine"),
    path("t/<slug:slug>/", views.gallery_page, name="gallery"),
    path("items/<int:item_id>/", views.item_page, name="item"),
    path("items/<int:item_id>/comment/", views.comment_post, name="comment"),
    path("items/<int:item_id>/versions/", views.version_upload, name="version-upload"),
    path("items/<int:item_id>/manage/<str:action>/", views.item_manage, name="manage"),
    path("items/<int:item_id>/<str:action>/", views.engagement_toggle, name="engage"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment-delete"),
    path("report/<str:kind>/<int:target_id>/", views.report_page, name="report"),
    path("creators/<int:player_id>/", views.creator_page, name="creator"),
    path("blob/<str:token>", views.blob_serve, name="blob"),
]
