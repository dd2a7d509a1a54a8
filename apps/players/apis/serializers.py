"""Output shapes shared by several endpoints (each API still nests its own Input/Output)."""

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers

from apps.api.rows import datetimes_in_request_zone
from apps.players.avatars import avatar_url, player_cards_of_rows
from apps.players.models import ActivityEntry, Notification, Player
from apps.players.presence import HIDDEN, presence_states_of_rows

# One field object does every list row's times, the way a row's own field would (the active
# time zone, ISO 8601, "Z" for UTC).
_DATETIME = serializers.DateTimeField()


def _player_card(player: Player | None) -> dict[str, Any] | None:
    if player is None:
        return None
    return {
        "id": player.id,
        "display_name": player.display_name,
        "avatar_url": avatar_url(player, "large"),
        "avatar_small_url": avatar_url(player, "small"),
    }


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

    def to_representation(self, player: Player) -> dict[str, Any]:
        # The fields above by hand: lists render many cards, and DRF's per-field walk costs
        # more than the rows' query (tests/players/test_serializers.py keeps the two equal).
        # Subclasses add fields, and take DRF's walk.
        if type(self) is not PlayerCardSerializer:
            return super().to_representation(player)
        card = _player_card(player)
        assert card is not None
        return card


class PresenceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["offline", "online", "in_game", "in_match"])
    title = serializers.CharField(allow_null=True, help_text="Title slug when in game.")
    title_name = serializers.CharField(allow_null=True)
    match_id = serializers.CharField(allow_null=True)


class PlayerWithPresenceSerializer(PlayerCardSerializer):
    presence = serializers.SerializerMethodField()

    def get_presence(self, player: Player) -> dict[str, Any]:
        return self.context["presence"][player.id].as_dict()

    def to_representation(self, player: Player) -> dict[str, Any]:
        # The fields above by hand, as PlayerCardSerializer's.
        if type(self) is not PlayerWithPresenceSerializer:
            return super().to_representation(player)
        card = _player_card(player)
        assert card is not None
        return {**card, "presence": self.get_presence(player)}


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

    def to_representation(self, entry: ActivityEntry) -> dict[str, Any]:
        # The fields above by hand, as PlayerCardSerializer's.
        return {
            "id": entry.id,
            "player": _player_card(entry.player),
            "kind": entry.kind,
            "title": entry.title.slug if entry.title is not None else None,
            "data": {str(key): value for key, value in entry.data.items()},
            "created_at": _DATETIME.to_representation(entry.created_at),
        }


def activity_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``ActivitySerializer``'s output for rows of ``selectors.ACTIVITY_ROW`` (API pages read
    rows, not entries: tests/players/test_serializers.py keeps the two equal)."""
    iso, card = datetimes_in_request_zone(), player_cards_of_rows("player")
    return [
        {
            "id": row["id"],
            "player": card(row),
            "kind": row["kind"],
            "title": row["title__slug"],
            "data": {str(key): value for key, value in row["data"].items()},
            "created_at": iso(row["created_at"]),
        }
        for row in rows
    ]


def friend_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``PlayerWithPresenceSerializer``'s output for rows of ``selectors.FRIEND_ROW``: presence
    for the friends the viewer sees fully, offline for the others (``presence_visible_to``)."""
    rows = list(rows)
    shown = {row["id"]: row["user_id"] for row in rows if row["viewer_sees_fully"]}
    sessions = {row["id"]: row["open_session"] for row in rows}
    states = presence_states_of_rows(user_ids=shown, sessions=sessions) if shown else {}
    card_of = player_cards_of_rows("")
    body = []
    for row in rows:
        card = card_of(row)
        assert card is not None
        card["presence"] = states.get(row["id"], HIDDEN).as_dict()
        body.append(card)
    return body


def notification_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``NotificationSerializer``'s output for rows of ``selectors.NOTIFICATION_ROW``."""
    iso, card = datetimes_in_request_zone(), player_cards_of_rows("actor")
    return [
        {
            "id": row["id"],
            "kind": row["kind"],
            "actor": card(row),
            "data": {str(key): value for key, value in row["data"].items()},
            "read_at": iso(row["read_at"]),
            "created_at": iso(row["created_at"]),
        }
        for row in rows
    ]


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = PlayerCardSerializer(allow_null=True)
    data = serializers.DictField()  # type: ignore[assignment]  # a field, popped by the metaclass
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, notification: Notification) -> dict[str, Any]:
        # The fields above by hand, as PlayerCardSerializer's.
        return {
            "id": notification.id,
            "kind": notification.kind,
            "actor": _player_card(notification.actor),
            "data": {str(key): value for key, value in notification.data.items()},
            "read_at": (
                None
                if notification.read_at is None
                else _DATETIME.to_representation(notification.read_at)
            ),
            "created_at": _DATETIME.to_representation(notification.created_at),
        }


class IdentitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.CharField()
    external_id = serializers.CharField()
    title = serializers.CharField(source="title.slug", allow_null=True, default=None)
    is_verified = serializers.BooleanField()
    created_at = serializers.DateTimeField()
