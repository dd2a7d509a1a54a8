from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import error_responses
from apps.game_events.codes import IGNORED_CODES, REJECTION_CODES
from apps.game_events.exceptions import BatchTooLarge, EmptyBatch, PayloadTooLarge
from apps.game_events.parsers import CloudEventParser, CloudEventsBatchParser, EventsJsonParser
from apps.game_events.services import events_submit
from apps.titles import scopes
from apps.titles.permissions import title_client_of, title_scope

_EXAMPLE_EVENT = {
    "specversion": "1.0",
    "id": "3f6f0a3e-1b1c-4c55-9a43-6d1f1f0f0c01",
    "source": "/titles/starfall-arena",
    "type": "match.completed",
    "time": "2026-11-25T03:20:00Z",
    "subject": "m-42",
    "datacontenttype": "application/json",
    "data": {
        "match_id": "m-42",
        "mode": "ranked-5v5",
        "duration_seconds": 1260,
        "players": [
            {"player": {"provider": "steam", "external_id": "76561198000000001"},
             "team": "red", "outcome": "win", "score": 2310},
            {"player": {"provider": "xbox", "external_id": "2533274800000002"},
             "team": "blue", "outcome": "loss", "score": 1780},
        ],
    },
}  # fmt: skip


# Any of the media types takes one event or a batch; each item is checked on its own and a bad
# one is `rejected` in the 200, so the items are any JSON here.
_EVENT_MEDIA_TYPES = (
    "application/json",
    "application/cloudevents-batch+json",
    "application/cloudevents+json",
)
_EVENTS_BODY = {
    "oneOf": [
        {"type": "object"},
        {"type": "array", "items": {}, "minItems": 1,
         "maxItems": settings.GAME_EVENTS_HTTP_MAX_BATCH},
    ]
}  # fmt: skip


class EventIngestResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.CharField(
        allow_null=True, help_text="The event's id; null if it had none the answer can carry."
    )
    status = serializers.ChoiceField(["accepted", "duplicate", "ignored", "rejected"])
    code = serializers.ChoiceField(
        [*REJECTION_CODES, *IGNORED_CODES],
        allow_blank=True,
        help_text=(
            "Why an event was rejected or ignored (docs/events.md, Rejection codes); empty "
            "when accepted or duplicate."
        ),
    )
    reason = serializers.CharField(allow_blank=True)


class EventIngestCountsSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    ignored = serializers.IntegerField()
    rejected = serializers.IntegerField()


class EventIngestApi(APIView):
    """Publish game events over HTTP (for titles that cannot reach Service Bus).

    Body: a JSON array of CloudEvents 1.0 structured events (`application/json` or
    `application/cloudevents-batch+json`, up to 500) or one event
    (`application/cloudevents+json`). Each event's `source` must be `/titles/<your title>`.
    The answer lists one result per event, in order: `accepted`, `duplicate` (that id was
    already received; nothing changes), `ignored` (kept, no effect: an unknown type or version,
    or no handler yet) or `rejected` with a `code` and `reason` (see docs/events.md): e.g.
    `schema_violation`, `invalid_character` (a NUL or unpaired surrogate anywhere),
    `nesting_too_deep` (over 32 levels), `time_out_of_range`, `storage_refused`; the `code`
    enum lists them all.
    """

    permission_classes = [title_scope(scopes.EVENTS_PUBLISH)]
    parser_classes = [EventsJsonParser, CloudEventsBatchParser, CloudEventParser]

    class OutputSerializer(serializers.Serializer):
        results = EventIngestResultSerializer(many=True)
        counts = EventIngestCountsSerializer()

    @extend_schema(
        request=dict.fromkeys(_EVENT_MEDIA_TYPES, _EVENTS_BODY),
        responses={
            200: OpenApiResponse(
                OutputSerializer,
                description=(
                    "Always, for a batch that parses: one result per event, whatever the events "
                    "hold (a bad event is `rejected` with its own `code`)."
                ),
            ),
            **error_responses(EmptyBatch, BatchTooLarge, PayloadTooLarge),
        },
        examples=[
            OpenApiExample("A batch of one event", value=[_EXAMPLE_EVENT], request_only=True),
            OpenApiExample(
                "Per-event results",
                value={
                    "results": [
                        {
                            "index": 0,
                            "id": _EXAMPLE_EVENT["id"],
                            "status": "accepted",
                            "code": "",
                            "reason": "",
                        }
                    ],
                    "counts": {"accepted": 1, "duplicate": 0, "ignored": 0, "rejected": 0},
                },
                response_only=True,
            ),
        ],
        tags=["events"],
    )
    def post(self, request: Request) -> Response:
        raw_events = self._events_of(request)
        results = events_submit(raw_events=raw_events, caller=title_client_of(request).title)
        counts = dict.fromkeys(("accepted", "duplicate", "ignored", "rejected"), 0)
        for result in results:
            counts[result.status] += 1
        return Response(self.OutputSerializer({"results": results, "counts": counts}).data)

    def _events_of(self, request: Request) -> list[Any]:
        data = request.data
        events = [data] if isinstance(data, dict) else data
        if not isinstance(events, list) or not events:
            raise EmptyBatch()
        limit = settings.GAME_EVENTS_HTTP_MAX_BATCH
        if len(events) > limit:
            raise BatchTooLarge(details={"limit": limit, "received": len(events)})
        return events
