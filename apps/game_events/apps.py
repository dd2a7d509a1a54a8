from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GameEventsConfig(AppConfig):
    name = "apps.game_events"
    label = "game_events"
    verbose_name = _("Game events")

    def ready(self) -> None:
        # Registers this app's effects for the event types handled now (see registry.py).
        from apps.game_events import handlers  # noqa: F401
