"""User-generated content: items per title (screenshots, artwork, replays, levels, mods, clip
links), their file versions and thumbnails, tags, engagement (likes, favourites,
subscriptions, downloads, comments), per-title settings and resumable upload sessions.

Files live in the ``ugc`` storage (``apps.ugc.storage``) under server-generated names; a row
points at every stored file, so a file no row points at is an orphan the sweep removes.
"""

import uuid

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.localized_text import LocalizedTextField
from apps.common.models import BaseModel


class Kind(models.TextChoices):
    SCREENSHOT = "screenshot", _("Screenshot")
    ARTWORK = "artwork", _("Artwork")
    REPLAY = "replay", _("Replay")
    LEVEL = "level", _("Level / map")
    MOD = "mod", _("Mod")
    CLIP = "clip", _("Clip link")


class ItemVisibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    UNLISTED = "unlisted", _("Unlisted (anyone with the link)")
    FRIENDS = "friends", _("Friends only")
    PRIVATE = "private", _("Private")


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Pending review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    REMOVED = "removed", _("Removed")


class Source(models.TextChoices):
    PLAYER = "player", _("Uploaded by a player")
    GAME = "game", _("Published in game")


def all_kinds() -> list[str]:
    """Default of ``TitleSettings.allowed_kinds``: every kind."""
    return list(Kind.values)


class TitleSettings(BaseModel):
    """A title's UGC switches. No row: the defaults (publish without review, every kind)."""

    title = models.OneToOneField(
        "titles.Title", on_delete=models.CASCADE, related_name="ugc_settings"
    )
    requires_review = models.BooleanField(
        _("review before publish"),
        default=False,
        help_text=_("New items and new versions wait in the review queue until approved."),
    )
    allowed_kinds = models.JSONField(
        _("allowed kinds"),
        default=all_kinds,
        blank=True,
        help_text=_(
            "The kinds of content players may share for this game. Items already shared stay."
        ),
    )

    class Meta:
        verbose_name = _("UGC title settings")
        verbose_name_plural = _("UGC title settings")

    def __str__(self) -> str:
        return str(self.title)


class Tag(BaseModel):
    """A normalized tag of one title (``apps.ugc.text.tag_normalize``)."""

    title = models.ForeignKey("titles.Title", on_delete=models.CASCADE, related_name="+")
    slug = models.CharField(_("tag"), max_length=32)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(fields=["title", "slug"], name="ugc_tag_uq")]

    def __str__(self) -> str:
        return self.slug


