"""Files over REST: versions (list, upload a new one), downloads and thumbnails (signed URLs),
resumable uploads, and uploads by a title's game servers."""

from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.fields import StrictCharField
from apps.titles.permissions import title_client_of, title_scope
from apps.ugc import selectors
from apps.ugc.apis.common import (
    TAGS,
    UGC_WRITE,
    CanRead,
    IsPlayerOrReadOnly,
    IsPlayerViewer,
    error_responses,
    viewer_of,
)
from apps.ugc.apis.items import UPLOAD_ERRORS, UploadReceiving, _close
from apps.ugc.apis.serializers import VersionSerializer
from apps.ugc.exceptions import UnknownItem, UploadOffsetMismatch
from apps.ugc.models import Kind
from apps.ugc.presenters import placeholder_url, version_dict
from apps.ugc.receiving import body_spool
from apps.ugc.services import links, policy
from apps.ugc.services import uploads as upload_services
from apps.ugc.services.fields import VersionInput
from apps.ugc.services.thumbnails import THUMBNAIL_SIZES
from apps.ugc.services.uploads import upload_session_delete
from apps.ugc.services.versions import version_add


class VersionInputSerializer(serializers.Serializer):
    changelog = StrictCharField(required=False, allow_blank=True, max_length=8000)
    game_version_min = StrictCharField(required=False, allow_blank=True, max_length=32)
    game_version_max = StrictCharField(required=False, allow_blank=True, max_length=32)
    file = serializers.FileField(required=False, allow_empty_file=True)
    preview = serializers.FileField(required=False, allow_empty_file=True)
    upload_id = StrictCharField(
        required=False,
        pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
    )


def _version_input(values: dict) -> VersionInput:
    return VersionInput(
        changelog=values.get("changelog", ""),
        game_version_min=values.get("game_version_min", ""),
        game_version_max=values.get("game_version_max", ""),
    )


class ItemVersionsApi(UploadReceiving, APIView):
    permission_classes = [IsPlayerOrReadOnly]

    @extend_schema(
        tags=TAGS, responses={200: VersionSerializer(many=True), **error_responses("unknown_item")},
        description="Versions, newest first (others see approved versions only).",
    )  # fmt: skip
    def get(self, request: Request, item_id: int) -> Response:
        viewer = viewer_of(request)
        item = selectors.item_get_visible(viewer=viewer, item_id=item_id)
        privileged = viewer.is_moderator or viewer.player_id == item.creator_id
        versions = selectors.versions_for_viewer(viewer=viewer, item=item)
        return Response([version_dict(v, with_review=privileged) for v in versions])

    @extend_schema(
        tags=TAGS, request={"multipart/form-data": VersionInputSerializer},
        responses={201: VersionSerializer, **error_responses(
            "unknown_item", "invalid_state", *UPLOAD_ERRORS)},
        description="The creator uploads a new file: a new version (subscribers are notified "
        "once it is approved).",
    )  # fmt: skip
    def post(self, request: Request, item_id: int) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        item = selectors.item_get_own(player=viewer.player, item_id=item_id)
        # Before the body is read: a banned or rate-limited upload is refused without it.
        policy.upload_admit(player=viewer.player, title=item.title)
        data = VersionInputSerializer(data=self.form_of(request))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        received, preview, session = self.files_of(request, upload_id=values.get("upload_id", ""))
        try:
            version = version_add(
                item=item, creator=viewer.player, received=received, preview=preview,
                data=_version_input(values), is_rate_counted=True,
            )  # fmt: skip
        finally:
            _close(received, preview)
        if session is not None:
            upload_session_delete(session=session)
        return Response(version_dict(version, with_review=True), status=status.HTTP_201_CREATED)


class DownloadSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Short-lived signed URL of the file.")
    expires_at = serializers.CharField()
    version = serializers.IntegerField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    filename = serializers.CharField()
    counted = serializers.BooleanField(help_text="Counted as a download (once per player per day).")


