"""Chat over REST: channel list with unread counts, history, search, sending, read markers,
and the title endpoints (chat tokens, announcements). Same services as the websocket."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.api.errors import error_responses
from apps.api.fields import StrictCharField
from apps.chat import actions, events, selectors, services
from apps.chat.channels import direct_channel_start
from apps.chat.exceptions import (
    Blocked,
    ChannelClosed,
    EmptyMessage,
    Forbidden,
    InvalidAttachment,
    MessageRejected,
    NoPlayer,
    RateLimited,
    SelfDirectMessage,
    TooLong,
    UnknownChannel,
    UnknownPlayer,
)
from apps.chat.reactions import reaction_emoji_for_titles
from apps.chat.relations import player_for_user
from apps.chat.tokens import chat_token_issue
from apps.common.exceptions import PermissionDenied
from apps.common.localized_text import UnknownLanguage
from apps.moderation.exceptions import Banned, DmRestricted, Muted, Suspended
from apps.players.models import Player
from apps.titles import scopes
from apps.titles.permissions import title_client_of, title_scope


def request_player(request: Request) -> Player:
    """The caller's player. Chat over REST acts as a player: a title key is refused like on
    every player endpoint (``permission_denied``), a login without a profile gets ``no_player``."""
    if not isinstance(request.user, User):
        raise PermissionDenied(_("This operation needs a player login."))
    player = player_for_user(request.user)
    if player is None:
        raise NoPlayer()
    return player


class MessageOutputSerializer(serializers.Serializer):
    """The ``message`` object of the websocket protocol."""

    id = serializers.IntegerField()
    channel_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    author = serializers.DictField(allow_null=True)
    body = serializers.CharField()
    client_msg_id = serializers.CharField(allow_null=True)
    mentions = serializers.ListField(child=serializers.IntegerField())
    attachments = serializers.ListField(
        child=serializers.DictField(), help_text="`{kind, id, …}` links to other apps' items."
    )
    change_seq = serializers.IntegerField(help_text="The channel change of its latest change.")
    reactions = serializers.ListField(child=serializers.DictField())
    created_at = serializers.CharField()
    edited_at = serializers.CharField(allow_null=True)
    is_deleted = serializers.BooleanField()
    body_translations = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Only on an announcement with texts per language: language code → text; "
        "show the one of your language (`ja-JP` → `ja`), else `body`.",
    )


class ChannelOutputSerializer(serializers.Serializer):
    """The ``channel`` object of the websocket protocol, with the caller's read marker."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    title = serializers.CharField(allow_null=True)
    locale = serializers.CharField()
    last_seq = serializers.IntegerField()
    last_change_seq = serializers.IntegerField()
    is_closed = serializers.BooleanField()
    slow_mode_seconds = serializers.IntegerField()
    reactions = serializers.ListField(
        child=serializers.CharField(), help_text="The emoji `react` accepts here."
    )
    can_send = serializers.BooleanField(
        help_text="Whether you may send here now: false in a closed or announcement channel, "
        "and in a direct message the other player's blocks or privacy refuse (one-way DMs). "
        "Mutes and rate limits are not counted."
    )
    last_read_seq = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class ChannelListApi(APIView):
    """The caller's channels, most recently active first, with unread counts."""

    OutputSerializer = ChannelOutputSerializer

    @extend_schema(
        responses={200: OutputSerializer(many=True), **error_responses(NoPlayer)}, tags=["chat"]
    )
    def get(self, request: Request) -> Response:
        player = request_player(request)
        entries = selectors.channel_list_for_player(player=player)
        reactions = reaction_emoji_for_titles(entry.channel.title_id for entry in entries)
        writable = selectors.channels_writable(
            player=player, channels=[entry.channel for entry in entries]
        )
        body = [
            events.channel_data(
                entry.channel,
                can_send=entry.channel.id in writable,
                reactions=reactions[entry.channel.title_id],
            )
            | {"last_read_seq": entry.last_read_seq, "unread_count": entry.unread_count}
            for entry in entries
        ]
        return Response(self.OutputSerializer(body, many=True).data)


