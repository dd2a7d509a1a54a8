"""Profiles: /me (own profile, avatar, preferences, export, deletion) and /players (others)."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import error_responses
from apps.api.fields import StrictCharField
from apps.api.pagination import CursorPagination
from apps.players import selectors, services
from apps.players.apis.errors import (
    AVATAR_ERRORS,
    NAME_ERRORS,
    PROFILE_ERRORS,
    SHOWCASE_TOO_LARGE,
    UNKNOWN_NOTIFICATION_KIND,
)
from apps.players.apis.serializers import (
    AchievementSerializer,
    ActivitySerializer,
    PlayerCardSerializer,
    PresenceSerializer,
    StatsSerializer,
    activity_rows,
)
from apps.players.avatars import avatar_remove, avatar_set
from apps.players.data_rights import player_deletion_request, player_export
from apps.players.exceptions import AccountDeletionPending, DisplayNameTaken
from apps.players.models import Achievement, NotificationKind, Player, PlayerTitleStats, Privacy
from apps.players.permissions import IsPlayer, player_of
from apps.players.play_time import played_seconds_by_title
from apps.players.presence import presence_visible_to
from apps.players.selectors import Visibility
from apps.titles.models import Title

TAGS = ["players"]


def profile_body(*, viewer: Player | None, player: Player, visibility: Visibility) -> dict:
    """The profile as ``viewer`` may see it: a card when limited, everything when full."""
    body: dict[str, Any] = dict(PlayerCardSerializer(player).data)
    body["visibility"] = visibility.name.lower()
    if visibility < Visibility.FULL:
        return body
    showcase = Achievement.objects.filter(player=player, is_showcased=True).select_related("title")
    body |= {
        "bio": player.bio,
        "country": player.country,
        "locale": player.locale,
        "created_at": player.created_at,
        "presence": presence_visible_to(viewer=viewer, players=[player])[player.id].as_dict(),
        "stats": StatsSerializer(_stats_with_time_played(player), many=True).data,
        "showcase": AchievementSerializer(showcase.order_by("-unlocked_at"), many=True).data,
    }
    return body


def _stats_with_time_played(player: Player) -> list[PlayerTitleStats]:
    """The player's per-title stats, each with ``played_seconds`` (play_time), including a
    title the player is in right now for the first time (no stats row yet)."""
    played = played_seconds_by_title(player=player)
    stats = list(PlayerTitleStats.objects.filter(player=player).select_related("title"))
    missing = set(played) - {row.title_id for row in stats}
    for title in Title.objects.filter(id__in=missing):
        stats.append(PlayerTitleStats(player=player, title=title))
    for row in stats:
        row.played_seconds = played.get(row.title_id, 0)  # type: ignore[attr-defined]
    return sorted(stats, key=lambda row: row.title.localized_name)


class ProfileOutputSerializer(PlayerCardSerializer):
    visibility = serializers.ChoiceField(choices=["self", "full", "limited"])
    bio = serializers.CharField(required=False)
    country = serializers.CharField(required=False)
    locale = serializers.CharField(required=False)
    created_at = serializers.DateTimeField(required=False)
    presence = PresenceSerializer(required=False)
    stats = StatsSerializer(many=True, required=False)
    showcase = AchievementSerializer(many=True, required=False)


class MeApi(APIView):
    """The caller's own profile (GET) and changes to it (PATCH)."""

    permission_classes = [IsPlayer]

    class InputSerializer(serializers.Serializer):
        # Blank and whitespace-only names reach the name rules, which answer name_too_short.
        display_name = StrictCharField(
            required=False, max_length=64, allow_blank=True, trim_whitespace=False
        )
        bio = StrictCharField(required=False, allow_blank=True, max_length=500)
        locale = StrictCharField(required=False, max_length=16)
        time_zone = StrictCharField(required=False, max_length=64)
        country = StrictCharField(required=False, allow_blank=True, max_length=2)
        privacy = serializers.ChoiceField(required=False, choices=Privacy.choices)

    class OutputSerializer(ProfileOutputSerializer):
        time_zone = serializers.CharField()
        privacy = serializers.CharField()
        notification_opt_outs = serializers.ListField(child=serializers.CharField())

    def _body(self, player: Player) -> dict:
        body = profile_body(viewer=player, player=player, visibility=Visibility.SELF)
        return body | {
            "time_zone": player.time_zone,
            "privacy": player.privacy,
            "notification_opt_outs": player.notification_opt_outs,
        }

    @extend_schema(responses={200: OutputSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(self._body(player_of(request)))

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **error_responses(DisplayNameTaken, *NAME_ERRORS, *PROFILE_ERRORS),
        },
        tags=TAGS,
        examples=[
            OpenApiExample("Rename", value={"display_name": "山田太郎", "privacy": "friends"}),
        ],
        description="Display names are NFKC-normalized; names that collide after case folding "
        "and confusable mapping are taken (`display_name_taken`); invisible characters and "
        "mixed-script words are refused (`name_*` codes, docs/api.md).",
    )
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = services.player_profile_update(
            player=player_of(request), data=dict(data.validated_data)
        )
        return Response(self._body(player))


