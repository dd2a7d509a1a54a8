"""Output shapes shared by several endpoints (each API still nests its own Input/Output)."""

from typing import Any

from rest_framework import serializers

from apps.players.avatars import avatar_url
from apps.players.models import Player


class PlayerCardSerializer(serializers.Serializer):
    """What anyone who may see a player at all sees: name and avatar."""

    id = serializers.IntegerField()
    display_name = serializers.CharField()
    avatar_url = serializers.SerializerMethodField()
    avatar_small_url = serializers.SerializerMethodField()

    def get_avatar_url(self, player: Player) -> str | None:
        return avatar_url(player, "large")

    def get_avatar_small_url(self, player: Player) -> str | None:
        return avatar_url(player, "small")


class PresenceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["offline", "online", "in_game", "in_match"])
    title = serializers.CharField(allow_null=True, help_text="Title slug when in game.")
    title_name = serializers.CharField(allow_null=True)
    match_id = serializers.CharField(allow_null=True)


class PlayerWithPresenceSerializer(PlayerCardSerializer):
    presence = serializers.SerializerMethodField()

    def get_presence(self, player: Player) -> dict[str, Any]:
        return self.context["presence"][player.id].as_dict()


TITLE_NAME_HELP = (
    "The title's name in the response's language (Accept-Language, or the player's own "
    "setting in the portal session), else its default name."
)


class StatsSerializer(serializers.Serializer):
    title = serializers.CharField(source="title.slug")
    title_name = serializers.CharField(source="title.localized_name", help_text=TITLE_NAME_HELP)
    matches_played = serializers.IntegerField()
    matches_won = serializers.IntegerField()
    playtime_seconds = serializers.IntegerField(help_text="Time in matches (match durations).")
    played_seconds = serializers.IntegerField(
        help_text="Time in the game from sessions (start to end; an open session up to now)."
    )
    level = serializers.IntegerField(allow_null=True)
    xp = serializers.IntegerField(allow_null=True)
    rank = serializers.CharField()
    counters = serializers.DictField(child=serializers.IntegerField())


class AchievementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(source="title.slug")
    title_name = serializers.CharField(source="title.localized_name", help_text=TITLE_NAME_HELP)
    key = serializers.CharField()
    name = serializers.CharField()
    unlocked_at = serializers.DateTimeField()
    is_showcased = serializers.BooleanField()


class ActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    player = PlayerCardSerializer()
    kind = serializers.CharField()
    title = serializers.CharField(source="title.slug", allow_null=True, default=None)
    data = serializers.DictField()  # type: ignore[assignment]  # a field, popped by the metaclass
    created_at = serializers.DateTimeField()


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = PlayerCardSerializer(allow_null=True)
    data = serializers.DictField()  # type: ignore[assignment]  # a field, popped by the metaclass
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class IdentitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.CharField()
    external_id = serializers.CharField()
    title = serializers.CharField(source="title.slug", allow_null=True, default=None)
    is_verified = serializers.BooleanField()
    created_at = serializers.DateTimeField()
