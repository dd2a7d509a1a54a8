"""Items over REST: galleries and search, create (multipart upload), read, edit, publish,
delete; a player's own content and a creator's page."""

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.fields import StrictCharField, StrictChoiceField
from apps.api.parsers import JSONParser
from apps.common.exceptions import NotFound
from apps.players.selectors import player_get_visible
from apps.ugc import selectors
from apps.ugc.apis.common import (
    TAGS,
    CanRead,
    IsPlayerOrReadOnly,
    IsPlayerViewer,
    error_responses,
    viewer_of,
)
from apps.ugc.apis.serializers import (
    ItemPageSerializer,
    ItemSerializer,
    ListQuerySerializer,
    PageQuerySerializer,
)
from apps.ugc.exceptions import TooLarge, UnknownCreator, UnknownTitle
from apps.ugc.models import ItemVisibility, Kind
from apps.ugc.pagination import keyset_page, limit_of
from apps.ugc.presenters import item_dict
from apps.ugc.receiving import UgcUploadHandler, max_file_bytes, received_file
from apps.ugc.services import items as item_services
from apps.ugc.services import policy
from apps.ugc.services.fields import ItemInput, VersionInput
from apps.ugc.services.uploads import (
    upload_session_assemble,
    upload_session_delete,
    upload_session_get,
)
from apps.ugc.validation import ReceivedFile

UPLOAD_ERRORS = (
    "too_large", "empty_file", "unsupported_type", "decompression_bomb", "corrupt_file",
    "polyglot", "archive_unsafe", "duplicate", "upload_banned", "suspended", "banned",
    "file_required", "invalid_link",
    "invalid_tags", "invalid_game_version", "invalid_name", "invalid_visibility",
    "text_too_long", "content_rejected", "unknown_upload", "upload_incomplete",
    "kind_not_allowed", "upload_rate_limited",
    "validation_error", "not_authenticated", "permission_denied",
)  # fmt: skip


def items_page_response(request: Request, queryset: Any, *, sort: str, viewer: Any) -> Response:
    query = request.query_params
    page = keyset_page(
        queryset, sort=sort, cursor=query.get("cursor"), limit=limit_of(query.get("limit"))
    )
    engagement = selectors.engagement_of(
        player=viewer.player, item_ids=[item.id for item in page.rows]
    )
    next_url = None
    if page.next_cursor:
        params = query.copy()
        params["cursor"] = page.next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    results = [item_dict(item, viewer=viewer, engagement=engagement) for item in page.rows]
    return Response({"next": next_url, "results": results})


def list_filters(request: Request, *, title: Any = None) -> tuple[selectors.ItemFilters, str]:
    query = ListQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    filters = selectors.ItemFilters(
        title=title, kind=data.get("kind", ""), tag=data.get("tag", "").casefold(),
        creator_id=data.get("creator"), query=data.get("q", "").strip(),
        game_version=data.get("game_version", ""),
    )  # fmt: skip
    return filters, data["sort"]


class UploadReceiving:
    """Mixin: bodies of this view stream into hashed spool files (``apps.ugc.receiving``).
    Uploads are multipart (the one body type besides JSON the API takes, docs/api.md)."""

    parser_classes: Sequence[type[BaseParser]] = (MultiPartParser, JSONParser)

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        handler = UgcUploadHandler(request)
        request.upload_handlers = [handler]
        request._ugc_upload_handler = handler  # type: ignore[attr-defined]
        return super().initialize_request(request, *args, **kwargs)  # type: ignore[misc]

    @staticmethod
    def form_of(request: Request) -> Any:
        """The parsed form; ``too_large`` when the handler refused the body or dropped a
        file (checked before the fields, which are missing then)."""
        data = request.data
        if request._request._ugc_upload_handler.is_too_large:  # type: ignore[attr-defined]
            raise TooLarge(details={"max_bytes": max_file_bytes()})
        return data

    @staticmethod
    def files_of(request: Request, *, upload_id: str = "") -> tuple[Any, Any, Any]:
        """(file, preview, session) of the request: a spooled upload, or an upload session's
        assembled file."""
        files = request.FILES
        preview = received_file(files.get("preview"))
        if upload_id:
            session = upload_session_get(player=viewer_of(request).player, upload_uuid=upload_id)  # type: ignore[arg-type]
            return upload_session_assemble(session=session), preview, session
        return received_file(files.get("file")), preview, None


def _close(*received: ReceivedFile | None) -> None:
    for file in received:
        if file is not None:
            file.file.close()