class ItemDownloadApi(APIView):
    permission_classes = [CanRead]

    class QuerySerializer(serializers.Serializer):
        version = serializers.IntegerField(
            required=False, min_value=1, help_text="A version number (default: current)."
        )
        redirect = serializers.BooleanField(
            required=False, default=False, help_text="true: answer 302 to the signed URL."
        )

    @extend_schema(
        tags=TAGS,
        parameters=[QuerySerializer],
        responses={200: DownloadSerializer, 302: None,
                   **error_responses("unknown_item", "no_file", "permission_denied")},
        description="A signed URL for the file (valid UGC_SIGNED_URL_TTL_SECONDS, 5 minutes).",
    )  # fmt: skip
    def get(self, request: Request, item_id: int) -> Response | HttpResponseRedirect:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        viewer = viewer_of(request)
        item = selectors.item_get_visible(viewer=viewer, item_id=item_id)
        number = query.validated_data.get("version")
        link = links.item_download_link(viewer=viewer, item=item, number=number)
        if query.validated_data["redirect"]:
            return HttpResponseRedirect(link.signed.url)
        return Response({
            "url": request.build_absolute_uri(link.signed.url),
            "expires_at": link.signed.expires_at.isoformat().replace("+00:00", "Z"),
            "version": link.version.number, "sha256": link.version.sha256,
            "size": link.version.size, "filename": link.version.original_filename,
            "counted": link.counted,
        })  # fmt: skip


class ItemThumbnailApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        tags=TAGS, responses={302: None, **error_responses("unknown_item")},
        description="Redirects to a signed URL of the thumbnail (WebP), or to the kind's "
        "placeholder image while there is none. Sizes: small (320), medium (640), large (1280).",
    )  # fmt: skip
    def get(self, request: Request, item_id: int, size: str) -> HttpResponseRedirect:
        if size not in THUMBNAIL_SIZES:
            raise UnknownItem(details={"size": size})
        viewer = viewer_of(request)
        item = selectors.item_get_visible(viewer=viewer, item_id=item_id)
        signed = links.item_thumbnail_link(viewer=viewer, item=item, size=size)
        response = HttpResponseRedirect(signed.url if signed else placeholder_url(item.kind))
        # The redirect target changes (signatures expire): browsers must ask again.
        response["Cache-Control"] = "private, no-store"
        return response


class UploadSessionSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    offset = serializers.IntegerField(help_text="Bytes received so far: the next chunk's start.")
    chunk_bytes = serializers.IntegerField(help_text="Largest chunk accepted.")
    expires_at = serializers.CharField()


def _session_dict(session: upload_services.UploadSession) -> dict:
    from django.conf import settings

    return {
        "id": str(session.uuid), "kind": session.kind, "filename": session.filename,
        "size": session.size, "offset": session.received,
        "chunk_bytes": settings.UGC_UPLOAD_CHUNK_BYTES,
        "expires_at": session.expires_at.isoformat().replace("+00:00", "Z"),
    }  # fmt: skip