class DirectChannelStartApi(APIView):
    """Open the direct-message channel with a player before the first message: 201 when it
    was created (both players' sockets get ``channel_joined``), 200 when it existed.
    ``blocked`` (403) when a block or the player's privacy forbids it, ``unknown_player``
    (404), ``self_direct_message`` (400)."""

    class InputSerializer(serializers.Serializer):
        player_id = serializers.IntegerField(min_value=1)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: ChannelOutputSerializer,
            200: ChannelOutputSerializer,
            **error_responses(NoPlayer, UnknownPlayer, SelfDirectMessage, Blocked),
        },
        tags=["chat"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sender = request_player(request)
        recipient = Player.objects.filter(
            id=data.validated_data["player_id"], user__isnull=False
        ).first()
        if recipient is None:
            raise UnknownPlayer()
        channel, created = direct_channel_start(sender=sender, recipient=recipient)
        entry = selectors.channel_entry_for_player(channel=channel, player=sender)
        can_send = channel.id in selectors.channels_writable(player=sender, channels=[channel])
        body = events.channel_data(channel, can_send=can_send) | {
            "last_read_seq": entry.last_read_seq, "unread_count": entry.unread_count,
        }  # fmt: skip
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ChannelOutputSerializer(body).data, status=code)


class ChannelMessagesApi(APIView):
    """History, cursor-paginated by sequence: ``?before=<seq>`` pages back (newest first
    page without it), ``?after=<seq>`` catches up; ``next_before``/``next_after`` are the
    cursors of the following page (null at the end). POST sends a message."""

    class FilterSerializer(serializers.Serializer):
        before = serializers.IntegerField(min_value=0, required=False)
        after = serializers.IntegerField(min_value=0, required=False)
        limit = serializers.IntegerField(min_value=1, max_value=100, default=50)

    class OutputSerializer(serializers.Serializer):
        channel_id = serializers.IntegerField()
        head_seq = serializers.IntegerField()
        results = MessageOutputSerializer(many=True)
        next_before = serializers.IntegerField(allow_null=True)
        next_after = serializers.IntegerField(allow_null=True)

    class InputSerializer(serializers.Serializer):
        body = StrictCharField(trim_whitespace=False, allow_blank=True)
        client_msg_id = StrictCharField(max_length=64, required=False)
        attachments = serializers.ListField(
            # Any JSON reaches the attachment rules, which refuse a malformed one by index.
            child=serializers.JSONField(allow_null=True), required=False,
            help_text="`[{kind, id}]` links to other apps' items (docs/websocket-protocol.md).",
        )  # fmt: skip

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: OutputSerializer, **error_responses(NoPlayer, UnknownChannel)},
        tags=["chat"],
    )
    def get(self, request: Request, channel_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        channel = selectors.channel_get_for_player(
            channel_id=channel_id, player=request_player(request)
        )
        after = filters.validated_data.get("after")
        page = selectors.messages_page(
            channel=channel,
            before_seq=filters.validated_data.get("before"),
            after_seq=after,
            limit=filters.validated_data["limit"],
        )
        return Response(self.OutputSerializer(_page_body(channel, page, after)).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OpenApiResponse(MessageOutputSerializer, description="The message was stored."),
            200: OpenApiResponse(
                MessageOutputSerializer,
                description="A duplicate: this author already sent `client_msg_id` in this "
                "channel. Nothing new was stored; the body is the message stored the first time.",
            ),
            **error_responses(
                NoPlayer, UnknownChannel, Muted, Banned, Suspended, DmRestricted, ChannelClosed,
                Forbidden, Blocked,
                EmptyMessage, TooLong, MessageRejected, InvalidAttachment, RateLimited,
            ),
        },
        tags=["chat"],
    )  # fmt: skip
    def post(self, request: Request, channel_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = request_player(request)
        channel = selectors.channel_get_for_player(channel_id=channel_id, player=player)
        result = services.message_send(channel=channel, author=player, **data.validated_data)
        body = events.message_data(result.message, is_new=not result.is_duplicate)
        code = status.HTTP_200_OK if result.is_duplicate else status.HTTP_201_CREATED
        return Response(MessageOutputSerializer(body).data, status=code)


def _page_body(channel: Any, page: selectors.MessagePage, after: int | None) -> dict[str, Any]:
    messages = page.messages
    going_forward = after is not None
    return {
        "channel_id": channel.id,
        "head_seq": channel.last_seq,
        "results": [events.message_data(message) for message in messages],
        "next_before": messages[0].seq if messages and page.has_more and not going_forward
        else None,
        "next_after": messages[-1].seq if messages and page.has_more and going_forward else None,
    }  # fmt: skip


class ChannelSearchApi(APIView):
    """Search one channel (PostgreSQL full-text; words, ``"phrases"``, ``-excluded``)."""

    class FilterSerializer(serializers.Serializer):
        q = StrictCharField(max_length=200)
        limit = serializers.IntegerField(min_value=1, max_value=100, default=50)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={
            200: MessageOutputSerializer(many=True),
            **error_responses(NoPlayer, UnknownChannel),
        },
        tags=["chat"],
    )
    def get(self, request: Request, channel_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        channel = selectors.channel_get_for_player(
            channel_id=channel_id, player=request_player(request)
        )
        messages = selectors.messages_search(
            channel=channel, query=filters.validated_data["q"],
            limit=filters.validated_data["limit"],
        )  # fmt: skip
        body = [events.message_data(message) for message in messages]
        return Response(MessageOutputSerializer(body, many=True).data)


class ChannelReadApi(APIView):
    """Move the caller's read marker (never backwards)."""

    class InputSerializer(serializers.Serializer):
        seq = serializers.IntegerField(min_value=0)

    class OutputSerializer(serializers.Serializer):
        channel_id = serializers.IntegerField()
        last_read_seq = serializers.IntegerField()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(NoPlayer, UnknownChannel)},
        tags=["chat"],
    )
    def post(self, request: Request, channel_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = request_player(request)
        channel = selectors.channel_get_for_player(channel_id=channel_id, player=player)
        seq = actions.read_marker_set(
            channel=channel, player=player, seq=data.validated_data["seq"]
        )
        return Response(
            self.OutputSerializer({"channel_id": channel.id, "last_read_seq": seq}).data
        )


class ChatTokenCreateApi(APIView):
    """A game server mints a short-lived websocket token for one of its players: a player
    with a game identity your title created or used (its events or resolve calls named it).
    ``unknown_player`` (404) for any other id, existing or not; ``no_player`` (403) for a
    shadow player. The token reaches your title's channels and the player's direct messages
    (docs/websocket-protocol.md, "Chat tokens and what they reach")."""

    permission_classes = [title_scope(scopes.CHAT_TOKENS)]

    class InputSerializer(serializers.Serializer):
        player_id = serializers.IntegerField()

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Use as `bearer.<token>` subprotocol or hello.")
        expires_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(UnknownPlayer, NoPlayer)},
        tags=["chat"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = Player.objects.filter(id=data.validated_data["player_id"]).first()
        if player is None:
            raise UnknownPlayer()
        issued = chat_token_issue(title=title_client_of(request).title, player=player)
        body = {"token": issued.token, "expires_at": issued.expires_at}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class AnnouncementCreateApi(APIView):
    """A game server posts a system message to its title's announcement channel: one
    announcement with a text per language (``body_translations``, ``body`` the fallback) that
    every player reads in their own language, or (``locale``) one channel per language.
    Each translation is checked like ``body`` (``empty_message``, ``too_long`` with
    ``details.language``); ``unknown_language`` for a code that is not a product language."""

    permission_classes = [title_scope(scopes.CHAT_ANNOUNCE)]

    class InputSerializer(serializers.Serializer):
        body = StrictCharField(help_text="The text in the default language: the fallback.")
        body_translations = serializers.DictField(
            child=StrictCharField(allow_blank=True),
            required=False,
            help_text='The text per product language code, e.g. {"ja": "今夜20時から…"}.',
        )
        locale = StrictCharField(max_length=16, required=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: MessageOutputSerializer,
            **error_responses(EmptyMessage, TooLong, UnknownLanguage),
        },
        tags=["chat"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.announcement_post(
            title=title_client_of(request).title, **data.validated_data
        )
        body = events.message_data(message, is_new=True)
        return Response(MessageOutputSerializer(body).data, status=status.HTTP_201_CREATED)
