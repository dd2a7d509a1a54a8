from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # this module also holds django-axes' config (below)
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from apps.accounts.models import ApiToken, User
        from apps.accounts.token_cache import user_changes_watch

        # What an API token's lookup reads (apps/accounts/token_cache.py).
        user_changes_watch(ApiToken, lambda token: token.user_id)
        user_changes_watch(User, lambda user: user.id)


class LoginProtectionConfig(AxesAppConfig):
    """django-axes (login lockout, apps/accounts/lockout.py) under a translated name in the
    admin. Axes ships no English or Japanese catalog: the names of its models that the admin
    shows are marked here so that they reach ours (locale/), which Django prefers."""

    verbose_name = _("Login protection")


AXES_MODEL_NAMES = (
    _("access attempt"),
    _("access attempts"),
    _("access failure"),
    _("access failures"),
    _("access log"),
    _("access logs"),
)
