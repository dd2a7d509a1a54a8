"""Mounts each app's REST endpoints under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.accounts.urls_api")),
    path("", include("apps.titles.urls")),
    path("", include("apps.players.urls")),
    path("", include("apps.chat.urls")),
    path("", include("apps.game_events.urls")),
    path("", include("apps.moderation.urls")),
    path("", include("apps.ugc.urls")),
    path("", include("apps.guilds.urls")),
]