class TitleItemsApi(UploadReceiving, APIView):
    """A title's gallery (GET) and uploads to it (POST)."""

    permission_classes = [IsPlayerOrReadOnly]

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Kind.values)
        name = StrictCharField(max_length=500)
        description = StrictCharField(required=False, allow_blank=True, max_length=20_000)
        tags = StrictCharField(
            required=False, allow_blank=True, max_length=1000, help_text="Comma-separated."
        )
        visibility = StrictChoiceField(choices=ItemVisibility.values, default="public")
        link_url = StrictCharField(required=False, allow_blank=True, max_length=2000)
        changelog = StrictCharField(required=False, allow_blank=True, max_length=8000)
        game_version_min = StrictCharField(required=False, allow_blank=True, max_length=32)
        game_version_max = StrictCharField(required=False, allow_blank=True, max_length=32)
        publish = serializers.BooleanField(default=True)
        file = serializers.FileField(
            required=False, allow_empty_file=True, help_text="The content (not for clips)."
        )
        preview = serializers.FileField(
            allow_empty_file=True,
            required=False,
            help_text="A preview image for replays, levels and mods.",
        )
        upload_id = StrictCharField(
            required=False,
            help_text="A finished resumable upload instead of `file`.",
            pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
        )

    @extend_schema(
        tags=TAGS, parameters=[ListQuerySerializer],
        responses={200: ItemPageSerializer, **error_responses("unknown_title", "invalid_cursor",
                                                              "invalid_game_version")},
        description="Listed items of a title: public ones, and friends-only items of friends.",
    )  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        title = selectors.title_get(slug=slug)
        viewer = viewer_of(request)
        if viewer.title_id is not None and viewer.title_id != title.id:
            raise UnknownTitle()
        filters, sort = list_filters(request, title=title)
        return items_page_response(
            request, selectors.items_list(viewer=viewer, filters=filters), sort=sort, viewer=viewer
        )

    @extend_schema(
        tags=TAGS, request={"multipart/form-data": InputSerializer},
        responses={201: ItemSerializer, **error_responses("unknown_title", *UPLOAD_ERRORS)},
        description="Upload content (multipart, streamed). Files are checked by content: see "
        "docs/ugc.md for the types and limits per kind. Nothing is stored when refused.",
    )  # fmt: skip
    def post(self, request: Request, slug: str) -> Response:
        title = selectors.title_get(slug=slug)
        viewer = viewer_of(request)
        assert viewer.player is not None
        # Before the body is read: a banned or rate-limited upload is refused without it.
        policy.upload_admit(player=viewer.player, title=title)
        data = self.InputSerializer(data=self.form_of(request))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        received, preview, session = self.files_of(request, upload_id=values.get("upload_id", ""))
        try:
            item = item_services.item_create(
                creator=viewer.player, title=title,
                data=ItemInput(
                    kind=values["kind"], name=values["name"],
                    description=values.get("description", ""), tags=values.get("tags", ""),
                    visibility=values["visibility"], link_url=values.get("link_url", ""),
                ),
                received=received, preview=preview, publish=values["publish"],
                is_rate_counted=True,
                version=VersionInput(
                    changelog=values.get("changelog", ""),
                    game_version_min=values.get("game_version_min", ""),
                    game_version_max=values.get("game_version_max", ""),
                ),
            )  # fmt: skip
        finally:
            _close(received, preview)
        if session is not None:
            upload_session_delete(session=session)
        item = selectors.item_get_visible(viewer=viewer, item_id=item.id)
        return Response(item_dict(item, viewer=viewer), status=status.HTTP_201_CREATED)


class ItemSearchApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        tags=TAGS,
        operation_id="ugc_items_search",
        parameters=[ListQuerySerializer, OpenApiParameter("title", str, description="slug")],
        responses={200: ItemPageSerializer, **error_responses("unknown_title", "invalid_cursor",
                                                              "invalid_game_version")},
        description="Search and browse across titles (full text on name, tags, description).",
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        slug = request.query_params.get("title")
        title = selectors.title_get(slug=slug) if slug else None
        viewer = viewer_of(request)
        filters, sort = list_filters(request, title=title)
        return items_page_response(
            request, selectors.items_list(viewer=viewer, filters=filters), sort=sort, viewer=viewer
        )


