"""Guilds, their roles, members, join requests, invites, bans and audit log (docs/guilds.md).

Invariants live in the database: one membership per (guild, player), at most one leader per
guild (a partial unique index), ``member_count`` between 0 and ``capacity`` (a check), name
and tag unique among guilds that hold them (partial unique indexes on the folded keys).
Services keep ``member_count`` with ``F()`` while holding the guild's row lock, so the
check constraint is the last line: a bug can fail a write, never overfill a guild.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.common.localized_text import LocalizedTextField, localized
from apps.common.models import BaseModel


class JoinPolicy(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVAL = "approval", _("Approval")
    INVITE_ONLY = "invite_only", _("Invite only")


class Permission(models.TextChoices):
    """What a role lets its holders do. A player may grant only what they hold."""

    INVITE = "invite", _("Invite players")
    ACCEPT_REQUESTS = "accept_requests", _("Accept join requests")
    KICK = "kick", _("Kick members")
    BAN = "ban", _("Ban players")
    MANAGE_CHAT = "manage_chat", _("Manage guild chat")
    ANNOUNCE = "announce", _("Pin and announce in guild chat")
    EDIT_GUILD = "edit_guild", _("Edit the guild")
    MANAGE_ROLES = "manage_roles", _("Manage roles")


class RoleKind(models.TextChoices):
    LEADER = "leader", _("Leader")
    OFFICER = "officer", _("Officer")
    MEMBER = "member", _("Member")
    CUSTOM = "custom", _("Custom")


class Guild(BaseModel):
    name = models.CharField(_("name"), max_length=32)
    # NFKC + casefold + confusable skeleton (apps.common.text_safety.name_key).
    name_key = models.CharField(max_length=128)
    tag = models.CharField(_("tag"), max_length=5)
    tag_key = models.CharField(max_length=32)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    # The description in other languages; ``description`` is the fallback
    # (apps.common.localized_text).
    description_translations = LocalizedTextField(
        _("description in other languages"), max_length=1000, multiline=True
    )
    title = models.ForeignKey(
        "titles.Title", on_delete=models.PROTECT, related_name="guilds", verbose_name=_("title")
    )
    language = models.CharField(
        _("language"), max_length=16, choices=settings.PRODUCT_LANGUAGES, default="en"
    )
    region = models.CharField(_("region"), max_length=16, blank=True)
    join_policy = models.CharField(
        _("join policy"), max_length=16, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    capacity = models.PositiveIntegerField(_("capacity"))
    member_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)
    disbanded_at = models.DateTimeField(_("disbanded"), null=True, blank=True)
    # Set once the cool-down after disbanding passed: the name and tag are free again.
    is_name_released = models.BooleanField(default=False)
    # Re-encoded square WebP renditions (apps/guilds/emblems.py); storage names, "" when none.
    emblem_large = models.CharField(_("large emblem"), max_length=200, blank=True)
    emblem_small = models.CharField(_("small emblem"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("guild")
        verbose_name_plural = _("guilds")
        constraints = [
            models.UniqueConstraint(
                fields=["name_key"],
                condition=Q(is_name_released=False),
                name="guilds_name_key_held_uq",
            ),
            models.UniqueConstraint(
                fields=["title", "tag_key"],
                condition=Q(is_name_released=False),
                name="guilds_tag_key_held_uq",
            ),
            models.CheckConstraint(
                condition=Q(member_count__lte=F("capacity")), name="guilds_not_over_capacity"
            ),
        ]
        indexes = [
            models.Index(fields=["title", "-member_count"], name="guilds_title_size_idx"),
            # Browse's default page (every title, largest first) reads the top of this index
            # instead of sorting every live guild.
            models.Index(
                fields=["-member_count"],
                condition=Q(disbanded_at__isnull=True),
                name="guilds_live_size_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.tag}] {self.name}"

    @property
    def is_disbanded(self) -> bool:
        return self.disbanded_at is not None

    @property
    def localized_description(self) -> str:
        """The description in the active language, else ``description``."""
        return localized(self.description_translations, self.description)


class GuildRole(BaseModel):
    """A rank and a permission set. Higher ``rank`` acts on lower, never on equal or higher."""

    guild = models.ForeignKey(Guild, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(_("name"), max_length=32)
    kind = models.CharField(max_length=16, choices=RoleKind.choices)
    rank = models.PositiveSmallIntegerField(_("rank"))
    permissions = models.JSONField(_("permissions"), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guild", "name"], name="guilds_role_name_uq"),
            models.UniqueConstraint(
                fields=["guild", "kind"],
                condition=~Q(kind=RoleKind.CUSTOM),
                name="guilds_role_builtin_uq",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GuildMembership(BaseModel):
    guild = models.ForeignKey(Guild, on_delete=models.CASCADE, related_name="memberships")
    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="guild_memberships"
    )
    role = models.ForeignKey(GuildRole, on_delete=models.PROTECT, related_name="memberships")
    # The guild's title, copied so "guilds per title" is one indexed count.
    title = models.ForeignKey("titles.Title", on_delete=models.CASCADE, related_name="+")
    is_leader = models.BooleanField(default=False)
    joined_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guild", "player"], name="guilds_member_uq"),
            models.UniqueConstraint(
                fields=["guild"], condition=Q(is_leader=True), name="guilds_one_leader_uq"
            ),
        ]
        indexes = [
            models.Index(fields=["player", "title"], name="guilds_member_title_idx"),
            # The member list's pages (by joining order) read a range of this index instead of
            # sorting the whole guild.
            models.Index(fields=["guild", "joined_at"], name="guilds_member_joined_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.player_id} in {self.guild_id}"


class GuildJoinRequest(BaseModel):
    guild = models.ForeignKey(Guild, on_delete=models.CASCADE, related_name="join_requests")
    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guild", "player"], name="guilds_request_uq")
        ]

    def __str__(self) -> str:
        return f"{self.player_id} asks {self.guild_id}"


class GuildInvite(BaseModel):
    guild = models.ForeignKey(Guild, on_delete=models.CASCADE, related_name="invites")
    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="guild_invites"
    )
    inviter = models.ForeignKey(
        "players.Player", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["guild", "player"], name="guilds_invite_uq")]

    def __str__(self) -> str:
        return f"{self.player_id} invited to {self.guild_id}"


class GuildBan(BaseModel):
    guild = models.ForeignKey(Guild, on_delete=models.CASCADE, related_name="bans")
    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="+")
    banned_by = models.ForeignKey(
        "players.Player", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["guild", "player"], name="guilds_ban_uq")]

    def __str__(self) -> str:
        return f"{self.player_id} banned from {self.guild_id}"


class AuditAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Settings changed")
    EMBLEM_CHANGED = "emblem_changed", _("Emblem changed")
    JOINED = "joined", _("Joined")
    LEFT = "left", _("Left")
    KICKED = "kicked", _("Kicked")
    BANNED = "banned", _("Banned")
    UNBANNED = "unbanned", _("Ban lifted")
    INVITED = "invited", _("Invited")
    INVITE_REVOKED = "invite_revoked", _("Invitation revoked")
    REQUEST_APPROVED = "request_approved", _("Join request approved")
    REQUEST_DENIED = "request_denied", _("Join request denied")
    ROLE_CHANGED = "role_changed", _("Role changed")
    ROLE_CREATED = "role_created", _("Role created")
    ROLE_UPDATED = "role_updated", _("Role updated")
    ROLE_DELETED = "role_deleted", _("Role deleted")
    LEADER_TRANSFERRED = "leader_transferred", _("Leadership transferred")
    DISBANDED = "disbanded", _("Disbanded")
    STAFF_RENAMED = "staff_renamed", _("Renamed by staff")
    CHAT_MESSAGE_DELETED = "chat_message_deleted", _("Chat message deleted")
    CHAT_SLOW_MODE_SET = "chat_slow_mode_set", _("Chat slow mode changed")


class GuildAuditEntry(models.Model):
    """Append-only: services only insert; the admin shows it read-only."""

    guild = models.ForeignKey(Guild, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        "players.Player", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    target = models.ForeignKey(
        "players.Player", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["guild", "-created_at"], name="guilds_audit_recent_idx")]

    def __str__(self) -> str:
        return f"{self.action} in {self.guild_id}"


class GuildStats(BaseModel):
    """Matches and wins of a guild in one title and season ("" = all time), counting a match
    once per guild when members played it while they were members (docs/guilds.md)."""

    guild = models.ForeignKey(Guild, on_delete=models.CASCADE, related_name="stats")
    title = models.ForeignKey("titles.Title", on_delete=models.CASCADE, related_name="+")
    season = models.CharField(max_length=32, blank=True)
    matches_played = models.PositiveIntegerField(default=0)
    matches_won = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = _("guild stats")
        constraints = [
            models.UniqueConstraint(fields=["guild", "title", "season"], name="guilds_stats_uq")
        ]
        indexes = [
            models.Index(fields=["title", "season", "-matches_won"], name="guilds_stats_board_idx")
        ]

    def __str__(self) -> str:
        return f"{self.guild_id} {self.title_id} {self.season or 'all'}"


class FeedKind(models.TextChoices):
    JOINED = "joined", _("Joined")
    LEFT = "left", _("Left")
    PROMOTED = "promoted", _("Role changed")
    MATCH_WON = "match_won", _("Won a match")
    ACHIEVEMENT = "achievement", _("Unlocked an achievement")


class GuildFeedEntry(BaseModel):
    guild = models.ForeignKey(Guild, on_delete=models.CASCADE, related_name="feed")
    kind = models.CharField(max_length=32, choices=FeedKind.choices)
    player = models.ForeignKey(
        "players.Player", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["guild", "-created_at"], name="guilds_feed_recent_idx")]

    def __str__(self) -> str:
        return f"{self.kind} in {self.guild_id}"
