"""Chat: channels of several kinds, members with read markers, messages with per-channel
sequence numbers, their edit history and reactions (automod rules and sanctions live in
``apps.moderation``). Rules per channel kind live in ``apps.chat.kinds``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.localized_text import LocalizedTextField
from apps.common.models import BaseModel

# The column's own bound on a text per language; services bound each text like ``body``
# (``CHAT_MESSAGE_MAX_LENGTH``, which the environment may change).
TRANSLATION_MAX_LENGTH = 10_000


class ChannelKind(models.TextChoices):
    LOBBY = "lobby", _("Title lobby")
    ANNOUNCEMENT = "announcement", _("Announcements")
    DIRECT = "direct", _("Direct message")
    MATCH = "match", _("Match")
    GUILD = "guild", _("Guild")


class Channel(BaseModel):
    """A stream of messages. ``key`` makes creation idempotent (``lobby:<title>:<locale>``,
    ``direct:<low>:<high>``, ``match:<title>:<match id>``…); ``last_seq`` is the sequence of the
    newest message, advanced in the transaction that stores it; ``last_change_seq`` numbers
    changes to messages the same way, so a client can resume them too."""

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    key = models.CharField(_("key"), max_length=200, unique=True)
    title = models.ForeignKey(
        "titles.Title",
        verbose_name=_("title"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    locale = models.CharField(_("locale"), max_length=16, blank=True)
    name = models.CharField(_("name"), max_length=120)
    last_seq = models.BigIntegerField(_("last sequence number"), default=0)
    # The newest change (edit, delete, reaction) to the channel's messages: advanced, like
    # last_seq, in the transaction that makes the change (``apps.chat.actions``).
    last_change_seq = models.BigIntegerField(_("last change number"), default=0)
    slow_mode_seconds = models.PositiveIntegerField(_("slow mode (seconds)"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Membership(BaseModel):
    """A player in a channel; ``last_read_seq`` is their read marker (unread = last_seq -
    last_read_seq). Lobby memberships are made on first subscribe, so lobbies show up in the
    player's channel list with unread counts."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="memberships")
    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="chat_memberships"
    )
    last_read_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "player"], name="chat_membership_unique")
        ]
        indexes = [models.Index(fields=["player", "channel"], name="chat_membership_player")]

    def __str__(self) -> str:
        return f"{self.player} in {self.channel}"


class Message(BaseModel):
    """One message. ``author`` is null for system messages (announcements). ``client_msg_id``
    makes a retried send store one message (unique per author and channel)."""

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.BigIntegerField(
        _("sequence number"),
    )
    author = models.ForeignKey(
        "players.Player",
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_messages",
    )
    client_msg_id = models.CharField(_("client message id"), max_length=64, null=True, blank=True)
    body = models.TextField(_("body"))
    # An announcement's text in other languages; ``body`` is the fallback
    # (apps.common.localized_text). Empty for players' messages.
    body_translations = LocalizedTextField(
        _("body in other languages"), max_length=TRANSLATION_MAX_LENGTH, multiline=True
    )
    mentioned_player_ids = models.JSONField(_("mentioned players"), default=list, blank=True)
    # Resolved links to other apps' items (``apps.chat.attachments``), shown as stored.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # The channel's change number of this message's latest change (0: never changed).
    change_seq = models.BigIntegerField(_("change number"), default=0)
    is_flagged = models.BooleanField(_("flagged by automod"), default=False)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(fields=["channel", "seq"], name="chat_message_channel_seq"),
            models.UniqueConstraint(
                fields=["channel", "author", "client_msg_id"],
                condition=Q(client_msg_id__isnull=False),
                name="chat_message_client_id",
            ),
        ]
        indexes = [
            models.Index(
                fields=["channel", "change_seq"],
                condition=Q(change_seq__gt=0),
                name="chat_message_changes",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}#{self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class MessageEdit(BaseModel):
    """A previous body of an edited (or deleted) message, kept for moderators."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    body = models.TextField()

    def __str__(self) -> str:
        return f"edit of {self.message}"


class Reaction(BaseModel):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "player", "emoji"], name="chat_reaction_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.player}"


class TitleChatSettings(BaseModel):
    """A title's chat settings, edited in the admin. An empty ``reaction_emoji`` offers the
    default set (``CHAT_REACTION_EMOJI``); see ``apps.chat.reactions``."""

    title = models.OneToOneField(
        "titles.Title", on_delete=models.CASCADE, related_name="+", verbose_name=_("title")
    )
    reaction_emoji = models.JSONField(
        _("reaction emoji"),
        default=list,
        blank=True,
        help_text=_("The reactions players can use in this title's channels (empty: default)."),
    )

    class Meta:
        verbose_name = _("title chat settings")
        verbose_name_plural = _("title chat settings")

    def __str__(self) -> str:
        return str(self.title)


class ChatToken(BaseModel):
    """A short-lived websocket token a title's game server minted for a player (hashed)."""

    title = models.ForeignKey("titles.Title", on_delete=models.CASCADE, related_name="+")
    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.prefix}… for {self.player}"
