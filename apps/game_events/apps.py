from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GameEventsConfig(AppConfig):
    name = "apps.game_events"
    label = "game_events"
    verbose_name = _("Game events")
