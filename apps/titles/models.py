from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.common.localized_text import LocalizedTextField, localized
from apps.common.models import BaseModel


class Title(BaseModel):
    """A game (IP) of the publisher. Every title-specific thing in the community references it."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120)
    publisher = models.CharField(_("publisher"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    platforms = models.JSONField(_("platforms"), default=list, blank=True)
    default_locale = models.CharField(_("default locale"), max_length=16, default="en")
    # The name in other languages; ``name`` is the fallback (apps.common.localized_text).
    name_translations = LocalizedTextField(
        _("name in other languages"),
        max_length=120,
        help_text=_(
            'Language code → name, e.g. {"ja": "スターアリーナ"}. Empty: the name above everywhere.'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("title")
        verbose_name_plural = _("titles")

    def __str__(self) -> str:
        return self.localized_name

    @property
    def localized_name(self) -> str:
        """The name in the active language, else ``name``."""
        return localized(self.name_translations, self.name)


class TitleCredential(BaseModel):
    """An API key a title's game servers use. Only the SHA-256 digest of the key is stored.

    A credential is usable while not revoked and not past ``expires_at``. Rotation issues a
    successor with the same ``expires_at`` and gives the old key a grace period so servers can
    roll over without downtime.
    """

    title = models.ForeignKey(
        Title, verbose_name=_("title"), on_delete=models.CASCADE, related_name="credentials"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=16)
    digest = models.CharField(_("key digest"), max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    rotated_from = models.OneToOneField(
        "self",
        verbose_name=_("rotated from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rotated_to",
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("title credential")
        verbose_name_plural = _("title credentials")
        indexes = [
            models.Index(
                fields=["title"], condition=Q(revoked_at__isnull=True), name="titlecred_live_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title.slug}: {self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
