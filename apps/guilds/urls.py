from django.urls import path

from apps.guilds import apis, apis_game

urlpatterns = [
    path("guilds/game/player", apis_game.GamePlayerGuildsApi.as_view(), name="guild-game-player"),
    path(
        "guilds/game/leaderboard",
        apis_game.GameLeaderboardApi.as_view(),
        name="guild-game-leaderboard",
    ),
    path("guilds", apis.GuildListApi.as_view(), name="guild-list"),
    path("guilds/new", apis.GuildCreateApi.as_view(), name="guild-create"),
    path("guilds/leaderboard", apis.GuildLeaderboardApi.as_view(), name="guild-leaderboard"),
    path("guilds/mine", apis.GuildMineApi.as_view(), name="guild-mine"),
    path("guilds/invites", apis.GuildInviteListApi.as_view(), name="guild-invites"),
    path(
        "guilds/invites/<int:invite_id>/accept",
        apis.GuildInviteRespondApi.as_view(),
        name="guild-invite-accept",
    ),
    path(
        "guilds/invites/<int:invite_id>/decline",
        apis.GuildInviteDeclineApi.as_view(),
        name="guild-invite-decline",
    ),
    path("guilds/<int:guild_id>", apis.GuildDetailApi.as_view(), name="guild-detail"),
    path("guilds/<int:guild_id>/members", apis.GuildMemberListApi.as_view(), name="guild-members"),
    path("guilds/<int:guild_id>/join", apis.GuildJoinApi.as_view(), name="guild-join"),
    path("guilds/<int:guild_id>/leave", apis.GuildLeaveApi.as_view(), name="guild-leave"),
    path("guilds/<int:guild_id>/disband", apis.GuildDisbandApi.as_view(), name="guild-disband"),
    path("guilds/<int:guild_id>/emblem", apis.GuildEmblemApi.as_view(), name="guild-emblem"),
    path("guilds/<int:guild_id>/transfer", apis.GuildTransferApi.as_view(), name="guild-transfer"),
    path(
        "guilds/<int:guild_id>/members/<int:player_id>/kick",
        apis.GuildMemberKickApi.as_view(),
        name="guild-member-kick",
    ),
    path(
        "guilds/<int:guild_id>/members/<int:player_id>/role",
        apis.GuildMemberRoleApi.as_view(),
        name="guild-member-role",
    ),
    path(
        "guilds/<int:guild_id>/bans/<int:player_id>", apis.GuildBanApi.as_view(), name="guild-ban"
    ),
    path("guilds/<int:guild_id>/roles", apis.GuildRoleCreateApi.as_view(), name="guild-roles"),
    path(
        "guilds/<int:guild_id>/roles/<int:role_id>",
        apis.GuildRoleUpdateApi.as_view(),
        name="guild-role",
    ),
    path(
        "guilds/<int:guild_id>/requests", apis.GuildRequestListApi.as_view(), name="guild-requests"
    ),
    path(
        "guilds/<int:guild_id>/requests/<int:request_id>/approve",
        apis.GuildRequestDecideApi.as_view(),
        name="guild-request-approve",
    ),
    path(
        "guilds/<int:guild_id>/requests/<int:request_id>/deny",
        apis.GuildRequestDenyApi.as_view(),
        name="guild-request-deny",
    ),
    path("guilds/<int:guild_id>/invites", apis.GuildInviteCreateApi.as_view(), name="guild-invite"),
    path(
        "guilds/<int:guild_id>/invites/sent",
        apis.GuildInviteSentListApi.as_view(),
        name="guild-invites-sent",
    ),
    path(
        "guilds/<int:guild_id>/invites/<int:invite_id>",
        apis.GuildInviteRevokeApi.as_view(),
        name="guild-invite-revoke",
    ),
    path("guilds/<int:guild_id>/feed", apis.GuildFeedApi.as_view(), name="guild-feed"),
    path("guilds/<int:guild_id>/stats", apis.GuildStatsApi.as_view(), name="guild-stats"),
    path("guilds/<int:guild_id>/audit", apis.GuildAuditApi.as_view(), name="guild-audit"),
]
