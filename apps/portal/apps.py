from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The portal's shell: home page, design system, form rendering, icons. No models."""

    name = "apps.portal"
    label = "portal"
    verbose_name = _("Portal")
