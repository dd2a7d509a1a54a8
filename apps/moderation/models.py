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
        "titles.Title",
        verbose_name=_("source title"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True)
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


# --- reports ------------------------------------------------------------------------------------

# How urgent a report of each category is (the queue sorts by it first).
CATEGORY_SEVERITY: dict[str, int] = {
    ReasonCategory.SELF_HARM: 5,
    ReasonCategory.HATE: 4,
    ReasonCategory.SEXUAL: 4,
    ReasonCategory.HARASSMENT: 3,
    ReasonCategory.CHEATING: 2,
    ReasonCategory.IMPERSONATION: 2,
    ReasonCategory.SPAM: 1,
    ReasonCategory.OTHER: 1,
}


class TargetType(models.TextChoices):
    MESSAGE = "message", _("Chat message")
    PROFILE = "profile", _("Player profile")
    GUILD = "guild", _("Guild")
    UGC = "ugc", _("Content item")
    COMMENT = "comment", _("Comment")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Action taken")
    DISMISSED = "dismissed", _("Dismissed")


class ReportCase(BaseModel):
    """Every report on one target while it is open: the unit of the moderation queue.
    ``is_hidden``: enough distinct reporters (per title) escalated it; the target is hidden
    pending review and the case jumps the queue."""

    target_type = models.CharField(_("target type"), max_length=16, choices=TargetType.choices)
    target_id = models.CharField(_("target id"), max_length=64)
    target_player = models.ForeignKey(
        "players.Player", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="reported_cases", verbose_name=_("reported player"),
    )  # fmt: skip
    title = models.ForeignKey(
        "titles.Title", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("title"),
    )  # fmt: skip
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    severity = models.PositiveSmallIntegerField(_("severity"), default=1)
    reporter_count = models.PositiveIntegerField(_("reporters"), default=0)
    is_hidden = models.BooleanField(_("hidden pending review"), default=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # What the escalation's hide returned: how a dismissal restores the target (targets.py).
    hidden_state = models.JSONField(_("hidden content"), default=dict, blank=True)
    last_reported_at = models.DateTimeField(_("last reported at"), default=timezone.now)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("claimed by"),
    )  # fmt: skip
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("resolved by"),
    )  # fmt: skip
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=32, blank=True)
    resolution_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("report case")
        verbose_name_plural = _("report cases")
        permissions = [("handle_reportcase", _("Can claim and resolve reports"))]
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=Q(status="open"),
                name="moderation_case_one_open_per_target",
            )
        ]
        indexes = [
            models.Index(
                fields=["-is_hidden", "-severity", "-reporter_count", "created_at"],
                condition=Q(status="open"),
                name="moderation_case_queue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_target_type_display()} {self.target_id}: {self.summary}"[:120]


class Report(BaseModel):
    """One player's report on a target (one per reporter per open case: a repeat updates it).
    ``evidence`` is the target as it was when reported (for a message: it, its edit history
    and the 10 messages around it), so an edit or delete cannot hide it."""

    case = models.ForeignKey(
        ReportCase, verbose_name=_("report case"), on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="reports_made",
        verbose_name=_("reporter"),
    )  # fmt: skip
    category = models.CharField(_("category"), max_length=16, choices=ReasonCategory.choices)
    text = models.TextField(_("text"), blank=True, max_length=1000)
    evidence = models.JSONField(_("evidence"), default=dict)
    reporter_notified_at = models.DateTimeField(_("reporter notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["case", "reporter"], name="moderation_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} — {self.reporter}"


class Appeal(BaseModel):
    """A player's appeal of one sanction (one per sanction), decided by a senior moderator."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted (sanction lifted)")
        REJECTED = "rejected", _("Rejected")

    sanction = models.OneToOneField(
        Sanction, on_delete=models.CASCADE, related_name="appeal", verbose_name=_("sanction")
    )
    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="appeals",
        verbose_name=_("player"),
    )  # fmt: skip
    text = models.TextField(_("appeal"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_text = models.TextField(_("decision (shown to the player)"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        permissions = [("decide_appeal", _("Can decide appeals"))]

    def __str__(self) -> str:
        return f"{self.player}: {self.sanction.get_kind_display()}"


# --- automod ------------------------------------------------------------------------------------


class FilterRule(BaseModel):
    """An automod rule of a title (empty: every title) and a locale (empty: every locale)."""

    class Kind(models.TextChoices):
        WORD = "word", _("Word or phrase (whole words in spaced scripts)")
        WILDCARD = "wildcard", _("Wildcard (noob* prefix, *fest suffix, *xx* anywhere)")
        SUBSTRING = "substring", _("Anywhere (also inside words)")
        REGEX = "regex", _("Regular expression (RE2, linear time)")

    class RuleAction(models.TextChoices):
        BLOCK = "block", _("Block the message")
        MASK = "mask", _("Mask the match")
        FLAG = "flag", _("Store and flag for review")

    title = models.ForeignKey(
        "titles.Title", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("title"), help_text=_("Empty: every title."),
    )  # fmt: skip
    locale = models.CharField(
        _("locale"), max_length=8, blank=True, choices=settings.PRODUCT_LANGUAGES,
        help_text=_("Empty: every locale."),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WORD)
    pattern = models.CharField(_("pattern"), max_length=260)
    action = models.CharField(_("action"), max_length=8, choices=RuleAction.choices)
    category = models.CharField(
        _("category"), max_length=16, choices=ReasonCategory.choices, default=ReasonCategory.OTHER
    )
    allow_phrases = models.JSONField(
        _("allowed phrases"), default=list, blank=True,
        help_text=_("Words containing the match that are fine (e.g. カスタム for かす)."),
    )  # fmt: skip
    auto_mute_after = models.PositiveIntegerField(
        _("auto-mute after N hits"), null=True, blank=True,
        help_text=_("Mute the player after this many hits of this rule within 24 hours."),
    )  # fmt: skip
    auto_mute_minutes = models.PositiveIntegerField(_("auto-mute minutes"), default=60)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("automod rule")
        verbose_name_plural = _("automod rules")

    def __str__(self) -> str:
        scope = self.title.slug if self.title_id and self.title else "*"
        return f"{self.pattern} ({self.kind}, {scope}/{self.locale or '*'})"


class AllowedPhrase(BaseModel):
    """A phrase automod never matches inside (an allow-list for every rule of the scope)."""

    title = models.ForeignKey(
        "titles.Title", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("title"),
    )  # fmt: skip
    locale = models.CharField(
        _("locale"), max_length=8, blank=True, choices=settings.PRODUCT_LANGUAGES
    )
    phrase = models.CharField(_("phrase"), max_length=100)

    class Meta:
        verbose_name = _("automod allowed phrase")
        verbose_name_plural = _("automod allowed phrases")

    def __str__(self) -> str:
        return self.phrase


class TitleModerationSettings(BaseModel):
    """A title's moderation settings (a title without a row uses the defaults)."""

    title = models.OneToOneField(
        "titles.Title", on_delete=models.CASCADE, related_name="+", verbose_name=_("title")
    )
    escalation_reporters = models.PositiveIntegerField(
        _("escalate at N distinct reporters"), default=5,
        help_text=_("The target is hidden pending review and jumps the queue."),
    )  # fmt: skip
    link_action = models.CharField(
        _("links to other domains"), max_length=8, default="flag",
        choices=[("off", _("Allow")), ("flag", _("Flag for review")), ("block", _("Block"))],
    )  # fmt: skip
    allowed_link_domains = models.JSONField(
        _("allowed link domains"), default=list, blank=True,
        help_text=_("Links to these domains (and their subdomains) always pass."),
    )  # fmt: skip
    flood_messages = models.PositiveIntegerField(
        _("flood: messages"), default=8, help_text=_("At most this many messages …")
    )
    flood_seconds = models.PositiveIntegerField(_("flood: seconds"), default=10)
    repeat_limit = models.PositiveIntegerField(
        _("repeat limit"), default=3,
        help_text=_("The same text more often than this within a minute is blocked."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("title moderation settings")
        verbose_name_plural = _("title moderation settings")

    def __str__(self) -> str:
        return str(self.title)


class AutomodHit(models.Model):
    """A rule matched a player's text (for auto-mute after N hits, and the queue's history)."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    player = models.ForeignKey(
        "players.Player",
        verbose_name=_("player"),
        on_delete=models.CASCADE,
        related_name="automod_hits",
    )
    rule = models.ForeignKey(
        FilterRule, verbose_name=_("rule"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=8)
    excerpt = models.CharField(_("excerpt"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("automod hit")
        verbose_name_plural = _("automod hits")
        indexes = [models.Index(fields=["player", "rule", "created_at"], name="moderation_hit")]

    def __str__(self) -> str:
        return f"{self.player}: {self.action} ({self.excerpt[:40]})"


class ModeratorScope(BaseModel):
    """Limits a moderator to some titles (no row, or no titles: every title). A limited
    moderator sees only those titles' report cases and issues sanctions only in them — never
    account-wide ones."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_scope",
        verbose_name=_("moderator"),
    )  # fmt: skip
    titles = models.ManyToManyField("titles.Title", blank=True, related_name="+",
                                    verbose_name=_("titles"))  # fmt: skip

    class Meta:
        verbose_name = _("moderator title limit")
        verbose_name_plural = _("moderator title limits")

    def __str__(self) -> str:
        return str(self.user)
