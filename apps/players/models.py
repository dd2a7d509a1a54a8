from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.common.models import BaseModel


class Privacy(models.TextChoices):
    PUBLIC = "public", _("Public")
    FRIENDS = "friends", _("Friends only")
    PRIVATE = "private", _("Private")


class Player(BaseModel):
    """One person across every title. ``user`` is null for a *shadow* player: created when a
    game event names an identity nobody has claimed yet (see docs/players.md)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="player",
    )
    display_name = models.CharField(_("display name"), max_length=32)
    # NFKC + casefold + confusable skeleton of display_name: the uniqueness key.
    display_name_key = models.CharField(max_length=128, unique=True)
    bio = models.TextField(_("bio"), blank=True, max_length=500)
    locale = models.CharField(_("locale"), max_length=16, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    country = models.CharField(_("country"), max_length=2, blank=True)
    privacy = models.CharField(
        _("privacy"), max_length=16, choices=Privacy.choices, default=Privacy.PUBLIC
    )

    class Meta:
        verbose_name = _("player")
        verbose_name_plural = _("players")

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_shadow(self) -> bool:
        return self.user_id is None
