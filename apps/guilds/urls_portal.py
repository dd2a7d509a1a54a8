"""Portal pages under /guilds/ (community/urls.py includes this module)."""

from django.urls import path

from apps.guilds import views, views_manage, views_manage_guild

app_name = "guilds"

urlpatterns = [
    path("", views.browse_page, name="browse"),
    path("create/", views.create_page, name="create"),
    path("invites/<int:invite_id>/<str:answer>/", views.invite_respond_post, name="invite-respond"),
    path("<int:guild_id>/", views.guild_page, name="detail"),
    path("<int:guild_id>/emblem/<str:size>", views.emblem_file, name="emblem"),
    path("<int:guild_id>/join/", views.join_post, name="join"),
    path("<int:guild_id>/leave/", views.leave_post, name="leave"),
    path("<int:guild_id>/invite/<int:player_id>/", views.invite_post, name="invite"),
    path("<int:guild_id>/manage/", views_manage.manage_page, name="manage"),
    path("<int:guild_id>/manage/settings/", views_manage.settings_post, name="manage-settings"),
    path(
        "<int:guild_id>/manage/members/<int:player_id>/<str:action>/",
        views_manage.member_post,
        name="manage-member",
    ),
    path(
        "<int:guild_id>/manage/bans/<int:player_id>/lift/",
        views_manage.ban_lift_post,
        name="manage-ban-lift",
    ),
    path(
        "<int:guild_id>/manage/requests/<int:request_id>/<str:answer>/",
        views_manage.request_post,
        name="manage-request",
    ),
    path("<int:guild_id>/manage/invites/", views_manage_guild.invite_post, name="manage-invite"),
    path(
        "<int:guild_id>/manage/invites/<int:invite_id>/revoke/",
        views_manage_guild.invite_revoke_post,
        name="manage-invite-revoke",
    ),
    path("<int:guild_id>/manage/roles/", views_manage_guild.role_create_post, name="manage-roles"),
    path(
        "<int:guild_id>/manage/roles/<int:role_id>/<str:action>/",
        views_manage_guild.role_post,
        name="manage-role",
    ),
    path(
        "<int:guild_id>/manage/transfer/", views_manage_guild.transfer_post, name="manage-transfer"
    ),
    path("<int:guild_id>/manage/disband/", views_manage_guild.disband_post, name="manage-disband"),
    path("<int:guild_id>/manage/emblem/", views_manage_guild.emblem_post, name="manage-emblem"),
    path(
        "<int:guild_id>/manage/emblem/remove/",
        views_manage_guild.emblem_remove_post,
        name="manage-emblem-remove",
    ),
]
