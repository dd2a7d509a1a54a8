from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlayersConfig(AppConfig):
    name = "apps.players"
    label = "players"
    verbose_name = _("Players")

    def ready(self) -> None:
        from apps.players.preferences import player_language
        from apps.players.realtime import register_connection_hooks
        from apps.realtime.language import user_language_register

        register_connection_hooks()
        user_language_register(player_language)
