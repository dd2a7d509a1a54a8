from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuildsConfig(AppConfig):
    name = "apps.guilds"
    label = "guilds"
    verbose_name = _("Guilds")

    def ready(self) -> None:
        # Registrations with earlier apps: chat's `guild` channel kind.
        from apps.chat.kinds import kind_registry
        from apps.guilds.chat import GuildChatRules

        kind_registry.register(GuildChatRules())
