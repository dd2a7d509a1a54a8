"""Portal pages under /guilds/ (community/urls.py includes this module)."""

from django.urls import path

from apps.guilds import views

app_name = "guilds"

urlpatterns = [
    path("", views.browse_page, name="browse"),
    path("create/", views.create_page, name="create"),
    path("invites/<int:invite_id>/<str:answer>/", views.invite_respond_post, name="invite-respond"),
    path("<int:guild_id>/", views.guild_page, name="detail"),
    path("<int:guild_id>/join/", views.join_post, name="join"),
    path("<int:guild_id>/leave/", views.leave_post, name="leave"),
    path("<int:guild_id>/invite/<int:player_id>/", views.invite_post, name="invite"),
]