class Item(BaseModel):
    """One piece of content. ``state`` is the review state; ``is_hidden`` is a reversible
    moderator hide on top of it. Counters are written with ``F()`` by the engagement services;
    ``compat_*_key`` copy the current version's game-version range (``apps.ugc.text``)."""

    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    title = models.ForeignKey(
        "titles.Title", verbose_name=_("title"), on_delete=models.CASCADE, related_name="+"
    )
    creator = models.ForeignKey(
        "players.Player",
        verbose_name=_("creator"),
        on_delete=models.CASCADE,
        related_name="ugc_items",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    # The description in other languages; ``description`` is the fallback
    # (apps.common.localized_text).
    description_translations = LocalizedTextField(
        _("description in other languages"), max_length=5000, multiline=True
    )
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=ItemVisibility.choices, default="public"
    )
    state = models.CharField(
        _("review state"), max_length=16, choices=ReviewState.choices, default="draft"
    )
    # Shown to the creator with a rejection or removal.
    state_reason = models.CharField(_("reason"), max_length=500, blank=True)
    is_hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    hidden_reason = models.CharField(_("hide reason"), max_length=500, blank=True)
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), through="ItemTag", related_name="items"
    )
    # The tags' slugs, space-separated: what search and the list serializer read.
    tags_text = models.CharField(_("tags (text)"), max_length=400, blank=True)
    link_url = models.URLField(_("clip link"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default="player")
    # ``ugc.published`` events: the game's own id (unique per title) and link.
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    external_url = models.URLField(_("external link"), max_length=2000, blank=True)
    current_version = models.ForeignKey(
        "ItemVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    compat_min_key = models.BigIntegerField(_("compatible from (sort key)"), null=True, blank=True)
    compat_max_key = models.BigIntegerField(_("compatible up to (sort key)"), null=True, blank=True)
    like_count = models.PositiveIntegerField(_("likes"), default=0)
    favourite_count = models.PositiveIntegerField(_("favourites"), default=0)
    subscriber_count = models.PositiveIntegerField(_("subscribers"), default=0)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    trending_score = models.FloatField(_("trending score"), default=0.0)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # PostgreSQL full text (name A, tags B, description C); null on SQLite.
    search_vector = SearchVectorField(_("search vector"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("content item")
        verbose_name_plural = _("content items")
        permissions = [("moderate_item", _("Can moderate content items and comments"))]
        constraints = [
            models.UniqueConstraint(
                fields=["title", "external_id"],
                condition=~Q(external_id=""),
                name="ugc_item_external_uq",
            ),
        ]
        indexes = [
            models.Index(
                fields=["title", "state", "-published_at", "-id"], name="ugc_item_new_idx"
            ),
            models.Index(
                fields=["title", "state", "-trending_score", "-id"], name="ugc_item_trend_idx"
            ),
            models.Index(fields=["title", "state", "-like_count", "-id"], name="ugc_item_top_idx"),
            models.Index(fields=["creator", "-created_at", "-id"], name="ugc_item_creator_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_listed_publicly(self) -> bool:
        return (
            self.state == ReviewState.PUBLISHED
            and not self.is_hidden
            and self.visibility == ItemVisibility.PUBLIC
        )


class ItemTag(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "tag"], name="ugc_itemtag_uq")]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.tag_id}"


class ThumbnailState(models.TextChoices):
    PENDING = "pending", _("Being made")
    READY = "ready", _("Ready")
    NONE = "none", _("No preview image")
    FAILED = "failed", _("Failed")


class VersionReview(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ItemVersion(BaseModel):
    """One uploaded file of an item. ``(title, sha256)`` is unique: the same bytes cannot be
        published twice in a title (``duplicate``). ``preview_name`` is the re-encoded preview
        image of an archive (uploaded beside it or found inside it). Others only ever get
    approved versions; with the title's review switch on, a version waits (``pending``) in the
    review queue, else it is approved when uploaded."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions")
    title = models.ForeignKey("titles.Title", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    file_name = models.CharField(max_length=300)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    original_filename = models.CharField(max_length=120)
    changelog = models.TextField(_("changelog"), blank=True, max_length=2000)
    game_version_min = models.CharField(max_length=32, blank=True)
    game_version_max = models.CharField(max_length=32, blank=True)
    compat_min_key = models.BigIntegerField(null=True, blank=True)
    compat_max_key = models.BigIntegerField(null=True, blank=True)
    preview_name = models.CharField(max_length=300, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    entry_count = models.PositiveIntegerField(null=True, blank=True)
    uncompressed_size = models.BigIntegerField(null=True, blank=True)
    thumbnail_state = models.CharField(
        max_length=8, choices=ThumbnailState.choices, default="pending"
    )
    review_state = models.CharField(
        _("review"), max_length=8, choices=VersionReview.choices, default="approved"
    )
    # Set when subscribers were told about this version (the notify task's idempotency key).
    subscribers_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="ugc_version_number_uq"),
            models.UniqueConstraint(fields=["title", "sha256"], name="ugc_version_sha256_uq"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(review_state="pending"),
                name="ugc_version_review_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.number}"


class ReviewQueueEntry(ItemVersion):
    """The admin's review queue: versions waiting for review (``admin.ReviewQueueAdmin``)."""

    class Meta:
        proxy = True
        verbose_name = _("review queue entry")
        verbose_name_plural = _("review queue")


class Thumbnail(BaseModel):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="thumbnails")
    size = models.CharField(max_length=8)
    name = models.CharField(max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "size"], name="ugc_thumbnail_uq")]


class _Engagement(BaseModel):
    """One per player and item (the unique constraint makes the toggle race-safe)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Like(_Engagement):
    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "player"], name="ugc_like_uq")]


class Favourite(_Engagement):
    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "player"], name="ugc_fav_uq")]


class Subscription(_Engagement):
    """Subscribers are notified of new versions; in-game clients list them to auto-update."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "player"], name="ugc_sub_uq")]


class DownloadDay(BaseModel):
    """A player downloaded an item on ``day`` (UTC): downloads count once per player per day."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "player", "day"], name="ugc_download_uq")
        ]


class Comment(BaseModel):
    """Threaded one level: a reply's ``parent`` is a top-level comment of the same item."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="ugc_comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(_("comment"), max_length=2000)
    is_flagged = models.BooleanField(_("flagged by automod"), default=False)
    is_hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    removed_at = models.DateTimeField(_("removed by a moderator"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted by its author"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["item", "created_at", "id"], name="ugc_comment_item_idx")]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.id}"


class UploadSession(BaseModel):
    """A resumable upload (docs/ugc.md, "Resumable uploads"): chunks are stored in the ugc
    storage under ``ugc-staging/<uuid>/`` until the file is used by an item or the session
    expires (the sweep deletes both)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    filename = models.CharField(max_length=120)
    size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    @property
    def is_complete(self) -> bool:
        return self.received == self.size
