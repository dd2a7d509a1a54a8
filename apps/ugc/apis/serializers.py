"""Output shapes of the UGC API (documentation for the schema; the data comes from
``apps.ugc.presenters``)."""

from rest_framework import serializers

from apps.api.fields import StrictCharField, StrictChoiceField
from apps.ugc.models import ItemVisibility, Kind
from apps.ugc.pagination import MAX_LIMIT


class CardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    avatar_url = serializers.CharField(allow_null=True)


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    size = serializers.IntegerField(help_text="Bytes of the stored file.")
    sha256 = serializers.CharField(help_text="SHA-256 of the stored file (hex).")
    content_type = serializers.CharField()
    filename = serializers.CharField(help_text="Sanitized; the extension is the verified type.")
    changelog = serializers.CharField()
    game_version_min = serializers.CharField(allow_null=True)
    game_version_max = serializers.CharField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    entry_count = serializers.IntegerField(allow_null=True)
    thumbnail_state = serializers.ChoiceField(choices=["pending", "ready", "none", "failed"])
    created_at = serializers.CharField()
    review_state = serializers.ChoiceField(
        choices=["pending", "approved", "rejected"], required=False,
        help_text="Only for the creator and moderators.",
    )  # fmt: skip


class CountsSerializer(serializers.Serializer):
    likes = serializers.IntegerField()
    favourites = serializers.IntegerField()
    subscribers = serializers.IntegerField()
    downloads = serializers.IntegerField()
    comments = serializers.IntegerField()


class ThumbnailSerializer(serializers.Serializer):
    ready = serializers.BooleanField(help_text="False: show placeholder_url.")
    urls = serializers.DictField(
        child=serializers.CharField(),
        help_text="small/medium/large: each redirects to a signed URL.",
    )
    placeholder_url = serializers.CharField()


class ViewerStateSerializer(serializers.Serializer):
    is_creator = serializers.BooleanField()
    liked = serializers.BooleanField()
    favourited = serializers.BooleanField()
    subscribed = serializers.BooleanField()


class ModerationStateSerializer(serializers.Serializer):
    is_hidden = serializers.BooleanField()
    state_reason = serializers.CharField(allow_null=True)
    hidden_reason = serializers.CharField(allow_null=True)


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="Title slug.")
    title_name = serializers.CharField(
        help_text="The title's name in the response's language (Accept-Language, or the "
        "player's own setting in the portal session), else its default name."
    )
    kind = serializers.ChoiceField(choices=Kind.values)
    name = serializers.CharField()
    description = serializers.CharField(
        help_text="In the response's language when the creator wrote one, else the default text."
    )
    description_translations = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="One item's read (and its edit's answer) only: the description per language "
        "code, besides `description`, the default text.",
    )
    tags = serializers.ListField(child=serializers.CharField())
    visibility = serializers.ChoiceField(choices=ItemVisibility.values)
    state = serializers.ChoiceField(
        choices=["draft", "pending_review", "published", "rejected", "removed"]
    )
    creator = CardSerializer()
    link_url = serializers.CharField(allow_null=True, help_text="Clip links only.")
    external_url = serializers.CharField(allow_null=True, help_text="Items published in game.")
    # A declared field named like Field.source: the metaclass moves it out of the class.
    source = serializers.ChoiceField(choices=["player", "game"])  # type: ignore[assignment]
    counts = CountsSerializer()
    trending_score = serializers.FloatField()
    current_version = VersionSerializer(allow_null=True)
    thumbnail = ThumbnailSerializer()
    viewer = ViewerStateSerializer()
    published_at = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()
    updated_at = serializers.CharField()
    moderation = ModerationStateSerializer(
        required=False, help_text="Only for the creator and moderators."
    )


class ItemPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="URL of the next page.")
    results = ItemSerializer(many=True)


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    parent_id = serializers.IntegerField(allow_null=True)
    author = CardSerializer(allow_null=True, help_text="Null once deleted.")
    body = serializers.CharField(help_text="Plain text; empty once deleted.")
    is_deleted = serializers.BooleanField()
    is_mine = serializers.BooleanField()
    created_at = serializers.CharField()


class CommentThreadSerializer(CommentSerializer):
    replies = CommentSerializer(many=True)


class CommentPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    results = CommentThreadSerializer(many=True)


class ListQuerySerializer(serializers.Serializer):
    kind = StrictChoiceField(choices=Kind.values, required=False)
    # An empty filter is no filter (tag=&q= from a cleared search form).
    tag = StrictCharField(required=False, allow_blank=True, max_length=64)
    creator = serializers.IntegerField(required=False, min_value=1)
    q = StrictCharField(required=False, allow_blank=True, max_length=200)
    game_version = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="Only items compatible with this game version.",
    )
    sort = StrictChoiceField(choices=["new", "top", "trending"], default="new")
    cursor = StrictCharField(required=False, max_length=500)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT)


class PageQuerySerializer(serializers.Serializer):
    cursor = StrictCharField(required=False, max_length=500)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT)