class ItemDetailApi(APIView):
    permission_classes = [IsPlayerOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = StrictCharField(required=False, max_length=500)
        description = StrictCharField(required=False, allow_blank=True, max_length=20_000)
        description_translations = serializers.DictField(
            child=StrictCharField(allow_blank=True, max_length=20_000),
            required=False,
            help_text='The description per language code, e.g. {"ja": "…"}: replaces them '
            "all; a language left out or empty shows `description`.",
        )
        tags = serializers.ListField(
            child=StrictCharField(max_length=64), required=False, max_length=50
        )
        visibility = StrictChoiceField(choices=ItemVisibility.values, required=False)

    @extend_schema(tags=TAGS, responses={200: ItemSerializer, **error_responses("unknown_item")})
    def get(self, request: Request, item_id: int) -> Response:
        viewer = viewer_of(request)
        item = selectors.item_get_visible(viewer=viewer, item_id=item_id)
        engagement = selectors.engagement_of(player=viewer.player, item_ids=[item.id])
        return Response(
            item_dict(item, viewer=viewer, engagement=engagement, with_translations=True)
        )

    @extend_schema(
        tags=TAGS, request=InputSerializer,
        responses={200: ItemSerializer, **error_responses(
            "unknown_item", "invalid_tags", "invalid_name", "text_too_long", "content_rejected",
            "unknown_language", "invalid_state", "validation_error")},
        description="The creator edits name, description (and its texts in other languages), "
        "tags or visibility.",
    )  # fmt: skip
    def patch(self, request: Request, item_id: int) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        item = selectors.item_get_own(player=viewer.player, item_id=item_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = item_services.item_update(item=item, creator=viewer.player, data=data.validated_data)
        return Response(item_dict(selectors.item_get_own(player=viewer.player, item_id=item.id),
                                  viewer=viewer, with_translations=True))  # fmt: skip

    @extend_schema(
        tags=TAGS, responses={204: None, **error_responses("unknown_item", "invalid_state")}
    )
    def delete(self, request: Request, item_id: int) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        item = selectors.item_get_own(player=viewer.player, item_id=item_id)
        item_services.item_delete(item=item, creator=viewer.player)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemPublishApi(APIView):
    permission_classes = [IsPlayerViewer]

    @extend_schema(
        tags=TAGS, request=None,
        responses={200: ItemSerializer, **error_responses("unknown_item", "invalid_state",
                                                          "kind_not_allowed")},
        description="Submit a draft: published at once, or queued for review when the title "
        "reviews content first (state `pending_review`).",
    )  # fmt: skip
    def post(self, request: Request, item_id: int) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        item = selectors.item_get_own(player=viewer.player, item_id=item_id)
        item_services.item_publish(item=item, creator=viewer.player)
        item = selectors.item_get_own(player=viewer.player, item_id=item_id)
        return Response(item_dict(item, viewer=viewer))


class MyItemsApi(APIView):
    permission_classes = [IsPlayerViewer]

    @extend_schema(
        tags=TAGS, parameters=[ListQuerySerializer],
        responses={200: ItemPageSerializer,
                   **error_responses("invalid_cursor", "invalid_game_version")},
        description="All my items, whatever their state or visibility, newest first.",
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        filters, _sort = list_filters(request)
        items = selectors.items_of_creator_for_self(player=viewer.player, filters=filters)
        return items_page_response(request, items, sort="created", viewer=viewer)


class MySubscriptionsApi(APIView):
    permission_classes = [IsPlayerViewer]

    @extend_schema(
        tags=TAGS, parameters=[PageQuerySerializer],
        responses={200: ItemPageSerializer, **error_responses("invalid_cursor")},
        description="Items I subscribed to (what an in-game client keeps up to date).",
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        PageQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        viewer = viewer_of(request)
        items = selectors.items_subscribed(viewer=viewer)
        return items_page_response(request, items, sort="new", viewer=viewer)


class CreatorItemsApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        tags=TAGS, parameters=[ListQuerySerializer],
        responses={200: ItemPageSerializer,
                   **error_responses("unknown_creator", "invalid_cursor", "invalid_game_version")},
        description="A creator's page: their listed items (404 when blocked either way).",
    )  # fmt: skip
    def get(self, request: Request, player_id: int) -> Response:
        viewer = viewer_of(request)
        try:
            creator, _level = player_get_visible(viewer=viewer.player, player_id=player_id)
        except NotFound as error:
            raise UnknownCreator() from error
        filters, sort = list_filters(request)
        filters = selectors.ItemFilters(**{**filters.__dict__, "creator_id": creator.id})
        return items_page_response(
            request, selectors.items_list(viewer=viewer, filters=filters), sort=sort, viewer=viewer
        )
