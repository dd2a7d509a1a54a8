"""Request parsers for HTTP ingest: JSON, CloudEvents batch and single structured events."""

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from apps.game_events.exceptions import PayloadTooLarge


def _read_limited(stream: Any) -> bytes:
    """The body, refusing more than the ingest limit without reading all of it."""
    limit = settings.GAME_EVENTS_HTTP_MAX_BODY_BYTES
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise PayloadTooLarge(details={"limit_bytes": limit})
    return body


def _decode(body: bytes) -> Any:
    """The parsed body, or ``ParseError`` (400 ``malformed_request``) for anything the parser
    cannot read. Nesting is limited per event (envelope ``MAX_NESTING``, refused per event);
    only a body nested so deep that the C parser runs out of recursion (around 900 levels)
    fails here as a whole."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ParseError(f"JSON parse error - {error}") from error
    except RecursionError as error:
        raise ParseError(_("JSON parse error - nested too deeply.")) from error
    except ValueError as error:  # an integer of more than 4,300 digits
        raise ParseError(f"JSON parse error - {error}") from error


class EventsJsonParser(BaseParser):
    """``application/json``: an array of events (or one event object)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return _decode(_read_limited(stream))


class CloudEventsBatchParser(EventsJsonParser):
    media_type = "application/cloudevents-batch+json"


class CloudEventParser(EventsJsonParser):
    """``application/cloudevents+json``: a single structured-mode event."""

    media_type = "application/cloudevents+json"
