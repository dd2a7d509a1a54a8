from django.conf import settings
from django.db import models
from django.db.models import F, Q
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
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="player",
    )
    display_name = models.CharField(_("display name"), max_length=32)
    # NFKC + casefold + confusable skeleton of display_name: the uniqueness key.
    display_name_key = models.CharField(_("name key"), max_length=128, unique=True)
    bio = models.TextField(_("bio"), blank=True, max_length=500)
    locale = models.CharField(_("locale"), max_length=16, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    country = models.CharField(_("country"), max_length=2, blank=True)
    privacy = models.CharField(
        _("privacy"), max_length=16, choices=Privacy.choices, default=Privacy.PUBLIC
    )
    # Storage names of the re-encoded avatar renditions (server-generated; empty = none).
    avatar_large = models.CharField(_("large avatar"), max_length=200, blank=True)
    avatar_small = models.CharField(_("small avatar"), max_length=200, blank=True)
    # Notification kinds the player does not want (see NotificationKind).
    notification_opt_outs = models.JSONField(_("notification opt-outs"), default=list, blank=True)
    deletion_requested_at = models.DateTimeField(_("deletion requested at"), null=True, blank=True)
    # Set once the grace period ended and the account was anonymized: irreversible.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # A claimed shadow player points at the player who claimed it (its history moved there).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("player")
        verbose_name_plural = _("players")

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_shadow(self) -> bool:
        return self.user_id is None and self.deleted_at is None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class IdentityProvider(models.TextChoices):
    XBOX = "xbox", "Xbox"
    STEAM = "steam", "Steam"
    PLAYSTATION = "playstation", "PlayStation"
    NINTENDO = "nintendo", "Nintendo"
    EPIC = "epic", "Epic"
    CUSTOM = "custom", _("Custom")


class PlayerIdentity(BaseModel):
    """A game-platform account (provider + external id) of a player; unique per provider.

    ``is_verified`` is true when a game server vouched for it (created it, or the player
    redeemed a claim code the server minted); self-declared links in the portal are not."""

    player = models.ForeignKey(
        Player, verbose_name=_("player"), on_delete=models.CASCADE, related_name="identities"
    )
    provider = models.CharField(_("provider"), max_length=16, choices=IdentityProvider.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    title = models.ForeignKey(
        "titles.Title",
        verbose_name=_("title"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_verified = models.BooleanField(_("verified"), default=False)

    class Meta:
        verbose_name = _("linked identity")
        verbose_name_plural = _("linked identities")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="players_identity_provider_external_uq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id}"


class IdentityTitleUse(BaseModel):
    """A title, other than the one that created the identity (``PlayerIdentity.title``), whose
    game events or identity calls (``POST /identities/resolve``) named this identity.

    A title key may mint claim codes and chat tokens only for identities its title created
    or used (docs/players.md, "Which titles may act for an identity"); ``created_at`` is when
    the title first used it, for audits."""

    identity = models.ForeignKey(
        PlayerIdentity,
        verbose_name=_("linked identity"),
        on_delete=models.CASCADE,
        related_name="title_uses",
    )
    title = models.ForeignKey(
        "titles.Title", verbose_name=_("title"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("title using an identity")
        verbose_name_plural = _("titles using an identity")
        constraints = [
            models.UniqueConstraint(fields=["identity", "title"], name="players_identity_use_uq")
        ]

    def __str__(self) -> str:
        return f"{self.identity_id} used by {self.title_id}"


class IdentityClaimCode(BaseModel):
    """A one-time code a game server minted for an in-game identity; the logged-in portal user
    who redeems it gets the identity (and the shadow player's history). Stored hashed."""

    identity = models.ForeignKey(PlayerIdentity, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.identity} claim code"


class FriendRequest(BaseModel):
    """A pending request; it is deleted when answered (accept creates a Friendship)."""

    from_player = models.ForeignKey(
        Player, on_delete=models.CASCADE, related_name="friend_requests_sent"
    )
    to_player = models.ForeignKey(
        Player, on_delete=models.CASCADE, related_name="friend_requests_received"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_player", "to_player"], name="players_freq_uq"),
            models.CheckConstraint(
                condition=~Q(from_player=F("to_player")), name="players_freq_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_player} → {self.to_player}"


class Friendship(BaseModel):
    """One row per friendship, the lower player id first: a pair can only exist once."""

    player_low = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="+")
    player_high = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["player_low", "player_high"], name="players_fship_uq"),
            models.CheckConstraint(
                condition=Q(player_low__lt=F("player_high")), name="players_fship_ordered"
            ),
        ]
        indexes = [models.Index(fields=["player_high"], name="players_fship_high_idx")]

    def __str__(self) -> str:
        return f"{self.player_low} ↔ {self.player_high}"


class Block(BaseModel):
    blocker = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="blocks_received")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="players_block_uq"),
            models.CheckConstraint(
                condition=~Q(blocker=F("blocked")), name="players_block_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


class NotificationKind(models.TextChoices):
    FRIEND_REQUEST = "friend_request", _("Friend requests")
    FRIEND_ACCEPTED = "friend_accepted", _("Accepted friend requests")
    GUILD_INVITE = "guild_invite", _("Guild invitations")
    GUILD_NEWS = "guild_news", _("Guild decisions, kicks and promotions")
    MENTION = "mention", _("Mentions")
    MODERATION = "moderation", _("Moderation notices")
    ACHIEVEMENT = "achievement", _("Achievements")
    IDENTITY_CLAIMED = "identity_claimed", _("Linked game accounts")
    MATCH_RESULT = "match_result", _("Match results")
    UGC_NEW_VERSION = "ugc_new_version", _("New versions of content I subscribed to")
    UGC_COMMENT = "ugc_comment", _("Comments on my content and replies to my comments")


class Notification(BaseModel):
    recipient = models.ForeignKey(
        Player, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        Player,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    data = models.JSONField(_("data"), default=dict, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="players_notif_recent_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="players_notif_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}"


class ActivityKind(models.TextChoices):
    ACHIEVEMENT_UNLOCKED = "achievement_unlocked", _("Achievement unlocked")
    MATCH_COMPLETED = "match_completed", _("Match completed")
    CONTENT_SHARED = "content_shared", _("Content shared")
    GUILD_JOINED = "guild_joined", _("Guild joined")
    FRIENDSHIP_STARTED = "friendship_started", _("New friend")


class ActivityEntry(BaseModel):
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="activity")
    title = models.ForeignKey(
        "titles.Title", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["player", "-created_at"], name="players_activity_idx")]

    def __str__(self) -> str:
        return f"{self.player}: {self.kind}"


class PlayerTitleStats(BaseModel):
    """Per-title numbers that game events fill. ``counters`` is a flat JSON object of
    title-defined integer counters (``{"kills": 12, "laps": 40}``), see docs/players.md."""

    player = models.ForeignKey(
        Player, verbose_name=_("player"), on_delete=models.CASCADE, related_name="title_stats"
    )
    title = models.ForeignKey(
        "titles.Title", verbose_name=_("title"), on_delete=models.CASCADE, related_name="+"
    )
    matches_played = models.PositiveIntegerField(_("matches played"), default=0)
    matches_won = models.PositiveIntegerField(_("matches won"), default=0)
    playtime_seconds = models.PositiveBigIntegerField(_("playtime (seconds)"), default=0)
    # Time in the game from ended sessions (start to end, by the events' times); open sessions
    # are added when read (selectors.played_seconds_by_title). A database default too: the
    # bulk statistics writer (bulk.py) inserts rows in SQL without naming this column.
    session_seconds = models.PositiveBigIntegerField(
        _("time in game (seconds)"), default=0, db_default=0
    )
    level = models.PositiveIntegerField(_("level"), null=True, blank=True)
    xp = models.PositiveBigIntegerField(_("XP"), null=True, blank=True)
    rank = models.CharField(_("rank"), max_length=64, blank=True)
    counters = models.JSONField(_("counters"), default=dict, blank=True)
    # The event that set level/xp/rank: its time and id. An event applied later but older by
    # (time, id) leaves them as they are (docs/events.md, "Ordering").
    progress_time = models.DateTimeField(_("progress event time"), null=True, blank=True)
    progress_event_id = models.CharField(_("progress event id"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("title stats")
        verbose_name_plural = _("title stats")
        constraints = [models.UniqueConstraint(fields=["player", "title"], name="players_stats_uq")]

    def __str__(self) -> str:
        return f"{self.player} in {self.title}"


class Achievement(BaseModel):
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="achievements")
    title = models.ForeignKey("titles.Title", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    unlocked_at = models.DateTimeField()
    # Curated by the player: shown on the profile (the showcase), at most a few.
    is_showcased = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["player", "title", "key"], name="players_achv_uq")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.player})"


class GameSession(BaseModel):
    """An in-game session reported by game events: the "in game X / in match" presence.

    Ended sessions keep their row (``ended_at``) until the sweep deletes it; ``last_seen_at``
    lets the sweep end sessions whose game server never reported the end (a crash)."""

    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="game_sessions")
    title = models.ForeignKey("titles.Title", on_delete=models.CASCADE, related_name="+")
    session_id = models.CharField(max_length=128)
    match_id = models.CharField(max_length=128, blank=True)
    # When the session began (the start event's time); null when only its end is known.
    started_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    # The newest event (by time, then id) that set this row's state; older ones arriving later
    # change nothing. An ended session is kept (``ended_at``) until the sweep, so a late
    # ``session.started`` older than its end cannot bring the player back in game.
    state_time = models.DateTimeField(null=True, blank=True)
    state_event_id = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["player", "title", "session_id"], name="players_gsession_uq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.player} in {self.title} ({self.session_id})"
