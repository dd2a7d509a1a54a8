"""Moderation: the one sanctions system every surface asks (``apps.moderation.enforcement``).

A sanction is active while ``starts_at <= now < expires_at`` (no expiry: permanent) and it is
not lifted; the check compares times itself, so expiry is exact to the second and needs no job.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.common.models import BaseModel


class SanctionKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    CHAT_MUTE = "chat_mute", _("Chat mute")
    DM_RESTRICTION = "dm_restriction", _("Direct-message restriction")
    UPLOAD_BAN = "upload_ban", _("Upload ban")
    GUILD_CREATION_BAN = "guild_creation_ban", _("Guild-creation ban")
    SUSPENSION = "suspension", _("Suspension")
    BAN = "ban", _("Ban")


class ReasonCategory(models.TextChoices):
    HARASSMENT = "harassment", _("Harassment")
    HATE = "hate", _("Hate")
    SPAM = "spam", _("Spam")
    CHEATING = "cheating", _("Cheating")
    SEXUAL = "sexual", _("Sexual content")
    SELF_HARM = "self_harm", _("Self-harm")
    IMPERSONATION = "impersonation", _("Impersonation")
    OTHER = "other", _("Other")


class IssuerKind(models.TextChoices):
    MODERATOR = "moderator", _("Moderator")
    AUTOMOD = "automod", _("Automod")
    GAME_SERVER = "game_server", _("Game server")
    SYSTEM = "system", _("System")


class Sanction(BaseModel):
    """One sanction of one player, global (``title`` null) or in one title."""

    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="sanctions",
        verbose_name=_("player"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=24, choices=SanctionKind.choices)
    title = models.ForeignKey(
        "titles.Title", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("title"), help_text=_("Empty: every title."),
    )  # fmt: skip
    starts_at = models.DateTimeField(_("starts at"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: permanent.")
    )
    reason_category = models.CharField(
        _("reason category"), max_length=16, choices=ReasonCategory.choices,
        default=ReasonCategory.OTHER,
    )  # fmt: skip
    reason = models.TextField(_("reason (shown to the player)"), blank=True, max_length=1000)
    # Links to what justified it: report cases, messages, game-server references.
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    issuer_kind = models.CharField(
        _("issued by"), max_length=16, choices=IssuerKind.choices, default=IssuerKind.MODERATOR
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("moderator"),
    )  # fmt: skip
    # Who else issued it, readably: an automod rule, a title's game server.
    issuer_detail = models.CharField(_("issuer detail"), max_length=200, blank=True)
    # A game server's own id for the sanction (``player.sanctioned``): idempotency per title.
    source_title = models.ForeignKey(
        "titles.Title", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(max_length=128, null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("lifted by"),
    )  # fmt: skip
    lift_reason = models.TextField(_("lift reason"), blank=True, max_length=1000)

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        # add_sanction: the moderator kinds (warn, mute, restrict, short suspensions);
        # the senior ones below: bans, longer suspensions, lifting.
        permissions = [
            ("issue_ban", _("Can ban and suspend beyond the moderator limit")),
            ("lift_sanction", _("Can lift sanctions early")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("starts_at")),
                name="moderation_sanction_expires_after_start",
            ),
            models.UniqueConstraint(
                fields=["source_title", "external_id"],
                condition=Q(external_id__isnull=False),
                name="moderation_sanction_external_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["player", "kind"],
                condition=Q(lifted_at__isnull=True),
                name="moderation_sanction_unlifted",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.player}"

    def is_active_at(self, moment: datetime) -> bool:
        return (
            self.lifted_at is None
            and self.starts_at <= moment
            and (self.expires_at is None or moment < self.expires_at)
        )


class AuditEntry(models.Model):
    """One moderation action, append-only: who (a moderator, an automod rule, a game server),
    what, on what, why, and the state before and after.

    No foreign keys on purpose: deleting a player or a login must never have to update or
    delete an audit row, and on PostgreSQL a trigger refuses every UPDATE and DELETE (the
    admin offers neither, even to superusers). Names are snapshots taken at the time."""

    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=IssuerKind.choices)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_name = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=48, db_index=True)
    target_type = models.CharField(_("target type"), max_length=32)
    target_id = models.CharField(_("target id"), max_length=64)
    target_player_id = models.BigIntegerField(_("player id"), null=True, blank=True, db_index=True)
    target_player_name = models.CharField(_("player"), max_length=64, blank=True)
    title_slug = models.CharField(_("title"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("export_auditentry", _("Can export the audit log"))]

    def __str__(self) -> str:
        actor = self.actor_name or self.actor_kind
        return f"{self.created_at:%Y-%m-%d %H:%M} {actor}: {self.action}"
