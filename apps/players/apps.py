from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlayersConfig(AppConfig):
    name = "apps.players"
    label = "players"
    verbose_name = _("Players")

    def ready(self) -> None:
        from apps.accounts.token_cache import user_changes_watch
        from apps.players.models import Player
        from apps.players.preferences import player_language
        from apps.players.realtime import register_connection_hooks
        from apps.realtime.language import user_language_register

        register_connection_hooks()
        # An API token's lookup reads its user's player (apps/accounts/token_cache.py).
        user_changes_watch(Player, lambda player: player.user_id)
        user_language_register(player_language)
