"""Engagement over REST: like, favourite, subscribe (PUT sets, DELETE unsets; both
idempotent), comments (threaded one level) and reports."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.fields import StrictCharField
from apps.ugc import selectors
from apps.ugc.apis.common import (
    TAGS,
    IsPlayerOrReadOnly,
    IsPlayerViewer,
    error_responses,
    viewer_of,
)
from apps.ugc.apis.serializers import CommentPageSerializer, CommentSerializer, CountsSerializer
from apps.ugc.enforcement import REPORT_REASONS, ugc_report_submit
from apps.ugc.pagination import keyset_page, limit_of
from apps.ugc.presenters import comment_dict, comment_thread_dict
from apps.ugc.services import comments as comment_services
from apps.ugc.services import engagement


class EngagementStateSerializer(serializers.Serializer):
    active = serializers.BooleanField(help_text="Whether the like/favourite/subscription is set.")
    counts = CountsSerializer()


def _engagement_api(name: str, toggle: object, description: str) -> type[APIView]:
    """PUT/DELETE for one kind of engagement (they only differ by the service called)."""

    def respond(request: Request, item_id: int, on: bool) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        item = selectors.item_get_visible(viewer=viewer, item_id=item_id)
        active = toggle(item=item, player=viewer.player, on=on)  # type: ignore[operator]
        item.refresh_from_db()
        counts = {
            "likes": item.like_count, "favourites": item.favourite_count,
            "subscribers": item.subscriber_count, "downloads": item.download_count,
            "comments": item.comment_count,
        }  # fmt: skip
        return Response({"active": active, "counts": counts})

    schema = extend_schema(
        tags=TAGS, request=None, description=description,
        responses={200: EngagementStateSerializer,
                   **error_responses("unknown_item", "not_published", "not_authenticated")},
    )  # fmt: skip

    class EngagementApi(APIView):
        permission_classes = [IsPlayerViewer]

        @schema
        def put(self, request: Request, item_id: int) -> Response:
            return respond(request, item_id, True)

        @schema
        def delete(self, request: Request, item_id: int) -> Response:
            return respond(request, item_id, False)

    EngagementApi.__name__ = EngagementApi.__qualname__ = f"Item{name}Api"
    return EngagementApi


ItemLikeApi = _engagement_api(
    "Like",
    lambda *, item, player, on: engagement.like_set(item=item, player=player, liked=on),
    "Like an item (one like per player).",
)
ItemFavouriteApi = _engagement_api(
    "Favourite",
    lambda *, item, player, on: engagement.favourite_set(item=item, player=player, favourited=on),
    "Add to / remove from my favourites.",
)
ItemSubscriptionApi = _engagement_api(
    "Subscription",
    lambda *, item, player, on: engagement.subscription_set(
        item=item, player=player, subscribed=on
    ),
    "Subscribe (notified of new versions; listed in GET /ugc/me/subscriptions).",
)


class ItemCommentsApi(APIView):
    permission_classes = [IsPlayerOrReadOnly]

    class InputSerializer(serializers.Serializer):
        body = StrictCharField(max_length=8000, allow_blank=True)
        parent_id = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(
        tags=TAGS, responses={200: CommentPageSerializer,
                              **error_responses("unknown_item", "invalid_cursor")},
        description="Top-level comments, oldest first, each with its replies.",
    )  # fmt: skip
    def get(self, request: Request, item_id: int) -> Response:
        viewer = viewer_of(request)
        item = selectors.item_get_visible(viewer=viewer, item_id=item_id)
        query = request.query_params
        page = keyset_page(
            selectors.comments_of_item(viewer=viewer, item=item), sort="oldest",
            cursor=query.get("cursor"), limit=limit_of(query.get("limit")),
        )  # fmt: skip
        next_url = None
        if page.next_cursor:
            params = query.copy()
            params["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        results = [comment_thread_dict(comment, viewer=viewer) for comment in page.rows]
        return Response({"next": next_url, "results": results})

    @extend_schema(
        tags=TAGS, request=InputSerializer,
        responses={201: CommentSerializer, **error_responses(
            "unknown_item", "not_published", "empty_comment", "text_too_long",
            "comment_rejected", "reply_depth", "muted", "suspended", "banned",
            "validation_error")},
    )  # fmt: skip
    def post(self, request: Request, item_id: int) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        item = selectors.item_get_visible(viewer=viewer, item_id=item_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = comment_services.comment_create(
            item=item, author=viewer.player, body=data.validated_data["body"],
            parent_id=data.validated_data.get("parent_id"),
        )  # fmt: skip
        return Response(comment_dict(comment, viewer=viewer), status=status.HTTP_201_CREATED)


class CommentDetailApi(APIView):
    permission_classes = [IsPlayerViewer]

    @extend_schema(
        tags=TAGS, responses={204: None, **error_responses("unknown_comment", "not_author")},
        description="The author deletes their comment (replies keep a placeholder).",
    )  # fmt: skip
    def delete(self, request: Request, comment_id: int) -> Response:
        viewer = viewer_of(request)
        assert viewer.player is not None
        comment = selectors.comment_get_visible(viewer=viewer, comment_id=comment_id)
        comment_services.comment_delete(comment=comment, author=viewer.player)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=[key for key, _label in REPORT_REASONS])
    details = StrictCharField(required=False, allow_blank=True, max_length=1000)


def _report_api(kind: str) -> type[APIView]:
    class ReportApi(APIView):
        permission_classes = [IsPlayerViewer]

        @extend_schema(
            tags=TAGS, request=ReportInputSerializer,
            responses={202: None, **error_responses(
                f"unknown_{kind}", "reports_unavailable", "validation_error", "self_report",
                "rate_limited")},
            description=f"Report a {kind} to the moderators: it joins the moderation queue "
            "like `POST /api/v1/moderation/reports` (one report per reporter per target, a "
            "repeat updates it; report spam limited).",
        )  # fmt: skip
        def post(self, request: Request, target_id: int) -> Response:
            viewer = viewer_of(request)
            assert viewer.player is not None
            data = ReportInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            ugc_report_submit(
                reporter=viewer.player, kind=kind, target_id=target_id,
                reason=data.validated_data["reason"],
                details=data.validated_data.get("details", ""),
            )  # fmt: skip
            return Response(status=status.HTTP_202_ACCEPTED)

    ReportApi.__name__ = ReportApi.__qualname__ = f"{kind.title()}ReportApi"
    return ReportApi


ItemReportApi = _report_api("item")
CommentReportApi = _report_api("comment")