class AvatarUpdateApi(APIView):
    """Upload (PUT, multipart field ``image``) or remove (DELETE) the avatar."""

    permission_classes = [IsPlayer]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        # An empty file reaches the content check too (avatar_unsupported_type).
        image = serializers.FileField(
            allow_empty_file=True, help_text="PNG, JPEG or WebP; checked by content."
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: PlayerCardSerializer, **error_responses(*AVATAR_ERRORS)},
        tags=TAGS,
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = avatar_set(player=player_of(request), upload=data.validated_data["image"])
        return Response(PlayerCardSerializer(player).data)

    @extend_schema(request=None, responses={200: PlayerCardSerializer}, tags=TAGS)
    def delete(self, request: Request) -> Response:
        return Response(PlayerCardSerializer(avatar_remove(player=player_of(request))).data)


class NotificationPreferencesApi(APIView):
    permission_classes = [IsPlayer]

    class InputSerializer(serializers.Serializer):
        opted_out = serializers.ListField(
            child=serializers.ChoiceField(choices=NotificationKind.choices), max_length=20
        )

    class OutputSerializer(serializers.Serializer):
        opted_out = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(UNKNOWN_NOTIFICATION_KIND)},
        tags=TAGS,
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = services.player_notification_preferences_set(
            player=player_of(request), opted_out=data.validated_data["opted_out"]
        )
        return Response({"opted_out": player.notification_opt_outs})


class ShowcaseUpdateApi(APIView):
    permission_classes = [IsPlayer]

    class InputSerializer(serializers.Serializer):
        achievement_ids = serializers.ListField(child=serializers.IntegerField(), max_length=50)

    @extend_schema(
        request=InputSerializer,
        responses={204: None, **error_responses(SHOWCASE_TOO_LARGE)},
        tags=TAGS,
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.achievement_showcase_set(
            player=player_of(request), achievement_ids=data.validated_data["achievement_ids"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(responses={200: dict}, tags=TAGS, description="All my data, as JSON.")
    def get(self, request: Request) -> Response:
        response = Response(player_export(player=player_of(request)))
        response["Content-Disposition"] = 'attachment; filename="my-community-data.json"'
        return response


class DeletionRequestApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(
        request=None,
        responses={202: None, **error_responses(AccountDeletionPending)},
        tags=TAGS,
        description="Deactivates the login at once and erases the account after the grace "
        "period (docs/players.md, Data rights).",
    )
    def post(self, request: Request) -> Response:
        player_deletion_request(player=player_of(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PlayerSearchApi(APIView):
    """Players whose display name starts like ``q`` (compared by name key; up to 20)."""

    permission_classes = [IsPlayer]

    class FilterSerializer(serializers.Serializer):
        q = StrictCharField(allow_blank=True, help_text="Longer queries are cut to 64 characters.")

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: PlayerCardSerializer(many=True)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        query = filters.validated_data["q"][:64]
        found = selectors.player_search(viewer=player_of(request), query=query)
        return Response(PlayerCardSerializer(found, many=True).data)


class PlayerDetailApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(responses={200: ProfileOutputSerializer}, tags=TAGS)
    def get(self, request: Request, player_id: int) -> Response:
        viewer = player_of(request)
        player, visibility = selectors.player_get_visible(viewer=viewer, player_id=player_id)
        return Response(profile_body(viewer=viewer, player=player, visibility=visibility))


class PlayerActivityApi(APIView):
    permission_classes = [IsPlayer]
    pagination_class = CursorPagination  # also read by the OpenAPI schema

    @extend_schema(responses={200: ActivitySerializer(many=True)}, tags=TAGS)
    def get(self, request: Request, player_id: int) -> Response:
        viewer = player_of(request)
        player, visibility = selectors.player_get_visible(viewer=viewer, player_id=player_id)
        entries = selectors.activity_of_player_source(
            viewer=viewer, target=player, visibility=visibility, rows=True
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(activity_rows(page))
