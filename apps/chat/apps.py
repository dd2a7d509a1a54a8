from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "apps.chat"
    label = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from apps.chat import realtime
        from apps.chat.commands import COMMANDS
        from apps.chat.events import TOPIC_PREFIX
        from apps.chat.tokens import CHAT_TOKEN_KIND, chat_token_resolve
        from apps.realtime.auth import token_resolver_register
        from apps.realtime.fanout import topic_source_register
        from apps.realtime.registry import command_register, event_handler_register, session_hooks

        for frame_type, handler in COMMANDS.items():
            command_register(frame_type, handler)
        event_handler_register("chat.channel_joined", realtime.channel_joined)
        event_handler_register("chat.channel_left", realtime.channel_left)
        event_handler_register("chat.read", realtime.read_moved)
        session_hooks.on_authenticated.append(realtime.session_setup)
        session_hooks.on_closed.append(realtime.on_closed)
        session_hooks.welcome_providers.append(realtime.welcome_limits)
        topic_source_register(prefix=TOPIC_PREFIX, source=realtime.fanout_source)
        token_resolver_register(kind=CHAT_TOKEN_KIND, resolver=chat_token_resolve)
        _register_export_section()


def _register_export_section() -> None:
    from apps.chat.selectors import player_chat_export
    from apps.players.data_rights import export_section_register

    export_section_register(name="chat", builder=lambda player: player_chat_export(player=player))
