from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuildsConfig(AppConfig):
    name = "apps.guilds"
    label = "guilds"
    verbose_name = _("Guilds")

    def ready(self) -> None:
        # Registrations with earlier apps: chat's `guild` channel kind; moderation's report targets.
        from apps.chat.kinds import kind_registry
        from apps.guilds import stats  # noqa: F401  (registers its game-event handlers)
        from apps.guilds.chat import GuildChatRules
        from apps.guilds.moderation import GUILD_TARGET
        from apps.moderation.targets import target_kind_register

        kind_registry.register(GuildChatRules())
        # Moderation's report targets: a guild (name, tag, description) can be reported.
        target_kind_register(GUILD_TARGET)
