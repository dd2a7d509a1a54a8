from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "apps.moderation"
    label = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from apps.accounts.gates import login_gate_register
        from apps.accounts.token_cache import user_changes_watch
        from apps.moderation import handlers, realtime  # noqa: F401 - handlers register
        from apps.moderation.enforcement import login_gate, login_gate_hint, sanction_user_id
        from apps.moderation.models import Sanction
        from apps.moderation.targets import register_builtin_kinds
        from apps.realtime.registry import session_hooks

        login_gate_register(login_gate, hint=login_gate_hint)
        # The gate's hint is read with every API token (apps/accounts/token_cache.py).
        user_changes_watch(Sanction, sanction_user_id)
        register_builtin_kinds()
        # First: a refused socket must not take a chat slot or show up as online.
        if realtime.session_setup not in session_hooks.on_authenticated:
            session_hooks.on_authenticated.insert(0, realtime.session_setup)
