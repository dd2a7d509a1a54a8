"""Friends, blocks, notifications and the activity feed of the calling player."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import error_responses
from apps.api.pagination import CursorPagination
from apps.common.exceptions import NotFound
from apps.players import selectors
from apps.players.apis.serializers import (
    ActivitySerializer,
    NotificationSerializer,
    PlayerCardSerializer,
    PlayerWithPresenceSerializer,
    activity_rows,
    friend_rows,
    notification_rows,
)
from apps.players.exceptions import (
    AlreadyFriends,
    FriendRequestExists,
    FriendRequestLimit,
    SelfRelation,
)
from apps.players.friends import (
    block_create,
    block_remove,
    friend_remove,
    friend_request_accept,
    friend_request_decline,
    friend_request_send,
)
from apps.players.models import Friendship, Player
from apps.players.notifications import notification_mark_all_read, notification_mark_read
from apps.players.permissions import IsPlayer, player_of

TAGS = ["friends"]


def _other_player(viewer: Player, player_id: int) -> Player:
    """A player the viewer may address at all (not blocked either way, not deleted)."""
    player, _visibility = selectors.player_get_visible(viewer=viewer, player_id=player_id)
    return player


class FriendRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_player = PlayerCardSerializer()
    to_player = PlayerCardSerializer()
    created_at = serializers.DateTimeField()


class FriendListApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(responses={200: PlayerWithPresenceSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(friend_rows(selectors.friend_rows_of(player=player_of(request))))


class FriendRemoveApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(request=None, responses={204: None}, tags=TAGS)
    def delete(self, request: Request, player_id: int) -> Response:
        player = player_of(request)
        friend = Player.objects.filter(id=player_id).first()
        if friend is None:
            raise NotFound()
        friend_remove(player=player, friend=friend)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRequestListApi(APIView):
    permission_classes = [IsPlayer]

    class OutputSerializer(serializers.Serializer):
        received = FriendRequestSerializer(many=True)
        sent = FriendRequestSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        player = player_of(request)
        received = selectors.friend_requests_received(player=player).select_related("to_player")
        sent = selectors.friend_requests_sent(player=player).select_related("from_player")
        return Response(
            {
                "received": FriendRequestSerializer(received, many=True).data,
                "sent": FriendRequestSerializer(sent, many=True).data,
            }
        )


class FriendRequestCreateApi(APIView):
    """Ask a player to be friends; if they already asked you, you become friends at once."""

    permission_classes = [IsPlayer]

    class InputSerializer(serializers.Serializer):
        player_id = serializers.IntegerField()

    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["requested", "friends"])
        request_id = serializers.IntegerField(allow_null=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **error_responses(
                NotFound, SelfRelation, AlreadyFriends, FriendRequestExists, FriendRequestLimit
            ),
        },
        tags=TAGS,
        examples=[
            OpenApiExample("Request", value={"player_id": 42}, request_only=True),
            OpenApiExample(
                "Requested", value={"status": "requested", "request_id": 7}, response_only=True
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = player_of(request)
        recipient = _other_player(player, data.validated_data["player_id"])
        result = friend_request_send(sender=player, recipient=recipient)
        body = (
            {"status": "friends", "request_id": None}
            if isinstance(result, Friendship)
            else {"status": "requested", "request_id": result.id}
        )
        return Response(body, status=status.HTTP_201_CREATED)


class FriendRequestAcceptApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(request=None, responses={204: None}, tags=TAGS)
    def post(self, request: Request, request_id: int) -> Response:
        player = player_of(request)
        friend_request = selectors.friend_request_get_for_player(
            player=player, request_id=request_id
        )
        friend_request_accept(player=player, request=friend_request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRequestDeleteApi(APIView):
    """Decline (recipient) or cancel (sender) a pending request."""

    permission_classes = [IsPlayer]

    @extend_schema(request=None, responses={204: None}, tags=TAGS)
    def delete(self, request: Request, request_id: int) -> Response:
        player = player_of(request)
        friend_request = selectors.friend_request_get_for_player(
            player=player, request_id=request_id
        )
        friend_request_decline(player=player, request=friend_request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockListApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(responses={200: PlayerCardSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        blocks = selectors.blocks_made(player=player_of(request))
        return Response(PlayerCardSerializer([b.blocked for b in blocks], many=True).data)


class BlockCreateApi(APIView):
    """Block a player: ends the friendship and requests; each stops seeing and reaching the
    other (search, presence, DMs, mentions, guild invites)."""

    permission_classes = [IsPlayer]

    class InputSerializer(serializers.Serializer):
        player_id = serializers.IntegerField()

    @extend_schema(
        request=InputSerializer,
        responses={204: None, **error_responses(NotFound, SelfRelation)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        blocked = Player.objects.filter(
            id=data.validated_data["player_id"], deleted_at__isnull=True
        ).first()
        if blocked is None:
            raise NotFound()
        block_create(blocker=player_of(request), blocked=blocked)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockDeleteApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(request=None, responses={204: None}, tags=TAGS)
    def delete(self, request: Request, player_id: int) -> Response:
        block_remove(blocker=player_of(request), blocked_id=player_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationListApi(APIView):
    permission_classes = [IsPlayer]
    pagination_class = CursorPagination  # also read by the OpenAPI schema

    class FilterSerializer(serializers.Serializer):
        unread = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: NotificationSerializer(many=True)},
        tags=["notifications"],
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        notifications = selectors.notification_source(
            player=player_of(request), unread_only=filters.validated_data["unread"], rows=True
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(notification_rows(page))


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class NotificationUnreadCountApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(responses={200: UnreadCountSerializer}, tags=["notifications"])
    def get(self, request: Request) -> Response:
        count = selectors.notification_unread_count(player_id=player_of(request).id)
        return Response({"unread_count": count})


class NotificationReadApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(request=None, responses={200: UnreadCountSerializer}, tags=["notifications"])
    def post(self, request: Request, notification_id: int) -> Response:
        count = notification_mark_read(player=player_of(request), notification_id=notification_id)
        return Response({"unread_count": count})


class NotificationReadAllApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(request=None, responses={200: UnreadCountSerializer}, tags=["notifications"])
    def post(self, request: Request) -> Response:
        return Response({"unread_count": notification_mark_all_read(player=player_of(request))})


class FeedApi(APIView):
    """My activity and my friends' (as their privacy allows), newest first."""

    permission_classes = [IsPlayer]
    pagination_class = CursorPagination  # also read by the OpenAPI schema

    @extend_schema(responses={200: ActivitySerializer(many=True)}, tags=["feed"])
    def get(self, request: Request) -> Response:
        entries = selectors.activity_feed_source(viewer=player_of(request), rows=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(activity_rows(page))
