from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from apps.common.models import BaseModel


class User(AbstractUser):
    """A login. The player profile (display name, privacy, …) hangs off it in apps.players."""

    email = models.EmailField(_("email address"), unique=True)

    objects = UserManager()  # type: ignore[misc]  # the stubs declare it a class variable

    class Meta:
        verbose_name = _("login")
        verbose_name_plural = _("logins")
        constraints = [
            # Logins are case-insensitive: "Alice" and "alice" cannot both exist.
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]


class ApiToken(BaseModel):
    """A bearer token a player (or tool) uses for the REST API and the websocket.

    Only the SHA-256 digest is stored; the token is shown once when it is created.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