class UploadSessionCreateApi(APIView):
    permission_classes = [IsPlayerViewer]

    class InputSerializer(serializers.Serializer):
        title = StrictCharField(
            max_length=50,
            pattern=r"[-a-zA-Z0-9_]+",
            help_text="Title slug (upload bans may be per title).",
        )
        kind = serializers.ChoiceField(choices=Kind.values, help_text="Not `clip` (no file).")
        filename = StrictCharField(max_length=500)
        size = serializers.IntegerField(min_value=1)

    @extend_schema(
        tags=TAGS, request=InputSerializer,
        responses={201: UploadSessionSerializer, **error_responses(
            "unknown_title", "too_large", "empty_file", "file_required", "upload_banned",
            "suspended", "banned", "kind_not_allowed", "too_many_uploads", "validation_error")},
        description="Start a resumable upload (docs/ugc.md, \"Resumable uploads\"). A player "
        "holds a bounded number of unfinished uploads (`too_many_uploads`: finish or delete "
        "one first).",
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        session = upload_services.upload_session_create(
            player=viewer.player, title=selectors.title_get(slug=values["title"]),
            kind=values["kind"], filename=values["filename"], size=values["size"],
        )  # fmt: skip
        return Response(_session_dict(session), status=status.HTTP_201_CREATED)


class UploadSessionApi(APIView):
    permission_classes = [IsPlayerViewer]

    @extend_schema(
        tags=TAGS, responses={200: UploadSessionSerializer, **error_responses("unknown_upload")},
        description="Where an upload stands: resume from `offset`.",
    )  # fmt: skip
    def get(self, request: Request, upload_id: str) -> Response:
        player = viewer_of(request).player
        session = upload_services.upload_session_get(player=player, upload_uuid=upload_id)  # type: ignore[arg-type]
        return Response(_session_dict(session))

    @extend_schema(
        tags=TAGS, request={"application/octet-stream": bytes},
        parameters=[OpenApiParameter("Content-Range", str, OpenApiParameter.HEADER, required=True,
                                     description="bytes <first>-<last>/<size>")],
        responses={200: UploadSessionSerializer, **error_responses(
            "unknown_upload", "upload_offset_mismatch")},
        description="Append the next chunk (raw bytes). A chunk that does not start at "
        "`offset` answers upload_offset_mismatch with `details.offset`.",
    )  # fmt: skip
    def put(self, request: Request, upload_id: str) -> Response:
        from django.conf import settings

        player = viewer_of(request).player
        session = upload_services.upload_session_get(player=player, upload_uuid=upload_id)  # type: ignore[arg-type]
        spooled = body_spool(request._request, limit=settings.UGC_UPLOAD_CHUNK_BYTES)
        if spooled is None:
            raise UploadOffsetMismatch(details={"max_chunk_bytes": settings.UGC_UPLOAD_CHUNK_BYTES})
        chunk, length = spooled
        with chunk:
            first, total = upload_services.content_range_parse(
                request.headers.get("Content-Range", ""), length=length
            )
            session = upload_services.upload_chunk_append(
                session=session, first=first, total=total, chunk=chunk, length=length
            )
        return Response(_session_dict(session))

    @extend_schema(tags=TAGS, responses={204: None, **error_responses("unknown_upload")})
    def delete(self, request: Request, upload_id: str) -> Response:
        player = viewer_of(request).player
        session = upload_services.upload_session_get(player=player, upload_uuid=upload_id)  # type: ignore[arg-type]
        upload_session_delete(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TitleExternalVersionApi(UploadReceiving, APIView):
    """A title's game server uploads the file of an item published in game."""

    permission_classes = [title_scope(UGC_WRITE)]

    @extend_schema(
        tags=TAGS, request={"multipart/form-data": VersionInputSerializer},
        responses={201: VersionSerializer, **error_responses(
            "unknown_item", "invalid_state", *UPLOAD_ERRORS)},
        description="Title key with `ugc:write`: add a file to the item a `ugc.published` "
        "event created (by the game's `ugc_id`), on behalf of its creator.",
    )  # fmt: skip
    def post(self, request: Request, external_id: str) -> Response:
        client = title_client_of(request)
        item = selectors.item_get_by_external_id(title=client.title, external_id=external_id)
        # Counted against the item's creator, before the body is read.
        policy.upload_admit(player=item.creator, title=item.title)
        data = VersionInputSerializer(data=self.form_of(request))
        data.is_valid(raise_exception=True)
        received, preview, _session = self.files_of(request)
        try:
            version = version_add(
                item=item, creator=item.creator, received=received, preview=preview,
                data=_version_input(data.validated_data), is_rate_counted=True,
            )  # fmt: skip
        finally:
            _close(received, preview)
        return Response(version_dict(version, with_review=True), status=status.HTTP_201_CREATED)
