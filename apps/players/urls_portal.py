"""Portal pages under /players/ (community/urls.py includes this module)."""

from django.urls import path

from apps.players import views

app_name = "players"

urlpatterns = [
    path("create/", views.player_create_page, name="create"),
    path("me/", views.me_page, name="me"),
    path("me/avatar/", views.avatar_upload, name="avatar-upload"),
    path("me/showcase/", views.showcase_update, name="showcase"),
    path("friends/", views.friends_page, name="friends"),
    path("requests/<int:request_id>/<str:answer>/", views.friend_request_answer,
         name="request-answer"),
    path("notifications/", views.notifications_page, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications-read-all"),
    path("notifications/unread-count/", views.unread_count, name="unread-count"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/claim/", views.identity_claim, name="identity-claim"),
    path("settings/identities/<int:identity_id>/unlink/", views.identity_unlink_page,
         name="identity-unlink"),
    path("settings/export/", views.export_download, name="export"),
    path("settings/delete/", views.deletion_request, name="delete"),
    path("<int:player_id>/", views.profile_page, name="profile"),
    path("<int:player_id>/avatar/<str:size>", views.avatar_file, name="avatar"),
    path("<int:player_id>/friend-request/", views.friend_request_page_action,
         name="friend-request"),
    path("<int:player_id>/<str:action>/", views.relation_action, name="relation"),
]  # fmt: skip
