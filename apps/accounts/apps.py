from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # this module also holds django-axes' config (below)
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")


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
